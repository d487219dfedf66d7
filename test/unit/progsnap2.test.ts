// The ProgSnap2 export against the spec: saves recorded by the real agent (real inotify) plus constructed
// compile/run traces (what the eBPF receiver emits, built by hand so the diagnostics are known).
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../helpers/agent.ts';
import { parseCsv } from '../../research/csv.ts';
import { normaliseMessage } from '../../research/diagnostics.ts';
import { exportProgsnap2, ExportError } from '../../research/progsnap2.ts';
import { validateProgsnap2 } from '../../research/validate.ts';

const kv = (key: string, v: string | number | boolean | string[]) => ({
  key,
  value: Array.isArray(v) ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } : typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : { intValue: String(v) },
});

interface SpanSpec {
  trace: string;
  span: string;
  parent?: string;
  name: string;
  kind: string;
  startMs: number;
  durMs: number;
  attrs?: Record<string, string | number | boolean | string[]>;
  error?: boolean;
  events?: { name: string; attrs: Record<string, string | number> }[];
}

/** One ExportTraceServiceRequest line, in the JSON form the agent's file exporter writes. */
function traceLine(spans: SpanSpec[]): string {
  const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [kv('service.name', 'jcode-watcher'), kv('service.version', '0.1.0')] },
      scopeSpans: [{
        scope: { name: 'jcode-watcher' },
        spans: spans.map((s) => ({
          traceId: s.trace.padEnd(32, '0'), spanId: s.span.padEnd(16, '0'), parentSpanId: s.parent?.padEnd(16, '0'), name: s.name, kind: 1,
          startTimeUnixNano: ns(s.startMs), endTimeUnixNano: ns(s.startMs + s.durMs),
          attributes: Object.entries({ 'edu.course': 'os', 'edu.section': '1', 'edu.student.id': '202012180', 'edu.assignment': 'hw1', 'jcode.exec.kind': s.kind, ...s.attrs }).map(([k, v]) => kv(k, v)),
          events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: ns(s.startMs + 1), attributes: Object.entries(e.attrs).map(([k, v]) => kv(k, v)) })),
          status: s.error ? { code: 2 } : {},
        })),
      }],
    }],
  });
}

type Rows = Record<string, string>[];
function mainTable(dir: string): Rows {
  const [header, ...rows] = parseCsv(readFileSync(path.join(dir, 'MainTable.csv'), 'utf8'));
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const MAIN_C_V1 = 'int main(void) {\n  printf("hi")\n}\n';
const MAIN_C_V2 = '#include <stdio.h>\nint main(void) {\n  printf("hi\\n");\n  return 0;\n}\n';

describe('export progsnap2', () => {
  let t: TestAgent;
  let tmp: string;
  let out: string;
  let rows: Rows;
  let lastSaveMs = 0;

  beforeAll(async () => {
    t = await startTestAgent();
    const hw = path.join(t.ws, 'os-1-202012180', 'hw1');
    mkdirSync(hw, { recursive: true });
    const save = async (rel: string, text: string) => {
      writeFileSync(path.join(hw, rel), text);
      await t.waitForLog((r) => r.eventName === 'jcode.file.save' && r.attributes['file.path'] === `hw1/${rel}` && r.body === text, `save of ${rel}`);
    };
    await save('main.c', MAIN_C_V1);
    await save('util.h', '#define N 3\n');
    await save('notes.txt.c', 'x');
    renameSync(path.join(hw, 'notes.txt.c'), path.join(hw, 'scratch.c'));
    await t.waitForLog((r) => r.eventName === 'jcode.file.rename', 'rename');
    unlinkSync(path.join(hw, 'util.h'));
    await t.waitForLog((r) => r.eventName === 'jcode.file.delete', 'delete');
    lastSaveMs = Math.max(...t.logs().map((r) => Number(BigInt(r.timeUnixNano) / 1_000_000n)));
    const c1 = lastSaveMs + 5;
    // Compile 1 fails with an error (and a note, which is context, not an entry); its warning is a Compile.Warning.
    const lines = [traceLine([
      { trace: 'a1', span: 'b1', name: 'gcc', kind: 'compile', startMs: c1, durMs: 40, error: true, attrs: { 'process.executable.name': 'gcc', 'process.exit.code': 1, 'error.type': '1' },
        events: [
          { name: 'jcode.diagnostic', attrs: { 'jcode.diagnostic.severity': 'warning', 'jcode.diagnostic.message': "implicit declaration of function ‘printf’", 'jcode.diagnostic.file': 'main.c', 'jcode.diagnostic.line': 2, 'jcode.diagnostic.column': 3 } },
          { name: 'jcode.diagnostic', attrs: { 'jcode.diagnostic.severity': 'error', 'jcode.diagnostic.message': "expected ‘;’ before ‘}’ token", 'jcode.diagnostic.file': 'main.c', 'jcode.diagnostic.line': 2, 'jcode.diagnostic.column': 15 } },
          { name: 'jcode.diagnostic', attrs: { 'jcode.diagnostic.severity': 'note', 'jcode.diagnostic.message': 'each undeclared identifier is reported only once' } },
        ] },
      { trace: 'a1', span: 'b2', parent: 'b1', name: 'cc1', kind: 'toolchain', startMs: c1 + 1, durMs: 30 },
    ])];
    writeFileSync(path.join(t.out, 'traces.jsonl'), lines.join('\n') + '\n');
    // The fix is saved (after the failed compile), then compiled and run several ways.
    await new Promise((r) => setTimeout(r, 50));
    await save('main.c', MAIN_C_V2);
    lastSaveMs = Math.max(...t.logs().map((r) => Number(BigInt(r.timeUnixNano) / 1_000_000n)));
    const c2 = lastSaveMs + 1000;
    appendFileSync(path.join(t.out, 'traces.jsonl'), [
      traceLine([
        { trace: 'a2', span: 'c1', name: 'gcc', kind: 'compile', startMs: c2, durMs: 50, attrs: { 'process.executable.name': 'gcc', 'process.exit.code': 0 } },
        { trace: 'a2', span: 'c2', parent: 'c1', name: 'run', kind: 'run', startMs: c2 + 100, durMs: 5, attrs: { 'process.executable.name': 'hw1', 'process.exit.code': 0 } },
        { trace: 'a2', span: 'c3', parent: 'c1', name: 'run', kind: 'run', startMs: c2 + 200, durMs: 5, error: true, attrs: { 'process.executable.name': 'hw1', 'jcode.process.signal': 'SIGSEGV', 'error.type': 'SIGSEGV' } },
        { trace: 'a2', span: 'c4', parent: 'c1', name: 'run', kind: 'run', startMs: c2 + 300, durMs: 900, error: true, attrs: { 'process.executable.name': 'hw1', 'jcode.process.signal': 'SIGINT', 'error.type': 'SIGINT' } },
      ]),
      traceLine([
        { trace: 'a3', span: 'd1', name: 'run', kind: 'run', startMs: c2 + 1500, durMs: 0, error: true, attrs: { 'process.executable.name': 'nothere', 'jcode.exec.failed': true, 'error.type': 'ENOENT', 'jcode.process.errno': 'ENOENT' } },
        { trace: 'a4', span: 'e1', name: 'python3', kind: 'interpret', startMs: c2 + 1600, durMs: 30, error: true, attrs: { 'process.executable.name': 'python3', 'process.exit.code': 1, 'error.type': '1' } },
        { trace: 'a5', span: 'f1', name: 'jcode.jupyter.cell', kind: '', startMs: c2 + 1700, durMs: 3, error: true, events: [{ name: 'exception', attrs: { 'exception.type': 'ZeroDivisionError', 'exception.message': 'division by zero' } }] },
        { trace: 'a6', span: 'g1', name: 'make', kind: 'build', startMs: c2 + 1800, durMs: 10 },
      ]),
      // A line that is not OTLP and one metrics request: skipped, counted, never fatal.
      'not json at all',
      JSON.stringify({ resourceMetrics: [] }),
    ].join('\n') + '\n');
    await t.stop();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'jcw-ps2-'));
    out = path.join(tmp, 'dataset');
    const r = await exportProgsnap2({ from: t.out, out, termId: 'Fall 2026', contact: 'Test Person <test@example.edu>' });
    expect(r.stats.badLines).toBe(1);
    rows = mainTable(out);
  }, 60_000);

  afterAll(async () => {
    await t?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('conforms to the spec: required files, columns, types, unique IDs, code states, parents, increasing Order', () => {
    expect(validateProgsnap2(out)).toEqual([]);
    const meta = parseCsv(readFileSync(path.join(out, 'DatasetMetadata.csv'), 'utf8'));
    expect(meta).toEqual([['Property', 'Value'], ['Version', '1.0'], ['IsEventOrderingConsistent', 'true'], ['EventOrderScope', 'Global'], ['EventOrderScopeColumns', ''], ['CodeStateRepresentation', 'Directory']]);
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toContain('Contact: Test Person <test@example.edu>');
    // The work directory (sort runs, blobs) is gone.
    expect(readdirSync(out).sort()).toEqual(['CodeStates', 'DatasetMetadata.csv', 'MainTable.csv', 'README.txt']);
  });

  it('maps saves to File.Create/Edit/Rename/Delete with the content in the code state', () => {
    const types = rows.map((r) => `${r.EventType} ${r.CodeStateSection}${r.DestinationCodeStateSection ? ' → ' + r.DestinationCodeStateSection : ''}`);
    expect(types.filter((x) => x.startsWith('File.'))).toEqual([
      'File.Create hw1/main.c', 'File.Create hw1/util.h', 'File.Create hw1/notes.txt.c', 'File.Rename hw1/notes.txt.c → hw1/scratch.c', 'File.Delete hw1/util.h', 'File.Edit hw1/main.c',
    ]);
    for (const r of rows) {
      expect(r.SubjectID).toBe('202012180');
      expect(r.CourseID).toBe('os');
      expect(r.CourseSectionID).toBe('os-1');
      expect(r.AssignmentID).toBe('hw1');
      expect(r.TermID).toBe('Fall 2026');
      expect(r.ServerTimezone).toBe('+0000');
    }
    // After the delete, the state holds main.c (v1) and scratch.c; util.h is gone.
    const del = rows.find((r) => r.EventType === 'File.Delete')!;
    const cs = path.join(out, 'CodeStates', del.CodeStateID!);
    expect(readFileSync(path.join(cs, 'hw1/main.c'), 'utf8')).toBe(MAIN_C_V1);
    expect(readFileSync(path.join(cs, 'hw1/scratch.c'), 'utf8')).toBe('x');
    expect(readdirSync(path.join(cs, 'hw1')).sort()).toEqual(['main.c', 'scratch.c']);
  });

  it('a compile gets the code state after the last save before it, and its diagnostics as Compile.Error/Warning rows', () => {
    const [c1, c2] = rows.filter((r) => r.EventType === 'Compile');
    expect(c1).toMatchObject({ EventID: 'a1'.padEnd(32, '0') + '-' + 'b1'.padEnd(16, '0'), CompileResult: 'Error', 'X-ExitCode': '1', ToolInstances: 'gcc; JCode Watcher 0.1.0' });
    expect(readFileSync(path.join(out, 'CodeStates', c1!.CodeStateID!, 'hw1/main.c'), 'utf8')).toBe(MAIN_C_V1);
    expect(c2!.CompileResult).toBe('Success');
    expect(readFileSync(path.join(out, 'CodeStates', c2!.CodeStateID!, 'hw1/main.c'), 'utf8')).toBe(MAIN_C_V2);
    const diags = rows.filter((r) => r.ParentEventID === c1!.EventID);
    expect(diags.map((d) => [d.EventType, d.CompileMessageType, d.CompileMessageData, d.SourceLocation, d.CodeStateSection])).toEqual([
      ['Compile.Warning', "implicit declaration of function '…'", 'implicit declaration of function ‘printf’', 'Text:2:3', 'main.c'],
      ['Compile.Error', "expected '…' before '…' token", 'expected ‘;’ before ‘}’ token', 'Text:2:15', 'main.c'],
    ]);
    // Rows of one compile stay together, right after it.
    const i = rows.indexOf(c1!);
    expect(rows.slice(i + 1, i + 3)).toEqual(diags);
    // Toolchain and build spans are represented by their compiles.
    expect(rows.some((r) => r.ToolInstances?.startsWith('cc1') || r.ToolInstances?.startsWith('make'))).toBe(false);
  });

  it('maps runs to Run.Program with ExecutionResult: exit 0, crash, stopped, failed exec, Python, Jupyter cell', () => {
    const runs = rows.filter((r) => r.EventType === 'Run.Program').map((r) => [r.ExecutionResult, r['X-Signal'] || r['X-Errno'] || r['X-ExceptionType'], r['X-Language']]);
    expect(runs).toEqual([
      ['Success', '', 'native'], ['Error', 'SIGSEGV', 'native'], ['Timeout', 'SIGINT', 'native'], ['Error', 'ENOENT', 'native'], ['Error', '', 'python'], ['Error', 'ZeroDivisionError', 'jupyter'],
    ]);
    const run = rows.find((r) => r.EventType === 'Run.Program')!;
    expect(run.ExecutionID).toBe(run.EventID);
    expect(run['X-TraceID']).toBe('a2'.padEnd(32, '0'));
  });

  it('reads gzipped and rotated copies, drops duplicate records, and sorts out-of-order input by time', async () => {
    // The same records three times: plain, as a rotated .gz, and the traces reversed line by line.
    const from = path.join(tmp, 'collector');
    mkdirSync(from);
    const logs = readFileSync(path.join(t.out, 'logs.jsonl'));
    writeFileSync(path.join(from, 'logs.jsonl'), logs);
    writeFileSync(path.join(from, 'logs.jsonl.1.gz'), gzipSync(logs));
    const traces = readFileSync(path.join(t.out, 'traces.jsonl'), 'utf8').split('\n').filter(Boolean).reverse().join('\n');
    writeFileSync(path.join(from, 'traces-2026-11-30T07-00-00.json'), traces + '\n');
    const again = path.join(tmp, 'dataset2');
    // A tiny sort run size forces the on-disk merge.
    const r = await exportProgsnap2({ from, out: again, sortRunBytes: 2000 });
    expect(r.stats.sortRuns).toBeGreaterThan(2);
    expect(r.stats.duplicates).toBe(rows.filter((x) => x.EventType.startsWith('File.')).length);
    expect(validateProgsnap2(again)).toEqual([]);
    const strip = (rs: Rows) => rs.map((x) => ({ ...x, TermID: '' }));
    expect(strip(mainTable(again))).toEqual(strip(rows));
  });

  it('refuses a non-empty output directory and a missing input directory', async () => {
    await expect(exportProgsnap2({ from: t.out, out })).rejects.toBeInstanceOf(ExportError);
    await expect(exportProgsnap2({ from: path.join(tmp, 'nope'), out: path.join(tmp, 'x') })).rejects.toThrow(/no such directory/);
  });

  it('normalises messages so the same mistake has one type', () => {
    expect(normaliseMessage("main.c:4:5: error: expected ‘,’ or ‘;’ before ‘printf’")).toBe("expected '…' or '…' before '…'");
    expect(normaliseMessage("unused variable 'x' [-Wunused-variable]")).toBe("unused variable '…'");
    expect(normaliseMessage('array index 10 is past the end')).toBe('array index N is past the end');
  });
});
