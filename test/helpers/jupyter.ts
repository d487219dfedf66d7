// Real Jupyter for the tests: the pinned venv (scripts/jupyter-venv.sh: IPython, ipykernel, nbclient and the
// jcode_jupyter extension pip-installed), notebooks built and executed in a real kernel, spans read back.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { attrs } from './otlp.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
let python: string | undefined;

/** The venv's python (created on first use, about 20 s; cached under ~/.cache/jcode-watcher). */
export function jupyterPython(): string {
  python ??= execFileSync('bash', [path.join(ROOT, 'scripts/jupyter-venv.sh')], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return python;
}

export interface CellSpec {
  type: 'code' | 'markdown';
  source: string;
  tags?: string[];
}

/** Build a notebook and run it in a real kernel (nbclient), writing the executed .ipynb to `out`. */
export async function runNotebook(cells: CellSpec[], out: string, opts: { execute?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const spec = path.join(mkdtempSync(path.join(os.tmpdir(), 'jcw-nbspec-')), 'spec.json');
  writeFileSync(spec, JSON.stringify({ cells }));
  const args = [path.join(ROOT, 'test/helpers/jupyter/run_notebook.py'), spec, out, ...(opts.execute === false ? ['--no-execute'] : [])];
  await promisify(execFile)(jupyterPython(), args, { env: { ...process.env, ...opts.env }, timeout: 180_000 });
}

export interface SpanRow {
  name: string;
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
}

type KV = Parameters<typeof attrs>[0];

/** Spans from the agent's traces.jsonl (OTLP JSON lines). */
export function readSpans(file: string): SpanRow[] {
  if (!existsSync(file)) return [];
  const out: SpanRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const req = JSON.parse(line) as { resourceSpans: { resource: { attributes: KV }; scopeSpans: { spans: (Omit<SpanRow, 'attributes' | 'resource' | 'events'> & { attributes: KV; events?: { name: string; attributes: KV }[] })[] }[] }[] };
    for (const rs of req.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          out.push({ ...s, attributes: attrs(s.attributes), resource: attrs(rs.resource.attributes), events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })) });
        }
      }
    }
  }
  return out;
}
