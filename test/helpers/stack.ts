// The real pipeline for end-to-end tests: the Analytics API fake, the bridge, Jaeger v2, the Collector built
// from the shipped manifest and config, and Prometheus, each its own process on 127.0.0.1 ports chosen here.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeAnalyticsApi, type FakeAnalyticsApi } from '../fakes/analytics-api.ts';
import { waitFor } from './otlp.ts';
import { freePort } from './ports.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CONFIG = path.join(ROOT, 'otel-collector-config.yaml');
export const OVERRIDES = path.join(ROOT, 'deploy/collector/test-overrides.yaml');
export const BUILD_TIMEOUT_MS = 45 * 60_000;

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a build/install script; its last stdout line is the binary (or directory). */
export async function provision(script: string): Promise<{ path?: string; error?: string }> {
  const r = await run('bash', [path.join(ROOT, 'scripts', script)], { timeoutMs: BUILD_TIMEOUT_MS });
  const out = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code === 0 && out && existsSync(out)) return { path: out };
  return { error: `${script} failed (exit ${r.code}): ${r.stderr.split('\n').slice(-15).join('\n')}` };
}

export interface StackBins { collector: string; jaeger: string; prometheusDir: string }

/** Build or install the Collector, Jaeger and Prometheus (cached); the errors of those that failed. */
export async function provisionStack(): Promise<{ bins?: StackBins; error?: string }> {
  const bins: Partial<StackBins> = {};
  const errors: string[] = [];
  for (const [k, script] of [['collector', 'build-collector.sh'], ['jaeger', 'build-jaeger.sh'], ['prometheusDir', 'install-prometheus.sh']] as const) {
    const r = await provision(script);
    bins[k] = r.path;
    if (r.error) errors.push(r.error);
  }
  return errors.length ? { error: errors.join('\n') } : { bins: bins as StackBins };
}

export interface Proc { name: string; child: ChildProcess; output: string[]; stop(): Promise<void> }

export function startProc(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name, child, output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.ok;
  } catch {
    return false;
  }
}

export const fail = (what: string) => (p: Proc) => `${what}\n--- ${p.name} output ---\n${p.output.join('').slice(-4000)}`;

export interface Stack {
  port: Record<string, number>;
  procs: Proc[];
  fake: FakeAnalyticsApi;
  collector: Proc;
  jaeger: Proc;
  /** Start the Collector again (same ports, same persistent queue storage). */
  startCollector(): Promise<Proc>;
  promQuery(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

/** The Analytics API bridge as deployed: its own process, on Node 24 with tsx. */
export function startBridgeProc(listenPort: number, apiUrl: string): Proc {
  const node = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : path.join(ROOT, 'node_modules/node/bin/node');
  return startProc('bridge', node, ['--import', `file://${ROOT}node_modules/tsx/dist/esm/index.mjs`, path.join(ROOT, 'exporters/analytics/main.ts'), '--listen', `127.0.0.1:${listenPort}`, '--api', apiUrl]);
}

/** The variables the shipped config plus the test overrides read: every endpoint on 127.0.0.1. */
export function collectorEnv(storageDir: string, port: Record<'health' | 'grpc' | 'http' | 'bridge' | 'promExp' | 'telemetry', number>, tracesEndpoint: string): NodeJS.ProcessEnv {
  return {
    JCW_COLLECTOR_STORAGE_DIR: storageDir,
    JCW_COLLECTOR_HEALTH_ENDPOINT: `127.0.0.1:${port.health}`,
    JCW_COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${port.grpc}`,
    JCW_COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${port.http}`,
    JCW_ANALYTICS_BRIDGE_ENDPOINT: `http://127.0.0.1:${port.bridge}`,
    JCW_TRACES_ENDPOINT: tracesEndpoint,
    JCW_TRACES_INSECURE: 'true',
    JCW_COLLECTOR_PROMETHEUS_ENDPOINT: `127.0.0.1:${port.promExp}`,
    JCW_COLLECTOR_TELEMETRY_HOST: '127.0.0.1',
    JCW_COLLECTOR_TELEMETRY_PORT: String(port.telemetry),
  };
}

/** Stop every process of a stack (last started first) and the Analytics API fake. */
export async function stopStack(stack: Stack | undefined): Promise<void> {
  for (const p of [...(stack?.procs ?? [])].reverse()) await p.stop();
  await stack?.fake.close();
}

export async function startStack(dir: string, bins: StackBins): Promise<Stack> {
  const port: Record<string, number> = {};
  for (const n of ['bridge', 'grpc', 'http', 'health', 'promExp', 'telemetry', 'jOtlp', 'jOtlpHttp', 'jHttp', 'jGrpc', 'jHealth', 'jTelemetry', 'prom']) port[n] = await freePort();
  const procs: Proc[] = [];
    const fake = await startFakeAnalyticsApi();
    const bridge = startBridgeProc(port.bridge!, fake.url);
    procs.push(bridge);

    writeFileSync(path.join(dir, 'jaeger.yaml'), `
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter]}
  telemetry:
    resource: {service.name: jaeger}
    logs: {level: info}
    metrics:
      level: basic
      readers: [{pull: {exporter: {prometheus: {host: 127.0.0.1, port: ${port.jTelemetry}}}}}]
extensions:
  healthcheckv2: {use_v2: true, http: {endpoint: 127.0.0.1:${port.jHealth}}}
  jaeger_query:
    storage: {traces: mem}
    http: {endpoint: 127.0.0.1:${port.jHttp}}
    grpc: {endpoint: 127.0.0.1:${port.jGrpc}}
  jaeger_storage:
    backends: {mem: {memory: {max_traces: 10000}}}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:${port.jOtlp}}
      http: {endpoint: 127.0.0.1:${port.jOtlpHttp}}
processors:
  batch: {timeout: 200ms}
exporters:
  jaeger_storage_exporter: {trace_storage: mem}
`);
    // Jaeger's own tracing would go to localhost:4317: off.
    const jaeger = startProc('jaeger', bins.jaeger, ['--config', path.join(dir, 'jaeger.yaml')], { OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' });
    procs.push(jaeger);

    const env = collectorEnv(path.join(dir, 'collector-storage'), port as Parameters<typeof collectorEnv>[1], `127.0.0.1:${port.jOtlp}`);
    const collector = startProc('collector', bins.collector, ['--config', CONFIG, '--config', OVERRIDES], env);
    procs.push(collector);

    mkdirSync(path.join(dir, 'prom'));
    writeFileSync(path.join(dir, 'prometheus.yml'), `
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: otelcol-jcw
    static_configs: [{targets: ['127.0.0.1:${port.promExp}']}]
`);
    const prometheus = startProc('prometheus', path.join(bins.prometheusDir, 'prometheus'), [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${port.prom}`,
    ]);
    procs.push(prometheus);

    await waitFor(() => httpOk(`http://127.0.0.1:${port.bridge}/healthz`), fail('the bridge to listen')(bridge), 30_000);
    await waitFor(() => httpOk(`http://127.0.0.1:${port.health}/`), fail('the Collector to be healthy')(collector), 30_000);
    await waitFor(() => httpOk(`http://127.0.0.1:${port.jHttp}/api/v3/services`), fail('Jaeger to serve its API')(jaeger), 30_000);
    await waitFor(() => httpOk(`http://127.0.0.1:${port.prom}/-/ready`), fail('Prometheus to be ready')(prometheus), 30_000);

  const startCollector = async () => {
    const c = startProc('collector', bins.collector, ['--config', CONFIG, '--config', OVERRIDES], env);
    procs.push(c);
    await waitFor(() => httpOk(`http://127.0.0.1:${port.health}/`), fail('the Collector to be healthy')(c), 30_000);
    return c;
  };
  const promQuery = async (expr: string) => {
    const r = await fetch(`http://127.0.0.1:${port.prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const j = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return j.data.result;
  };
  return { port, procs, fake, collector, jaeger, startCollector, promQuery };
}
