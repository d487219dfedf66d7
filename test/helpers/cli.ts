// Runs `jcode-watcher` as users do: a separate process (so its own children and descendants are its own, not
// the test's), with helpers to find its HTTP port and read its metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './otlp.ts';

const BIN = new URL('../../bin/jcode-watcher.mjs', import.meta.url).pathname;

export interface CliProc {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port(): Promise<number>;
  get(path: string): Promise<{ status: number; text: string }>;
  metric(series: string): Promise<number>;
  ready(): Promise<void>;
}

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string } = {}): CliProc {
  // The machine's node (maybe older than 24): the bin script must find Node 24 itself.
  const child = spawn('node', [BIN, ...args], { env: { ...process.env, ...opts.env }, uid: opts.uid, gid: opts.gid, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  let port: number | undefined;
  const p: CliProc = {
    child, stdout, stderr, exit,
    async port() {
      port ??= await waitFor(() => {
        const m = /"address":"127\.0\.0\.1:(\d+)"/.exec(stderr.join(''));
        return m ? Number(m[1]) : undefined;
      }, 'the HTTP endpoint to listen', 30_000);
      return port;
    },
    async get(path) {
      const r = await fetch(`http://127.0.0.1:${await p.port()}${path}`);
      return { status: r.status, text: await r.text() };
    },
    /** The value of one exact series, e.g. `jcode_watcher_bpf_loader_restarts_total` (0 when absent). */
    async metric(series) {
      const text = (await p.get('/metrics')).text;
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
    async ready() {
      await waitFor(async () => (await p.get('/readyz')).status === 200 || undefined, 'ready', 30_000);
    },
  };
  return p;
}
