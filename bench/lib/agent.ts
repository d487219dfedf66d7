// Running the agent under test: config file, spawn through bin/jcode-watcher.mjs, find the real agent process
// (the launcher spawns a child Node), poll /readyz and /metrics, stop with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { children, cmdline } from './proc.ts';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Node 24 from the `node` npm package (the runtime the product targets). */
export const NODE = path.join(REPO, 'node_modules/node/bin/node');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

import { freePort } from '../../test/helpers/ports.ts';

export { freePort };

export interface AgentOptions {
  watcher: 'parcel' | 'chokidar';
  workspaces: string;
  output: string;
  /** Extra YAML under `files:`. */
  files?: Record<string, number | string>;
  /** Where the agent's stderr goes. */
  logFile: string;
  /** Extra top-level YAML sections appended to the config (e.g. `exec:\n  enabled: false`). */
  yaml?: string;
  /** Extra environment (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
}

export class AgentProcess {
  readonly proc: ChildProcess;
  readonly spawnedAt: number;
  private exited: Promise<number | null>;
  private agentPid: number | undefined;

  private constructor(readonly opts: AgentOptions, readonly port: number, configFile: string) {
    const err = createWriteStream(opts.logFile, { flags: 'a' });
    this.spawnedAt = performance.now();
    this.proc = spawn(NODE, [path.join(REPO, 'bin/jcode-watcher.mjs'), 'run', '--config', configFile, '--workspaces', opts.workspaces, '--output', opts.output, '--http-port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    this.proc.stderr!.pipe(err);
    this.exited = new Promise((r) => this.proc.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  }

  static async start(opts: AgentOptions): Promise<AgentProcess> {
    mkdirSync(opts.output, { recursive: true });
    const port = await freePort();
    const files = { watcher: opts.watcher, ...opts.files };
    const yaml = [
      'files:', ...Object.entries(files).map(([k, v]) => `  ${k}: ${v}`),
      'output:', '  console: false',
      'log:', '  level: warn',
      ...(opts.yaml ? [opts.yaml.trimEnd()] : []),
      '',
    ].join('\n');
    const configFile = path.join(path.dirname(opts.logFile), `agent-${opts.watcher}-${port}.yaml`);
    writeFileSync(configFile, yaml);
    return new AgentProcess(opts, port, configFile);
  }

  get launcherPid(): number {
    return this.proc.pid!;
  }

  /** The Node process running cli/main.ts (the launcher's child); the launcher itself if it runs it in-process. */
  get pid(): number {
    if (this.agentPid) return this.agentPid;
    const kids = children(this.launcherPid).filter((p) => cmdline(p).includes('cli/main.ts'));
    if (kids.length > 0) this.agentPid = kids[0];
    return this.agentPid ?? this.launcherPid;
  }

  async get(p: string): Promise<{ status: number; text: string } | undefined> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.port}${p}`, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, text: await r.text() };
    } catch {
      return undefined;
    }
  }

  /** Poll /readyz every `everyMs`; returns ms from spawn to the first 200. */
  async waitReady(timeoutMs: number, everyMs = 20): Promise<number> {
    let dead = false;
    void this.exited.then(() => (dead = true));
    while (performance.now() - this.spawnedAt < timeoutMs) {
      if (dead) throw new Error(`agent exited before ready (log: ${this.opts.logFile}): ${tail(this.opts.logFile)}`);
      const r = await this.get('/readyz');
      if (r?.status === 200) return performance.now() - this.spawnedAt;
      await sleep(everyMs);
    }
    throw new Error(`agent not ready after ${timeoutMs} ms (log: ${this.opts.logFile})`);
  }

  async metrics(): Promise<Metrics> {
    const r = await this.get('/metrics');
    return parseMetrics(r?.text ?? '');
  }

  /**
   * Wait until the agent is quiet: nothing pending and no new file records for `quietMs`, and (if given) at
   * least `minRecords` file records emitted. Returns the metrics at that point.
   */
  async settle(opts: { minRecords?: number; quietMs?: number; timeoutMs: number; everyMs?: number }): Promise<Metrics> {
    const quiet = opts.quietMs ?? 1500;
    const t0 = performance.now();
    let last = -1;
    let since = performance.now();
    for (;;) {
      const m = await this.metrics();
      const n = m.sum('jcode_watcher_file_events_total');
      const pending = m.sum('jcode_watcher_pending_files');
      if (n !== last) {
        last = n;
        since = performance.now();
      }
      if (pending === 0 && n >= (opts.minRecords ?? 0) && performance.now() - since >= quiet) return m;
      if (performance.now() - t0 > opts.timeoutMs) {
        process.stderr.write(`  warning: agent not settled after ${opts.timeoutMs} ms (records ${n}, pending ${pending})\n`);
        return m;
      }
      await sleep(opts.everyMs ?? 250);
    }
  }

  /** SIGTERM (the agent flushes) and wait; returns ms to exit and the exit code. */
  async stop(timeoutMs = 20000): Promise<{ ms: number; code: number | null }> {
    const t0 = performance.now();
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      this.proc.kill('SIGKILL');
      return { ms: performance.now() - t0, code: null };
    }
    return { ms: performance.now() - t0, code };
  }
}

export function tail(file: string, n = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

export interface Metrics {
  /** Sum of every sample of a metric whose labels include all of `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
}

export function parseMetrics(text: string): Metrics {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return {
    sum(name, labels = {}) {
      let s = 0;
      for (const x of samples) {
        if (x.name !== name) continue;
        if (Object.entries(labels).every(([k, v]) => x.labels[k] === v)) s += x.value;
      }
      return s;
    },
  };
}
