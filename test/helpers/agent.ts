// Starts a real agent in this process on temporary directories (real inotify on real files).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../config/load.ts';
import type { Config } from '../../config/spec.ts';
import { Agent } from '../../core/agent.ts';
import { createLogger } from '../../core/log.ts';
import { readLogs, waitFor, type LogRow } from './otlp.ts';

type Overrides = { [S in keyof Config]?: Partial<Config[S]> };

export interface TestAgent {
  agent: Agent;
  dir: string;
  ws: string;
  out: string;
  logs(): LogRow[];
  saves(relPath?: string): LogRow[];
  waitForLog(pred: (r: LogRow) => boolean, what: string, timeoutMs?: number): Promise<LogRow>;
  restart(overrides?: Overrides): Promise<void>;
  stop(): Promise<void>;
  cleanup(): Promise<void>;
  stderr: string[];
}

export function makeConfig(dir: string, overrides: Overrides = {}): Config {
  const base: Record<string, Record<string, unknown>> = {
    workspaces: { root: path.join(dir, 'ws') },
    files: { debounce_ms: 100, max_wait_ms: 1000, rename_window_ms: 300, scan_interval_s: 0 },
    output: { dir: path.join(dir, 'out'), console: false },
    http: { port: 0 },
    // The eBPF receiver is a node-wide resource: only the exec tests turn it on.
    exec: { enabled: false },
    log: { level: 'warn' },
  };
  for (const [k, v] of Object.entries(overrides)) base[k] = { ...base[k], ...v };
  return validateConfig(base);
}

export async function startTestAgent(overrides: Overrides = {}, dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-'))): Promise<TestAgent> {
  const stderr: string[] = [];
  const make = (o: Overrides) => new Agent(makeConfig(dir, o), { log: createLogger('info', (l) => void stderr.push(l)) });
  let agent = make(overrides);
  await agent.start();
  const out = path.join(dir, 'out');
  const t: TestAgent = {
    get agent() {
      return agent;
    },
    dir,
    ws: path.join(dir, 'ws'),
    out,
    stderr,
    logs: () => readLogs(path.join(out, 'logs.jsonl')),
    saves: (rel) => t.logs().filter((r) => r.eventName === 'jcode.file.save' && (rel === undefined || r.attributes['file.path'] === rel)),
    async waitForLog(pred, what, timeoutMs) {
      return waitFor(() => t.logs().find(pred), what, timeoutMs);
    },
    async restart(o = overrides) {
      await agent.stop();
      agent = make(o);
      await agent.start();
    },
    stop: () => agent.stop(),
    async cleanup() {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
