// The Collector side: the shipped Collector config, the Analytics API bridge, and the whole path
// OTLP → otelcol-jcw → {bridge → (fake) Analytics API, Jaeger v2, Prometheus}.
//
// Binaries come from scripts/build-collector.sh, scripts/build-jaeger.sh (cached builds, Go module proxy) and
// scripts/install-prometheus.sh (Debian package), called from beforeAll. With CI=true a missing binary fails the
// tests; otherwise the tests that need it are skipped with the reason.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SeverityNumber, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startBridge, type Bridge } from '../../exporters/analytics/server.ts';
import { startFakeAnalyticsApi, type AcceptedCall, type FakeAnalyticsApi } from '../fakes/analytics-api.ts';
import { waitFor } from '../helpers/otlp.ts';
import { BUILD_TIMEOUT_MS, CONFIG, OVERRIDES, ROOT, fail, provision, run, startStack, type Proc } from '../helpers/stack.ts';

const CI = process.env.CI === 'true';

// ---------------------------------------------------------------------------------------------------------
// helpers

const T0_MS = Date.UTC(2026, 2, 11, 5, 6, 7, 123); // 2026-03-11T05:06:07.123Z
const T0_S = Math.floor(T0_MS / 1000);
const hr = (sec: number, nanos = 0): HrTime => [sec, nanos];

const STUDENT = { 'edu.course': 'os', 'edu.section': '1', 'edu.student.id': '202012180' } as const;
const POD: Attributes = { 'service.name': 'jcode-watcher', 'k8s.node.name': 'node-a', 'k8s.pod.uid': '0b5c1f6e-1111-2222-3333-444455556666', 'k8s.pod.name': 'jcode-os-1-202012180-7d9f8-abcde', 'k8s.namespace.name': 'jcode-os-1' };

interface LogSpec { eventName: string; timestampMs: number; body?: string; attributes: Attributes }

/** Log records the way the agent emits them: LoggerProvider per pod resource, eventName, INFO, body, attributes. */
async function logRecords(specs: LogSpec[], resource: Resource = resourceFromAttributes(POD)): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('jcode-watcher', '0.1.0');
  for (const s of specs) logger.emit({ eventName: s.eventName, timestamp: s.timestampMs, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: s.body ?? '', attributes: s.attributes });
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

interface SpanSpec { name: string; start: HrTime; end: HrTime; attributes: Attributes; error?: string }

async function spans(specs: SpanSpec[], resource: Resource = resourceFromAttributes(POD)): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('jcode-watcher', '0.1.0');
  for (const s of specs) {
    const span = tracer.startSpan(s.name, { startTime: s.start, attributes: s.attributes });
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR, message: s.error });
    span.end(s.end);
  }
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

const save = (file: string, size: number, sha: string, tMs: number, extra: Attributes = {}): LogSpec => ({
  eventName: 'jcode.file.save', timestampMs: tMs, body: 'x'.repeat(size),
  attributes: { ...STUDENT, 'edu.assignment': file.split('/')[0]!, 'file.path': file, 'file.name': path.posix.basename(file), 'file.extension': 'c', 'file.size': size, 'jcode.file.sha256': sha.repeat(64 / sha.length), 'jcode.file.detected_by': 'watch', 'jcode.file.version': 1, ...extra },
});

const HW1 = '/home/coder/project/hw1';

const LOGS: LogSpec[] = [
  save('hw1/main.c', 42, 'a1', T0_MS),
  save('hw2/src/utils/a.c', 7, 'b2', T0_MS + 1000, { 'edu.student.id': '0042' }),
  { eventName: 'jcode.file.delete', timestampMs: T0_MS + 2000, attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'file.path': 'hw1/old.c', 'jcode.file.previous_sha256': 'c3'.repeat(32), 'jcode.file.detected_by': 'watch' } },
  { eventName: 'jcode.file.rename', timestampMs: T0_MS + 3000, attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'file.path': 'hw1/c.c', 'jcode.file.old_path': 'hw1/b.c', 'jcode.file.sha256': 'd4'.repeat(32), 'file.size': 5, 'jcode.file.detected_by': 'watch' } },
  // Unmappable: no student id; a pseudonymised (non-numeric) id; a file outside any assignment.
  save('hw1/anon.c', 3, 'e5', T0_MS + 4000, { 'edu.student.id': undefined }),
  save('hw1/pseudo.c', 3, 'f6', T0_MS + 4000, { 'edu.student.id': 'p-3f9a' }),
  { ...save('notes.c', 3, '07', T0_MS + 4000), attributes: { ...STUDENT, 'file.path': 'notes.c', 'file.size': 3, 'jcode.file.sha256': '07'.repeat(32) } },
  // Not something the API records.
  { eventName: 'jcode.process.exec', timestampMs: T0_MS + 5000, attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'process.pid': 100, 'process.executable.name': 'gcc', 'process.command_args': ['gcc', 'main.c'] } },
];

const SPANS: SpanSpec[] = [
  {
    name: 'compile gcc', start: hr(T0_S + 10, 123_456_789), end: hr(T0_S + 10, 900_000_000),
    attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'jcode.exec.kind': 'compile', 'process.pid': 100, 'process.executable.name': 'x86_64-linux-gnu-gcc-12', 'process.executable.path': '/usr/bin/x86_64-linux-gnu-gcc-12', 'process.command_args': ['gcc', '-Wall', '-o', 'main', 'main.c'], 'process.working_directory': HW1, 'process.exit.code': 0, 'jcode.compile.sources': ['main.c'], 'jcode.compile.output': 'main' },
  },
  {
    name: 'run', start: hr(T0_S + 11), end: hr(T0_S + 11, 500_000_000), error: 'killed by SIGSEGV',
    attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'jcode.exec.kind': 'run', 'process.pid': 101, 'process.executable.name': 'main', 'process.executable.path': `${HW1}/main`, 'process.command_args': ['./main'], 'process.working_directory': HW1, 'jcode.process.signal': 'SIGSEGV', 'error.type': 'SIGSEGV' },
  },
  {
    name: 'python3', start: hr(T0_S + 12, 5_000), end: hr(T0_S + 13), error: 'exit code 1',
    attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'jcode.exec.kind': 'interpret', 'process.pid': 102, 'process.executable.name': 'python3.12', 'process.executable.path': '/usr/bin/python3.12', 'process.command_args': ['python3', '-u', 'hw.py', 'input.txt'], 'process.working_directory': HW1, 'process.exit.code': 1, 'error.type': '1' },
  },
  { name: 'cc1', start: hr(T0_S + 10, 200_000_000), end: hr(T0_S + 10, 600_000_000), attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'jcode.exec.kind': 'toolchain', 'process.executable.name': 'cc1', 'process.exit.code': 0 } },
  // Exit never seen: no exit code for the API.
  { name: 'run', start: hr(T0_S + 14), end: hr(T0_S + 15), attributes: { ...STUDENT, 'edu.assignment': 'hw1', 'jcode.exec.kind': 'run', 'process.executable.path': `${HW1}/main`, 'process.command_args': ['./main'], 'process.working_directory': HW1, 'jcode.process.exit_lost': true } },
];

/** What the API must have received for LOGS + SPANS, sorted by path. */
const EXPECTED: Pick<AcceptedCall, 'kind' | 'path' | 'body'>[] = [
  { kind: 'snapshot', path: '/api/os-1/hw1/202012180/b.c/20260311_050610', body: { bytes: 0 } },
  { kind: 'snapshot', path: '/api/os-1/hw1/202012180/c.c/20260311_050610', body: { bytes: 5 } },
  { kind: 'build', path: '/api/os-1/hw1/202012180/logs/build', body: { timestamp: '2026-03-11T05:06:17.123456', exit_code: 0, cmdline: 'gcc -Wall -o main main.c', cwd: HW1, binary_path: '/usr/bin/x86_64-linux-gnu-gcc-12', target_path: `${HW1}/main.c` } },
  { kind: 'run', path: '/api/os-1/hw1/202012180/logs/run', body: { timestamp: '2026-03-11T05:06:18.000000', exit_code: 139, cmdline: './main', cwd: HW1, target_path: `${HW1}/main`, process_type: 'binary' } },
  { kind: 'run', path: '/api/os-1/hw1/202012180/logs/run', body: { timestamp: '2026-03-11T05:06:19.000005', exit_code: 1, cmdline: 'python3 -u hw.py input.txt', cwd: HW1, target_path: `${HW1}/hw.py`, process_type: 'python' } },
  { kind: 'snapshot', path: '/api/os-1/hw1/202012180/main.c/20260311_050607', body: { bytes: 42 } },
  { kind: 'snapshot', path: '/api/os-1/hw1/202012180/old.c/20260311_050609', body: { bytes: 0 } },
  { kind: 'snapshot', path: '/api/os-1/hw2/42/src@utils@a.c/20260311_050608', body: { bytes: 7 } },
];

const sortCalls = (calls: Pick<AcceptedCall, 'kind' | 'path' | 'body'>[]) =>
  calls.map(({ kind, path: p, body }) => ({ kind, path: p, body })).sort((a, b) => (a.path + JSON.stringify(a.body)).localeCompare(b.path + JSON.stringify(b.body)));

async function post(url: string, body: Uint8Array, type: 'json' | 'protobuf', headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', body: Buffer.from(body), headers: { 'content-type': type === 'json' ? 'application/json' : 'application/x-protobuf', ...headers } });
  return { status: r.status, text: await r.text(), retryAfter: r.headers.get('retry-after') };
}

// ---------------------------------------------------------------------------------------------------------
// binaries (cached builds)

const bins: { collector?: string; jaeger?: string; prometheusDir?: string; errors: string[] } = { errors: [] };

beforeAll(async () => {
  // Sequential: each Go build uses both cores.
  const c = await provision('build-collector.sh');
  bins.collector = c.path;
  if (c.error) bins.errors.push(c.error);
  const j = await provision('build-jaeger.sh');
  bins.jaeger = j.path;
  if (j.error) bins.errors.push(j.error);
  const p = await provision('install-prometheus.sh');
  bins.prometheusDir = p.path;
  if (p.error) bins.errors.push(p.error);
}, BUILD_TIMEOUT_MS * 2);

function need(ctx: { skip: (note?: string) => void }, ...which: ('collector' | 'jaeger' | 'prometheusDir')[]): void {
  const missing = which.filter((w) => !bins[w]);
  if (missing.length === 0) return;
  const msg = `missing ${missing.join(', ')}:\n${bins.errors.join('\n')}`;
  if (CI) throw new Error(`CI=true and a required binary is unavailable: ${msg}`);
  console.warn(`skipping: ${msg}`);
  ctx.skip(msg);
}

// ---------------------------------------------------------------------------------------------------------

describe('shipped Collector config', () => {
  it('passes `otelcol-jcw validate`, alone and with the test overrides', async (ctx) => {
    need(ctx, 'collector');
    // Defaults only: no JCW_* variables, the file as users deploy it. k8s_attributes is validated (not started).
    const env = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('JCW_')).map((k) => [k, undefined]));
    const shipped = await run(bins.collector!, ['validate', `--config=${CONFIG}`], { env });
    expect(shipped.stderr + shipped.stdout).not.toMatch(/error|deprecated/i);
    expect(shipped.code).toBe(0);
    const merged = await run(bins.collector!, ['validate', `--config=${CONFIG}`, `--config=${OVERRIDES}`], { env });
    expect(merged.code, merged.stderr).toBe(0);
  });

  it('uses current component names, only components the distribution has, and queues + retries on every push exporter', async (ctx) => {
    need(ctx, 'collector');
    const cfg = parseYaml(readFileSync(CONFIG, 'utf8')) as Record<string, Record<string, Record<string, any>>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const comps = parseYaml((await run(bins.collector!, ['components'])).stdout) as Record<string, { name: string }[]>;
    const have = (kind: string) => new Set((comps[kind] ?? []).map((c) => c.name));
    const type = (id: string) => id.split('/')[0]!;
    for (const kind of ['receivers', 'processors', 'exporters', 'connectors', 'extensions']) {
      for (const id of Object.keys(cfg[kind] ?? {})) expect(have(kind), `${kind} ${id}`).toContain(type(id));
    }
    const used = Object.values(cfg).flatMap((section) => Object.keys(section ?? {})).map(type);
    for (const old of ['otlphttp', 'k8sattributes', 'spanmetrics', 'prometheusremotewrite']) expect(used).not.toContain(old);
    expect(Object.keys(cfg.exporters!).map(type)).not.toContain('otlp'); // the exporter is otlp_grpc now
    // Manifest lists exactly the component types the config uses.
    const manifest = readFileSync(path.join(ROOT, 'deploy/collector/builder-config.yaml'), 'utf8');
    const modules = (manifest.match(/^\s*- gomod: /gm) ?? []).length;
    expect(modules).toBe(new Set(Object.entries(cfg).filter(([k]) => k !== 'service').flatMap(([, s]) => Object.keys(s ?? {}).map(type))).size + 3 /* providers */);

    for (const [id, ex] of Object.entries(cfg.exporters!)) {
      if (type(id) === 'prometheus') continue; // pull exporter: no queue, no retry
      expect(ex.retry_on_failure?.enabled, id).toBe(true);
      expect(ex.sending_queue?.enabled, id).toBe(true);
      expect(ex.sending_queue?.storage, id).toBe('file_storage');
    }
    const pipelines = (cfg.service as Record<string, any>).pipelines as Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const [name, p] of Object.entries(pipelines)) expect(p.processors[0], name).toBe('memory_limiter');
    expect(pipelines.logs!.processors).toContain('k8s_attributes');
    expect(pipelines.traces!.processors).toContain('k8s_attributes');
    const sm = cfg.connectors!.span_metrics!;
    expect(sm.histogram.unit).toBe('s');
    expect(sm.dimensions.map((d: { name: string }) => d.name)).toEqual(['edu.course', 'edu.assignment', 'jcode.exec.kind']);
    expect(JSON.stringify(sm)).not.toContain('student');
    expect(cfg.processors!.k8s_attributes!.pod_association).toEqual([{ sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] }]);
  });
});

describe('Analytics API bridge', () => {
  let fake: FakeAnalyticsApi;
  let bridge: Bridge;
  const logLines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    fake = await startFakeAnalyticsApi({ token: 's3cret' });
    bridge = await startBridge({
      port: 0, baseUrl: fake.url, token: 's3cret', requestBudgetMs: 3000, initialBackoffMs: 150,
      log: (level, msg, fields) => void logLines.push({ level, msg, fields }),
    });
  });
  afterAll(async () => {
    await bridge?.close();
    await fake?.close();
  });

  it('maps protobuf and JSON OTLP requests to exactly the expected API calls, once', async () => {
    const logs = await logRecords(LOGS);
    const sp = await spans(SPANS);
    const r1 = await post(`${bridge.url}/v1/logs`, ProtobufLogsSerializer.serializeRequest(logs)!, 'protobuf');
    expect(r1.status).toBe(200);
    const r2 = await post(`${bridge.url}/v1/traces`, JsonTraceSerializer.serializeRequest(sp)!, 'json');
    expect(r2.status).toBe(200);
    expect(JSON.parse(r2.text)).toEqual({});
    expect(fake.rejected).toEqual([]);
    expect(sortCalls(fake.calls)).toEqual(sortCalls(EXPECTED));
    expect(fake.calls.every((c) => c.authorization === 'Bearer s3cret')).toBe(true);
    expect(fake.of('snapshot').find((c) => c.filename === 'src@utils@a.c')!.studentId).toBe(42);

    // The same records again, in the other encodings (and gzip): all deduplicated, nothing resent.
    expect((await post(`${bridge.url}/v1/logs`, gzipSync(JsonLogsSerializer.serializeRequest(logs)!), 'json', { 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await post(`${bridge.url}/v1/traces`, ProtobufTraceSerializer.serializeRequest(sp)!, 'protobuf')).status).toBe(200);
    expect(fake.calls).toHaveLength(EXPECTED.length);

    const m = bridge.metrics;
    expect(m.get('jcode_watcher_analytics_calls_sent_total', { call: 'snapshot' })).toBe(5);
    expect(m.get('jcode_watcher_analytics_calls_sent_total', { call: 'build' })).toBe(1);
    expect(m.get('jcode_watcher_analytics_calls_sent_total', { call: 'run' })).toBe(2);
    expect(m.get('jcode_watcher_analytics_calls_deduplicated_total', { call: 'snapshot' })).toBe(5);
    // Unmappable records are dropped, counted once per record (even when sent again) and logged.
    expect(m.get('jcode_watcher_analytics_records_dropped_total', { reason: 'no_student_id' })).toBe(1);
    expect(m.get('jcode_watcher_analytics_records_dropped_total', { reason: 'student_id_not_numeric' })).toBe(1);
    expect(m.get('jcode_watcher_analytics_records_dropped_total', { reason: 'no_assignment' })).toBe(1);
    expect(m.get('jcode_watcher_analytics_records_dropped_total', { reason: 'no_exit_status' })).toBe(1);
    expect(m.get('jcode_watcher_analytics_records_ignored_total', { signal: 'logs' })).toBe(2); // exec, twice
    expect(m.get('jcode_watcher_analytics_records_ignored_total', { signal: 'traces' })).toBe(2); // cc1, twice
    expect(logLines.filter((l) => l.level === 'error' && /dropped/.test(l.msg)).map((l) => l.fields!.reason).sort()).toEqual(['no_assignment', 'no_exit_status', 'no_student_id', 'student_id_not_numeric']);

    const text = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(text).toContain('jcode_watcher_analytics_records_dropped_total{reason="no_student_id"} 1');
    expect(text).toContain('jcode_watcher_analytics_calls_sent_total{call="snapshot"} 5');
  });

  it('retries while the API refuses connections, and sends the call exactly once', async () => {
    const before = bridge.metrics.get('jcode_watcher_analytics_calls_retried_total', { call: 'snapshot' });
    await fake.down('refuse', 700);
    const rec = await logRecords([save('hw3/retry.c', 11, '1a', T0_MS + 60_000)]);
    const r = await post(`${bridge.url}/v1/logs`, ProtobufLogsSerializer.serializeRequest(rec)!, 'protobuf');
    expect(r.status).toBe(200);
    expect(bridge.metrics.get('jcode_watcher_analytics_calls_retried_total', { call: 'snapshot' })).toBeGreaterThan(before);
    expect(fake.calls.filter((c) => c.path === '/api/os-1/hw3/202012180/retry.c/20260311_050707')).toHaveLength(1);
  });

  it('answers 503 while the API is down, and on the Collector\'s retry sends only what had not succeeded', async () => {
    await fake.down('503', 60_000);
    const old = LOGS[0]!; // already delivered
    const rec = await logRecords([old, save('hw4/late.c', 9, '2b', T0_MS + 120_000)]);
    const body = ProtobufLogsSerializer.serializeRequest(rec)!;
    const r = await post(`${bridge.url}/v1/logs`, body, 'protobuf');
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe('5');
    expect(bridge.metrics.get('jcode_watcher_analytics_calls_failed_total', { call: 'snapshot', reason: 'unavailable' })).toBe(1);
    await fake.up();
    const again = await post(`${bridge.url}/v1/logs`, body, 'protobuf');
    expect(again.status).toBe(200);
    expect(fake.calls.filter((c) => c.path.includes('/late.c/'))).toHaveLength(1);
    expect(fake.calls.filter((c) => c.path === '/api/os-1/hw1/202012180/main.c/20260311_050607')).toHaveLength(1);
    // Only the new call reached the API while it was down.
    expect(new Set(fake.requests.filter((q) => q.status === 503).map((q) => q.path))).toEqual(new Set(['/api/os-1/hw4/202012180/late.c/20260311_050807']));
  });

  it('drops and counts a call the API rejects (422) instead of blocking the batch; 400 only for unparsable bodies', async () => {
    const rec = await logRecords([save('hw1/bad.c', 1, '3c', T0_MS, { 'edu.course': 'o-s' })]); // class_div "o-s-1": fake says 422
    const r = await post(`${bridge.url}/v1/logs`, ProtobufLogsSerializer.serializeRequest(rec)!, 'protobuf');
    expect(r.status).toBe(200);
    expect(fake.rejected.some((x) => x.status === 422 && x.path.startsWith('/api/o-s-1/'))).toBe(true);
    expect(bridge.metrics.get('jcode_watcher_analytics_records_dropped_total', { reason: 'api_rejected' })).toBe(1);
    expect((await post(`${bridge.url}/v1/logs`, Buffer.from('{not json'), 'json')).status).toBe(400);
    expect((await post(`${bridge.url}/v1/logs`, Buffer.from([0xff, 0xff, 0xff]), 'protobuf')).status).toBe(400);
    expect((await fetch(`${bridge.url}/v1/logs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** Sends already-built records over OTLP/gRPC, like the agent's exporter. */
async function grpcExport(url: string, signal: 'logs' | 'traces' | 'metrics', bytes: Uint8Array): Promise<void> {
  const g = {
    logs: { env: 'LOGS', item: 'log' as const, service: 'LogsExportService', path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export' },
    traces: { env: 'TRACES', item: 'span' as const, service: 'TraceExportService', path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export' },
    metrics: { env: 'METRICS', item: 'metric_data_point' as const, service: 'MetricsExportService', path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export' },
  }[signal];
  const delegate = createOtlpGrpcExportDelegate<Uint8Array, unknown>(
    convertLegacyOtlpGrpcOptions({ url }, g.env),
    { serializeRequest: (b: Uint8Array) => b, deserializeResponse: () => ({}) },
    `jcw_test_${signal}`, { name: g.item, countItems: () => 0 }, undefined, g.service, g.path,
  );
  try {
    const res = await new Promise<{ code: ExportResultCode; error?: Error }>((r) => delegate.export(bytes, r));
    if (res.code !== ExportResultCode.SUCCESS) throw new Error(`OTLP ${signal} export failed: ${res.error?.message}`);
  } finally {
    await delegate.shutdown();
  }
}

class OnceReader extends MetricReader {
  constructor() { super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE }); }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

describe('end to end: OTLP → otelcol-jcw → bridge / Jaeger / Prometheus', () => {
  const procs: Proc[] = [];
  let fake: FakeAnalyticsApi | undefined;
  let dir = '';
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers saves to the Analytics API, traces to Jaeger and span/agent metrics to Prometheus', async (ctx) => {
    need(ctx, 'collector', 'jaeger', 'prometheusDir');
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-collector-'));

    const stack = await startStack(dir, { collector: bins.collector!, jaeger: bins.jaeger!, prometheusDir: bins.prometheusDir! });
    procs.push(...stack.procs);
    fake = stack.fake;
    const { port, collector, jaeger } = stack;

    // --- logs → bridge → API
    const otlp = `http://127.0.0.1:${port.grpc}`;
    const now = Date.now();
    await grpcExport(otlp, 'logs', ProtobufLogsSerializer.serializeRequest(await logRecords([save('hw1/main.c', 42, 'e2', now)]))!);
    const call = await waitFor(() => fake!.of('snapshot').find((c) => c.filename === 'main.c'), fail('the snapshot call at the fake API')(collector), 30_000);
    expect(call).toMatchObject({ classDiv: 'os-1', hwName: 'hw1', studentId: 202012180, body: { bytes: 42 } });
    expect(call.timestamp).toMatch(/^\d{8}_\d{6}$/);

    // --- the API down for a moment: the bridge answers 503, the Collector's queue retries (5 s initial interval)
    await fake.down('503', 3000);
    await grpcExport(otlp, 'logs', ProtobufLogsSerializer.serializeRequest(await logRecords([save('hw1/later.c', 8, 'f3', now + 1000)]))!);
    await waitFor(() => fake!.of('snapshot').find((c) => c.filename === 'later.c'), fail('the snapshot retried through the Collector queue')(collector), 45_000);
    expect(fake.requests.some((q) => q.status === 503 && q.path.includes('/later.c/'))).toBe(true);
    expect(fake.of('snapshot').filter((c) => c.filename === 'later.c')).toHaveLength(1);

    // --- traces → Jaeger (+ build/run calls through the bridge, + span metrics)
    const service = `jcw-e2e-${process.pid}-${now}`;
    const resource = resourceFromAttributes({ ...POD, 'service.name': service });
    const s = Math.floor(now / 1000);
    const sp = await spans([
      { ...SPANS[0]!, start: hr(s, 0), end: hr(s, 400_000_000) },
      { ...SPANS[1]!, start: hr(s + 1, 0), end: hr(s + 1, 200_000_000) },
    ], resource);
    const traceIds = new Set(sp.map((x) => x.spanContext().traceId));
    await grpcExport(otlp, 'traces', ProtobufTraceSerializer.serializeRequest(sp)!);
    const iso = (ms: number) => new Date(ms).toISOString();
    const q = `http://127.0.0.1:${port.jHttp}/api/v3/traces?query.service_name=${encodeURIComponent(service)}&query.start_time_min=${encodeURIComponent(iso(now - 60_000))}&query.start_time_max=${encodeURIComponent(iso(now + 60_000))}`
      // The depth is required by v2.13's memory store (num_traces); later versions call it search_depth.
      + '&query.num_traces=20&query.search_depth=20';
    const found = await waitFor(async () => {
      const r = await fetch(q);
      if (r.status !== 200) return undefined;
      const j = (await r.json()) as { result?: { resourceSpans?: { scopeSpans: { spans: { name: string; traceId: string }[] }[] }[] } };
      const names = (j.result?.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      return names.length >= 2 ? names : undefined;
    }, fail(`the trace in Jaeger (${q})`)(jaeger), 30_000);
    expect(found.map((x) => x.name).sort()).toEqual(['compile gcc', 'run']);
    // Jaeger's OTLP JSON ids may be hex or base64 depending on version; compare as hex.
    const hex = (id: string) => (/^[0-9a-f]{32}$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));
    expect(new Set(found.map((x) => hex(x.traceId)))).toEqual(traceIds);
    await waitFor(() => fake!.of('build').length >= 1 && fake!.of('run').length >= 1, 'the build and run calls', 30_000);
    expect(fake.of('run')[0]!.body).toMatchObject({ exit_code: 139, process_type: 'binary', target_path: `${HW1}/main` });

    // --- agent metrics over OTLP → Prometheus exporter
    const reader = new OnceReader();
    const mp = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'jcode-watcher', 'k8s.node.name': 'node-a' }), readers: [reader] });
    mp.getMeter('jcode-watcher').createCounter('jcode_watcher_file_events_total', { description: 'File records emitted' }).add(3, { event: 'save', detected_by: 'watch' });
    const { resourceMetrics } = await reader.collect();
    await grpcExport(otlp, 'metrics', ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!);
    await mp.shutdown();

    const promQuery = async (expr: string) => {
      const r = await fetch(`http://127.0.0.1:${port.prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const j = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return j.data.result;
    };
    const calls = await waitFor(async () => {
      const r = await promQuery('traces_span_metrics_calls_total{edu_course="os"}');
      return r.length >= 2 ? r : undefined;
    }, fail('span metrics in Prometheus')(collector), 45_000);
    const kinds = calls.map((r) => r.metric.jcode_exec_kind).sort();
    expect(kinds).toEqual(['compile', 'run']);
    for (const r of calls) {
      expect(r.metric).toMatchObject({ edu_course: 'os', edu_assignment: 'hw1', job: 'otelcol-jcw' });
      expect(Object.keys(r.metric).some((k) => k.includes('student'))).toBe(false);
    }
    const runErr = calls.find((r) => r.metric.jcode_exec_kind === 'run')!;
    expect(runErr.metric.status_code).toBe('STATUS_CODE_ERROR');
    const hist = await waitFor(async () => {
      const r = await promQuery('traces_span_metrics_duration_seconds_bucket{jcode_exec_kind="compile",le="0.5"}');
      return r.length ? r : undefined;
    }, 'the duration histogram (seconds)', 20_000);
    expect(Number(hist[0]!.value[1])).toBe(1); // the 0.4 s compile is ≤ 0.5 s
    const events = await waitFor(async () => {
      const r = await promQuery('jcode_watcher_file_events_total');
      return r.length ? r : undefined;
    }, fail('the agent metric in Prometheus')(collector), 30_000);
    expect(events[0]!.metric).toMatchObject({ event: 'save', detected_by: 'watch' });
    expect(Number(events[0]!.value[1])).toBe(3);

    // Nothing deprecated, nothing refused, and the persistent queue lives in the storage directory.
    const colLog = collector.output.join('');
    expect(colLog).not.toMatch(/deprecated/i);
    expect(existsSync(path.join(dir, 'collector-storage'))).toBe(true);
    expect(fake.rejected.filter((r) => r.status !== 503)).toEqual([]);
  }, 240_000);
});
