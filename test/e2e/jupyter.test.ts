// Jupyter cells as spans, end to end: a real IPython kernel (nbclient, ipykernel) with the jcode_jupyter
// extension pip-installed and loaded from the kernel's profile, as a course image does, exporting to a real
// agent (the CLI, a separate process) that validates the spans and writes them to traces.jsonl; the executed
// notebook saved in the workspace becomes a save record with its outcome vector.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { jupyterPython, readSpans, runNotebook, type CellSpec, type SpanRow } from '../helpers/jupyter.ts';
import { readLogs, waitFor } from '../helpers/otlp.ts';
import { freePort } from '../helpers/ports.ts';

const CELLS: CellSpec[] = [
  { type: 'markdown', source: 'Lab 3' },
  { type: 'code', source: 'total = sum(range(10))\ntotal' },
  { type: 'code', source: 'print(total / 0)' },
  { type: 'code', source: 'print(undefined_name)' },
  { type: 'code', source: "print('done')" },
];

let dir = '';
let ipythonDir = '';
let agent: CliProc;
let port = 0;
const spans = () => readSpans(path.join(dir, 'out/traces.jsonl')).filter((s) => s.name === 'jcode.jupyter.cell');
const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body, headers });

beforeAll(async () => {
  jupyterPython();
  dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-jupyter-'));
  mkdirSync(path.join(dir, 'ws/ds-2-202412345/lab3'), { recursive: true });
  // The documented install: the kernel profile loads the extension in every kernel.
  ipythonDir = path.join(dir, 'ipython');
  mkdirSync(path.join(ipythonDir, 'profile_default'), { recursive: true });
  writeFileSync(path.join(ipythonDir, 'profile_default/ipython_kernel_config.py'), "c.InteractiveShellApp.extensions = ['jcode_jupyter']\n");
  writeFileSync(path.join(dir, 'c.yaml'), 'exec:\n  enabled: false\nfiles:\n  debounce_ms: 100\njupyter:\n  max_request_bytes: 65536\n');
  port = await freePort();
  agent = startCli(['run', '--config', path.join(dir, 'c.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out'), '--http-port', String(port)]);
  await agent.ready();
}, 600_000);

afterAll(async () => {
  agent?.child.kill('SIGTERM');
  await agent?.exit;
  rmSync(dir, { recursive: true, force: true });
});

describe('Jupyter cells as spans', () => {
  it('exports one span per cell run in a real kernel, with outcome, exception and student attributes', async () => {
    const notebook = path.join(dir, 'ws/ds-2-202412345/lab3/analysis.ipynb');
    // Jupyter Server tells the kernel its notebook as JPY_SESSION_NAME; no JCODE_* student variables here, so the
    // agent finds the student from the notebook's path in its workspaces root.
    await runNotebook(CELLS, notebook, { env: { IPYTHONDIR: ipythonDir, JCODE_JUPYTER_ENDPOINT: `http://127.0.0.1:${port}`, JPY_SESSION_NAME: notebook } });
    const got = await waitFor(() => spans().length >= 4 && spans(), 'four cell spans');
    expect(got).toHaveLength(4);
    const byCount = new Map<number, SpanRow>(got.map((s) => [Number(s.attributes['jcode.jupyter.execution_count']), s]));
    expect([...byCount.keys()].sort()).toEqual([1, 2, 3, 4]);
    const code = CELLS.filter((c) => c.type === 'code');
    for (const [i, c] of code.entries()) {
      const s = byCount.get(i + 1)!;
      expect(s.attributes).toMatchObject({
        'edu.course': 'ds', 'edu.section': '2', 'edu.student.id': '202412345', 'edu.assignment': 'lab3',
        'jcode.attribution': 'path', 'file.path': 'lab3/analysis.ipynb', 'jcode.jupyter.notebook_path': notebook,
        'jcode.jupyter.cell.sha256': createHash('sha256').update(c.source).digest('hex'),
        'jcode.jupyter.cell.size': Buffer.byteLength(c.source),
        'jcode.jupyter.cell.lines': c.source.split('\n').length,
      });
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
      expect(s.resource['service.name']).toBe('jcode-watcher');
    }
    expect(new Set(got.map((s) => s.attributes['jcode.jupyter.session.id'])).size).toBe(1);
    expect(new Set(got.map((s) => s.traceId)).size).toBe(4);
    expect(byCount.get(1)!.status.code).toBe(1);
    expect(byCount.get(4)!.status.code).toBe(1);
    const zero = byCount.get(2)!;
    expect(zero.status).toEqual({ code: 2, message: 'ZeroDivisionError: division by zero' });
    expect(zero.attributes['error.type']).toBe('ZeroDivisionError');
    expect(zero.events).toEqual([{ name: 'exception', attributes: { 'exception.type': 'ZeroDivisionError', 'exception.message': 'division by zero' } }]);
    const name = byCount.get(3)!;
    expect(name.attributes['error.type']).toBe('NameError');
    expect(name.events[0]!.attributes['exception.message']).toBe("name 'undefined_name' is not defined");
    expect(await agent.metric('jcode_watcher_jupyter_spans_total{outcome="accepted"}')).toBe(4);

    // The notebook the kernel ran, saved in the workspace: its save record has the outcome of each cell.
    const save = await waitFor(() => readLogs(path.join(dir, 'out/logs.jsonl')).find((r) => r.eventName === 'jcode.file.save' && r.attributes['file.path'] === 'lab3/analysis.ipynb'), 'the notebook save');
    expect(save.attributes['jcode.notebook.cell_outcomes']).toEqual(['ok', 'error', 'error', 'stream']);
    expect(save.attributes['jcode.notebook.cell_count']).toBe(5);
    expect(save.attributes['edu.student.id']).toBe('202412345');
  }, 300_000);

  it('takes the student from the kernel environment or the pod host name, and validates what it is sent', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (name: string, attributes: object[], id: string) => ({
      traceId: id.repeat(32 / id.length), spanId: id.repeat(16 / id.length), name, kind: 1,
      startTimeUnixNano: String(now - 5_000_000n), endTimeUnixNano: String(now), status: { code: 1 }, attributes,
    });
    const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const request = (...s: object[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [str('service.name', 'x')] }, scopeSpans: [{ spans: s }] }] });

    // A pod whose host name follows the pattern; an attribute outside the schema and one of the wrong type are dropped.
    let r = await post(request(
      span('jcode.jupyter.cell', [str('jcode.process.hostname', 'jcode-os-1-777-5d9f-xk2'), str('evil.attr', 'x'), { key: 'process.pid', value: { stringValue: 'nan' } }], 'a1'),
      span('jcode.jupyter.cell', [str('edu.course', 'os'), str('edu.section', '3'), str('edu.student.id', '888'), str('edu.assignment', 'hw9')], 'b2'),
      span('gcc', [], 'c3'),
      { ...span('jcode.jupyter.cell', [], 'd4'), traceId: 'xyz' },
      { ...span('jcode.jupyter.cell', [], 'e5'), startTimeUnixNano: '1', endTimeUnixNano: '2' },
    ));
    expect(r.status).toBe(200);
    const partial = (await r.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(partial.partialSuccess.rejectedSpans).toBe('3');
    expect(partial.partialSuccess.errorMessage).toMatch(/span name must be jcode\.jupyter\.cell.*traceId.*a year/);
    const host = await waitFor(() => spans().find((s) => s.spanId === 'a1'.repeat(8)), 'the host-named span');
    expect(host.attributes).toMatchObject({ 'edu.course': 'os', 'edu.section': '1', 'edu.student.id': '777', 'jcode.attribution': 'hostname' });
    expect(host.attributes['evil.attr']).toBeUndefined();
    expect(host.attributes['process.pid']).toBeUndefined();
    expect(host.resource['k8s.pod.name']).toBe('jcode-os-1-777-5d9f-xk2');
    const env = await waitFor(() => spans().find((s) => s.spanId === 'b2'.repeat(8)), 'the kernel-named span');
    expect(env.attributes).toMatchObject({ 'edu.course': 'os', 'edu.section': '3', 'edu.student.id': '888', 'edu.assignment': 'hw9', 'jcode.attribution': 'kernel' });
    expect(spans().some((s) => ['c3', 'd4', 'e5'].some((id) => s.spanId === id.repeat(16 / id.length)))).toBe(false);

    // Whole requests rejected at the edge, each counted.
    expect((await post('{"resourceSpans": [', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await post('{"resourceSpans": 5}')).status).toBe(400);
    expect((await post('\n\x0a\x02', { 'content-type': 'application/x-protobuf' })).status).toBe(415);
    expect((await post(request(span('jcode.jupyter.cell', [str('jcode.jupyter.notebook_path', 'x'.repeat(70_000))], 'f6')))).status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${port}/v1/traces`)).status).toBe(405);
    expect(await agent.metric('jcode_watcher_otlp_http_requests_total{result="partial"}')).toBe(1);
    expect(await agent.metric('jcode_watcher_otlp_http_requests_total{result="bad_json"}')).toBe(1);
    expect(await agent.metric('jcode_watcher_otlp_http_requests_total{result="bad_request"}')).toBe(1);
    expect(await agent.metric('jcode_watcher_otlp_http_requests_total{result="unsupported_media_type"}')).toBe(1);
    expect(await agent.metric('jcode_watcher_otlp_http_requests_total{result="too_large"}')).toBe(1);
    expect(await agent.metric('jcode_watcher_jupyter_spans_total{outcome="rejected"}')).toBe(3);
    expect((await agent.get('/healthz')).status).toBe(200);
  }, 120_000);

  it('never breaks the kernel when the agent is unreachable: cells run, failures are counted', async () => {
    const closed = await freePort();
    const out = path.join(dir, 'offline.ipynb');
    await runNotebook([
      { type: 'code', source: 'a = 1\na' },
      { type: 'code', source: '1 / 0' },
      { type: 'code', source: 'import time, jcode_jupyter\ntime.sleep(3)\nprint(jcode_jupyter.stats())' },
    ], out, { env: { IPYTHONDIR: ipythonDir, JCODE_JUPYTER_ENDPOINT: `http://127.0.0.1:${closed}` } });
    const nb = JSON.parse(readFileSync(out, 'utf8')) as { cells: { outputs: { output_type: string; text?: string | string[] }[] }[] };
    expect(nb.cells[0]!.outputs.map((o) => o.output_type)).toEqual(['execute_result']);
    expect(nb.cells[1]!.outputs.map((o) => o.output_type)).toEqual(['error']);
    const printed = [nb.cells[2]!.outputs.find((o) => o.output_type === 'stream')!.text!].flat().join('');
    expect(printed).toContain(`'endpoint': 'http://127.0.0.1:${closed}/v1/traces'`);
    expect(printed).toMatch(/'sent': 0, 'dropped': 0, 'failed': 2/);
    expect(printed).toMatch(/Connection refused/);
  }, 300_000);
});
