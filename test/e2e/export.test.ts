// `jcode-watcher export progsnap2` and `jcode-watcher report` as a researcher runs them: separate processes on
// a generated semester of OTLP JSON lines; and the export's memory on a few hundred MB of input.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../research/csv.ts';
import { validateProgsnap2 } from '../../research/validate.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = path.join(ROOT, 'bin/jcode-watcher.mjs');
const NODE24 = path.join(ROOT, 'node_modules/node/bin/node');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/esm/index.mjs');
const MAXRSS = path.join(ROOT, 'test/helpers/maxrss.mjs');

function run(args: string[], opts: { direct?: boolean; heapMb?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // direct: Node 24 with tsx and the peak-RSS preload, no wrapper process in between (so the RSS is the exporter's).
  const child = opts.direct
    ? spawn(NODE24, [...(opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : []), '--import', TSX, '--import', MAXRSS, path.join(ROOT, 'cli/main.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('node', [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const kv = (key: string, v: string | number | boolean) => ({ key, value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : { intValue: String(v) } });
const RESOURCE = { attributes: [kv('service.name', 'jcode-watcher'), kv('service.version', '0.1.0')] };
const edu = (student: string, hw: string) => [kv('edu.course', 'os'), kv('edu.section', '1'), kv('edu.student.id', student), kv('edu.assignment', hw)];
const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

/**
 * A semester: `students` students each save `saves` versions of hw1/main.c (`bodyBytes` each), compile after
 * every save (every third compile fails with a diagnostic) and run. Batches are written newest first, so the
 * files are not in time order (as with several nodes or a Collector).
 */
async function generate(dir: string, students: number, saves: number, bodyBytes: number, part = 0): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const logs = createWriteStream(path.join(dir, `logs-${part}.jsonl`));
  const traces = createWriteStream(path.join(dir, `traces-${part}.jsonl`));
  const filler = 'x'.repeat(Math.max(0, bodyBytes - 80));
  const t0 = Date.UTC(2026, 8, 1, 9);
  for (let v = saves - 1; v >= 0; v--) {
    const records = [];
    const spans = [];
    for (let s = 0; s < students; s++) {
      const id = `2026${String(part * students + s).padStart(5, '0')}`;
      const body = `// ${id} version ${v}\nint main(void) { return ${v}; }\n/* ${filler} */\n`;
      const sha = createHash('sha256').update(body).digest('hex');
      const t = t0 + s * 1000 + v * 60_000;
      records.push({
        timeUnixNano: ns(t), eventName: 'jcode.file.save', body: { stringValue: body },
        attributes: [...edu(id, 'hw1'), kv('file.path', 'hw1/main.c'), kv('jcode.file.sha256', sha), ...(v > 0 ? [kv('jcode.file.previous_sha256', 'p')] : [])],
      });
      const failed = v % 3 === 1;
      const trace = createHash('md5').update(`${id}-${v}`).digest('hex');
      spans.push({
        traceId: trace, spanId: trace.slice(0, 16), name: 'gcc', startTimeUnixNano: ns(t + 2000), endTimeUnixNano: ns(t + 2100), status: failed ? { code: 2 } : {},
        attributes: [...edu(id, 'hw1'), kv('jcode.exec.kind', 'compile'), kv('process.executable.name', 'gcc'), kv('process.exit.code', failed ? 1 : 0)],
        events: failed ? [{ name: 'jcode.diagnostic', timeUnixNano: ns(t + 2050), attributes: [kv('jcode.diagnostic.severity', 'error'), kv('jcode.diagnostic.message', "expected ‘;’ before ‘}’ token"), kv('jcode.diagnostic.line', 2)] }] : [],
      });
      if (!failed) spans.push({ traceId: trace, spanId: trace.slice(16), parentSpanId: trace.slice(0, 16), name: 'run', startTimeUnixNano: ns(t + 3000), endTimeUnixNano: ns(t + 3010), attributes: [...edu(id, 'hw1'), kv('jcode.exec.kind', 'run'), kv('process.exit.code', 0)] });
    }
    // Batches of 64 records per line, like the SDK's batch processor.
    for (let i = 0; i < records.length; i += 64) {
      if (!logs.write(JSON.stringify({ resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ scope: { name: 'jcode-watcher' }, logRecords: records.slice(i, i + 64) }] }] }) + '\n')) await once(logs, 'drain');
    }
    for (let i = 0; i < spans.length; i += 64) {
      if (!traces.write(JSON.stringify({ resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: { name: 'jcode-watcher' }, spans: spans.slice(i, i + 64) }] }] }) + '\n')) await once(traces, 'drain');
    }
  }
  await Promise.all([new Promise((r) => logs.end(r)), new Promise((r) => traces.end(r))]);
  return statSync(path.join(dir, `logs-${part}.jsonl`)).size + statSync(path.join(dir, `traces-${part}.jsonl`)).size;
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'jcw-export-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('jcode-watcher export progsnap2 / report', () => {
  it('exports a semester to a conforming dataset and reports struggle metrics as a table, CSV and Prometheus text', async () => {
    const d = tmp();
    await generate(path.join(d, 'in'), 3, 6, 200);
    const ex = await run(['export', 'progsnap2', '--from', path.join(d, 'in'), '--out', path.join(d, 'ds'), '--term', 'Fall 2026']);
    expect(ex.stderr).toBe('');
    expect(ex.code).toBe(0);
    // 3 students × (6 saves: 1 File.Create + 5 File.Edit, 6 compiles of which 2 fail with one error each, 4 runs):
    // 3 + 15 + 18 + 6 + 12 = 54 rows.
    expect(ex.stdout).toContain(': 54 events (File.Create 3, Compile 18, Run.Program 12, File.Edit 15, Compile.Error 6), 18 code states');
    expect(validateProgsnap2(path.join(d, 'ds'))).toEqual([]);
    expect(readdirSync(path.join(d, 'ds', 'CodeStates'))).toHaveLength(18);

    const rep = await run(['report', '--from', path.join(d, 'in'), '--out', path.join(d, 'report.csv'), '--gap', '5m', '--prom', path.join(d, 'report.prom')]);
    expect(rep.code).toBe(0);
    expect(rep.stdout.split('\n')[0]).toMatch(/^subject\s+course\s+section\s+assignment\s+compiles\s+failed\s+EQ\s+Watwin\s+RED\s+time on task\s+sessions$/);
    const csv = parseCsv(readFileSync(path.join(d, 'report.csv'), 'utf8'));
    expect(csv).toHaveLength(4);
    const row = Object.fromEntries(csv[0]!.map((h, i) => [h, csv[1]![i]!]));
    // Per student: compiles ok, ✗, ok, ok, ✗, ok (v = 0..5; v % 3 = 1 fails): no two failures in a row → EQ 0;
    // no repeated error → RED 0. Events every minute (save +0 s, compile +2 s, run +3 s): 5 × 60 + 3 = 303 s active.
    expect(row).toMatchObject({ subject: '202600000', course: 'os', section: '1', assignment: 'hw1', compiles: '6', failed_compiles: '2', compiles_with_diagnostics: '2', eq: '0.0000', red: '0.0000', active_seconds: '303', sessions: '1' });
    const prom = readFileSync(path.join(d, 'report.prom'), 'utf8');
    expect(prom).toContain('jcode_watcher_report_students{course="os",assignment="hw1"} 3');
    expect(prom).not.toContain('2026000');
  });

  it('rejects bad arguments with exit code 2 and a message', async () => {
    const d = tmp();
    const a = await run(['export', 'progsnap2', '--from', path.join(d, 'missing'), '--out', path.join(d, 'ds')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/no such directory/);
    const b = await run(['export', 'csv', '--from', d, '--out', path.join(d, 'ds')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown format "csv"/);
    const c = await run(['report', '--from', d, '--gap', 'soon']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--gap soon/);
  });

  it('exports a few hundred MB with bounded memory (streamed, sorted on disk)', async () => {
    // 1,000 students × 60 saves of 4 KB, a compile and a run after each save: about 340 MB of OTLP JSON lines.
    // The exporter runs with V8's heap capped at 64 MB: if anything it keeps grew with the input, it would die
    // of heap exhaustion long before the end. Its peak RSS (heap, buffers and Node's fixed ~100 MB) is printed.
    const d = tmp();
    const bytes = await generate(path.join(d, 'in'), 1000, 60, 4000);
    const ex = await run(['export', 'progsnap2', '--from', path.join(d, 'in'), '--out', path.join(d, 'ds')], { direct: true, heapMb: 64 });
    expect(ex.code, ex.stderr).toBe(0);
    const rss = Number(/maxrss_kb=(\d+)/.exec(ex.stderr)![1]) * 1024;
    process.stderr.write(`export: input ${(bytes / 1e6) | 0} MB, peak RSS ${(rss / 1e6) | 0} MB (heap capped at 64 MB); ${ex.stdout}`);
    expect(bytes).toBeGreaterThan(300e6);
    expect(ex.stdout).toContain(': 180000 events');
    expect(rss).toBeLessThan(bytes);
  }, 600_000);
});
