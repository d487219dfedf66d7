// The real pipeline end to end: the agent (real inotify, real eBPF) → the Collector built from the shipped
// manifest and config → the Analytics API bridge → the Analytics API fake, Jaeger v2 and Prometheus, all on
// 127.0.0.1. Students save, compile and run; the Collector goes away for a minute; the agent is SIGKILLed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBpf } from '../helpers/bpf.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { waitFor } from '../helpers/otlp.ts';
import { BUILD_TIMEOUT_MS, fail, provisionStack, startStack, stopStack, type Stack } from '../helpers/stack.ts';

const run = requireBpf();
const STUDENT = '202012180';

describe.runIf(run)('agent → Collector → Analytics API, Jaeger and Prometheus', () => {
  let dir = '';
  let stack: Stack;
  let agent: CliProc;
  let args: string[];
  let env: NodeJS.ProcessEnv;
  const hw = (n: string) => path.join(dir, 'ws', `os-1-${STUDENT}`, n);
  const service = `jcw-pipeline-${process.pid}`;

  beforeAll(async () => {
    const { bins, error } = await provisionStack();
    // Not skippable: this is the product's path; a missing part is a failure.
    if (!bins) throw new Error(error);
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-pipeline-'));
    stack = await startStack(dir, bins);
    for (const n of ['hw1', 'hw2', 'hw3']) mkdirSync(hw(n), { recursive: true });
    writeFileSync(path.join(dir, 'agent.yaml'), 'output:\n  console: false\n  metrics_interval_s: 1\nfiles:\n  debounce_ms: 100\nexec:\n  drain_ms: 50\n');
    args = ['run', '--config', path.join(dir, 'agent.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out'), '--http-port', '0'];
    env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${stack.port.grpc}`, OTEL_SERVICE_NAME: service };
    agent = startCli(args, { env });
    await agent.ready();
  }, BUILD_TIMEOUT_MS * 2);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await stopStack(stack);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a save, a compile and a crashing run reach the API, Jaeger and Prometheus', async () => {
    const src = '#include <stdio.h>\nint main(void) { int *p = 0; printf("%d\\n", *p); return 0; }\n';
    writeFileSync(path.join(hw('hw1'), 'main.c'), src);
    const snap = await waitFor(() => stack.fake.of('snapshot').find((c) => c.filename === 'main.c'), fail('the snapshot call')(stack.collector), 60_000);
    expect(snap).toMatchObject({ classDiv: 'os-1', hwName: 'hw1', studentId: Number(STUDENT), body: { bytes: Buffer.byteLength(src) } });

    spawnSync('/bin/bash', ['-c', 'gcc -o hw1 main.c && ./hw1'], { cwd: hw('hw1') });
    const build = await waitFor(() => stack.fake.of('build').find((c) => c.hwName === 'hw1'), 'the build call', 60_000);
    expect(build.body.exit_code).toBe(0);
    const runCall = await waitFor(() => stack.fake.of('run').find((c) => c.hwName === 'hw1'), 'the run call', 60_000);
    expect(runCall.body).toMatchObject({ exit_code: 139, process_type: 'binary' });

    // 1. The trace in Jaeger: the compile root and the run as its child, with the student's attributes.
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const q = `http://127.0.0.1:${stack.port.jHttp}/api/v3/traces?query.service_name=${encodeURIComponent(service)}`
      + `&query.start_time_min=${encodeURIComponent(iso(now - 300_000))}&query.start_time_max=${encodeURIComponent(iso(now + 60_000))}&query.num_traces=50&query.search_depth=50`;
    type JSpan = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes: { key: string; value: { stringValue?: string } }[] };
    const jspans = await waitFor(async () => {
      const r = await fetch(q);
      if (r.status !== 200) return undefined;
      const j = (await r.json()) as { result?: { resourceSpans?: { scopeSpans: { spans: JSpan[] }[] }[] } };
      const all = (j.result?.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      return all.some((s) => s.name === 'run') && all.some((s) => s.name === 'gcc') ? all : undefined;
    }, fail(`the trace in Jaeger (${q})`)(stack.jaeger), 60_000);
    const hex = (id: string | undefined) => (id === undefined || /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
    const gcc = jspans.find((s) => s.name === 'gcc')!;
    const runSpan = jspans.find((s) => s.name === 'run')!;
    expect(hex(runSpan.traceId)).toBe(hex(gcc.traceId));
    expect(hex(runSpan.parentSpanId)).toBe(hex(gcc.spanId));
    const attr = (s: JSpan, k: string) => s.attributes.find((a) => a.key === k)?.value.stringValue;
    expect(attr(runSpan, 'edu.student.id')).toBe(STUDENT);
    expect(attr(runSpan, 'jcode.process.signal')).toBe('SIGSEGV');
    expect(attr(gcc, 'edu.assignment')).toBe('hw1');

    // 2. A compile error's span in Jaeger shows the error and its line (a `jcode.diagnostic` span event).
    writeFileSync(path.join(hw('hw1'), 'broken.c'), 'int main(void) {\n  return missing + 1;\n}\n');
    spawnSync('/bin/bash', ['-c', 'gcc -o broken broken.c'], { cwd: hw('hw1') });
    type JEvent = { name: string; attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[] };
    const failed = await waitFor(async () => {
      const r = await fetch(q);
      if (r.status !== 200) return undefined;
      const j = (await r.json()) as { result?: { resourceSpans?: { scopeSpans: { spans: (JSpan & { events?: JEvent[] })[] }[] }[] } };
      const all = (j.result?.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      return all.find((s) => s.name === 'gcc' && (s.events ?? []).some((e) => e.name === 'jcode.diagnostic'));
    }, fail('the failed compile with its diagnostic in Jaeger')(stack.jaeger), 60_000);
    const ev = failed.events!.find((e) => e.name === 'jcode.diagnostic')!;
    const evAttr = (k: string) => ev.attributes.find((a) => a.key === k)?.value;
    expect(evAttr('jcode.diagnostic.severity')?.stringValue).toBe('error');
    expect(Number(evAttr('jcode.diagnostic.line')?.intValue)).toBe(2);
    expect(evAttr('jcode.diagnostic.message')?.stringValue).toMatch(/missing/);

    // 3. Span metrics and the agent's own metrics in Prometheus.
    await waitFor(async () => (await stack.promQuery('traces_span_metrics_calls_total{jcode_exec_kind="compile",edu_course="os",edu_assignment="hw1"}')).length > 0 || undefined, fail('span metrics in Prometheus')(stack.collector), 60_000);
    const saves = await waitFor(async () => {
      const r = await stack.promQuery('jcode_watcher_file_events_total{event="save"}');
      return r.length ? r : undefined;
    }, 'agent metrics in Prometheus', 60_000);
    expect(Number(saves[0]!.value[1])).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('with the Collector stopped for 60 s while 1,000 saves happen, every save arrives exactly once after it restarts', async () => {
    await stack.collector.stop();
    const stoppedAt = Date.now();
    const N = 1000;
    for (let i = 0; i < N; i++) {
      writeFileSync(path.join(hw('hw2'), `f${i}.c`), `int v${i} = ${i};\n`);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 250));
    }
    await waitFor(async () => (await agent.metric('jcode_watcher_export_spooled_total{signal="logs"}')) >= N || undefined, 'the saves to be spooled', 60_000);
    expect(await agent.metric('jcode_watcher_export_retries_total{signal="logs"}')).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - stoppedAt))));
    stack.collector = await stack.startCollector();
    const hw2 = () => stack.fake.of('snapshot').filter((c) => c.hwName === 'hw2');
    await waitFor(() => new Set(hw2().map((c) => c.filename)).size === N || undefined, fail(`all ${N} saves at the API`)(stack.collector), 180_000);
    const counts = new Map<string, number>();
    for (const c of hw2()) counts.set(c.filename, (counts.get(c.filename) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  }, 400_000);

  it('after a SIGKILL of the agent mid-stream and a restart, no saved state is missing', async () => {
    const finals = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const f = `k${i % 40}.c`;
      // Each version has its own length, so the API's `bytes` names the version that arrived.
      const content = `// ${f} ${'x'.repeat(i)}\n`;
      writeFileSync(path.join(hw('hw3'), f), content);
      finals.set(f, Buffer.byteLength(content));
      if (i === 180) agent.child.kill('SIGKILL');
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 40));
    }
    await agent.exit;
    agent = startCli(args, { env });
    await agent.ready();
    await waitFor(() => {
      const got = new Map<string, Set<number>>();
      for (const c of stack.fake.of('snapshot').filter((c) => c.hwName === 'hw3')) {
        if (!got.has(c.filename)) got.set(c.filename, new Set());
        got.get(c.filename)!.add(c.body.bytes);
      }
      return [...finals].every(([f, bytes]) => got.get(f)?.has(bytes)) || undefined;
    }, 'every final state at the API', 120_000);
  }, 240_000);
});
