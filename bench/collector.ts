// Through the real Collector: new-file saves at increasing rates (BENCH_COLLECTOR_RATES, default 100, 200, 400,
// 800 saves/s for BENCH_COLLECTOR_STEP_SECONDS = 15 s each) go agent → otelcol-jcw (built by
// scripts/build-collector.sh, shipped config + test overrides) → the Analytics bridge (exporters/analytics) →
// the fake Analytics API; a save counts as arrived in time if its snapshot call reached the fake API within
// debounce + 5 s of the writer's close(). Reported: the highest rate at which every save arrived in time.
// Baseline, same run and interleaved per step: a second agent exporting straight to the fake OTLP/gRPC sink
// (no Collector, no bridge, no API), with arrival = the sink receiving the record.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { decodeRequest } from '../exporters/analytics/otlp.ts';
import { startFakeAnalyticsApi } from '../test/fakes/analytics-api.ts';
import { startOtlpSink } from '../test/fakes/otlp-grpc-sink.ts';
import { CONFIG, OVERRIDES, collectorEnv, httpOk, provision, startBridgeProc, startProc, type Proc } from '../test/helpers/stack.ts';
import { AgentProcess, freePort, NODE, REPO, sleep } from './lib/agent.ts';
import { cpuSeconds, treeCpuSnapshot, cpuDelta } from './lib/proc.ts';
import { envNum, percentile } from './lib/stats.ts';
import type { Benchmark, BenchResult, Column, Context, Row } from './lib/types.ts';


const DEBOUNCE_MS = 500;
const DEADLINE_MS = DEBOUNCE_MS + 5000;
const STUDENTS = 20;
const STUDENT0 = 202200000;

const STEP_COLUMNS: Column[] = [
  { key: 'rate', label: 'offered saves/s', digits: 0 },
  { key: 'achieved', label: 'written saves/s', digits: 0 },
  { key: 'saves', label: 'saves', digits: 0 },
  { key: 'in_time', label: 'arrived in time', digits: 0 },
  { key: 'late', label: 'arrived late', digits: 0 },
  { key: 'missing', label: 'never arrived', digits: 0 },
  { key: 'in_time_pct', label: 'in time %', digits: 2, ratio: true },
  { key: 'lat_p50', label: 'lat p50 ms', digits: 0, ratio: true },
  { key: 'lat_p99', label: 'lat p99 ms', digits: 0, ratio: true },
  { key: 'lat_max', label: 'lat max ms', digits: 0 },
  { key: 'agent_cpu_pct', label: 'agent CPU % core', digits: 1 },
  { key: 'collector_cpu_pct', label: 'Collector CPU % core', digits: 1 },
  { key: 'bridge_cpu_pct', label: 'bridge CPU % core', digits: 1 },
];

const SUMMARY_COLUMNS: Column[] = [
  { key: 'max_ok_rate', label: 'highest rate all in time (saves/s)', digits: 0, ratio: true },
  { key: 'first_fail_rate', label: 'first failing rate', digits: 0 },
];

interface WriterOut { t0: number; t1: number; saves: [number, string, number][] }

async function writeStep(work: string, root: string, hw: string, prefix: string, rate: number, seconds: number, seq: number): Promise<WriterOut> {
  const out = path.join(work, `writer-${prefix}-${hw}.json`);
  const arg = { root, workspaces: Array.from({ length: STUDENTS }, (_, s) => `os-1-${STUDENT0 + s}`), hw, prefix, rate, seconds, out, seq };
  const child = spawn(NODE, [path.join(REPO, 'bench/lib/filewriter.mjs'), JSON.stringify(arg)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`filewriter exited with ${code}`);
  return JSON.parse(readFileSync(out, 'utf8')) as WriterOut;
}

export const collector: Benchmark = {
  name: 'collector',
  async run(ctx: Context): Promise<BenchResult> {
    const rates = (process.env.BENCH_COLLECTOR_RATES || (ctx.quick ? '100,400' : '100,200,400,800')).split(',').map(Number);
    const stepS = envNum('BENCH_COLLECTOR_STEP_SECONDS', ctx.quick ? 5 : 15);
    const work = path.join(ctx.dir, 'collector');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    ctx.progress('  collector: building/locating otelcol-jcw (scripts/build-collector.sh, cached)');
    const built = await provision('build-collector.sh');
    if (!built.path) throw new Error(built.error);

    const procs: Proc[] = [];
    const fake = await startFakeAnalyticsApi();
    const traces = await startOtlpSink(0); // stands in for Jaeger
    const direct = await startOtlpSink(0); // the baseline's "Collector"
    const agents: AgentProcess[] = [];
    try {
      const port: Record<string, number> = {};
      for (const n of ['bridge', 'grpc', 'http', 'health', 'promExp', 'telemetry']) port[n] = await freePort();
      const bridge = startBridgeProc(port.bridge!, fake.url);
      procs.push(bridge);
      const col = startProc('collector', built.path, ['--config', CONFIG, '--config', OVERRIDES], collectorEnv(path.join(work, 'collector-storage'), port as Parameters<typeof collectorEnv>[1], `127.0.0.1:${traces.port}`));
      procs.push(col);
      const t0 = performance.now();
      while (!(await httpOk(`http://127.0.0.1:${port.bridge}/healthz`)) || !(await httpOk(`http://127.0.0.1:${port.health}/`))) {
        if (performance.now() - t0 > 60_000) throw new Error(`stack not up: ${[bridge, col].map((p) => `${p.name}: ${p.output.join('').slice(-1500)}`).join('\n')}`);
        await sleep(200);
      }
      ctx.progress(`  collector: Collector + bridge + fake API up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const variants = [
        { name: 'agent → Collector → bridge → API', baseline: false, endpoint: `http://127.0.0.1:${port.grpc}`, ws: path.join(work, 'ws-collector') },
        { name: 'agent → fake OTLP sink', baseline: true, endpoint: `http://127.0.0.1:${direct.port}`, ws: path.join(work, 'ws-direct') },
      ];
      for (const v of variants) {
        for (let s = 0; s < STUDENTS; s++) for (let h = 0; h < rates.length; h++) mkdirSync(path.join(v.ws, `os-1-${STUDENT0 + s}`, `hw${h + 1}`), { recursive: true });
        const a = await AgentProcess.start({
          watcher: 'parcel', workspaces: v.ws, output: path.join(work, `out-${v.baseline ? 'direct' : 'collector'}`), logFile: path.join(work, `agent-${v.baseline ? 'direct' : 'collector'}.log`),
          files: { debounce_ms: DEBOUNCE_MS }, yaml: 'exec:\n  enabled: false', env: { OTEL_EXPORTER_OTLP_ENDPOINT: v.endpoint },
        });
        agents.push(a);
        await a.waitReady(120_000);
      }

      // Arrival times at the direct sink: poll its request list often and stamp new requests.
      const directStamps: number[] = [];
      const stamp = setInterval(() => { while (directStamps.length < direct.requests.logs.length) directStamps.push(Date.now()); }, 10);
      let directDecoded = 0;
      const directArrivals = new Map<string, number>();
      const decodeDirect = () => {
        for (; directDecoded < directStamps.length; directDecoded++) {
          for (const r of decodeRequest('logs', 'protobuf', direct.requests.logs[directDecoded])) {
            if (r.eventName !== 'jcode.file.save') continue;
            const key = `${Number(r.attributes['edu.student.id'])}/${r.attributes['file.path']}`;
            if (!directArrivals.has(key)) directArrivals.set(key, directStamps[directDecoded]);
          }
        }
      };
      const apiArrivals = () => {
        const m = new Map<string, number>();
        for (const c of fake.calls) {
          if (c.kind !== 'snapshot') continue;
          const key = `${c.studentId}/${c.hwName}/${c.filename}`;
          if (!m.has(key)) m.set(key, c.at);
        }
        return m;
      };

      const rows: Row[] = [];
      const ok: Record<string, { maxOk: number | null; firstFail: number | null }> = {};
      for (const v of variants) ok[v.name] = { maxOk: null, firstFail: null };
      for (const [h, rate] of rates.entries()) {
        for (const [vi, v] of variants.entries()) {
          const agent = agents[vi];
          const hw = `hw${h + 1}`;
          ctx.progress(`  collector: ${rate} saves/s × ${stepS} s → ${v.name}`);
          const c0 = treeCpuSnapshot(agent.launcherPid);
          const col0 = cpuSeconds(col.child.pid!);
          const br0 = cpuSeconds(bridge.child.pid!);
          const w = await writeStep(work, v.ws, hw, `r${rate}`, rate, stepS, h * 10 + vi + 1);
          const keys = w.saves.map(([s, name, t]) => ({ key: `${STUDENT0 + s}/${hw}/${name}`, t }));
          const lastSave = w.saves.length ? w.saves[w.saves.length - 1][2] : Date.now();
          // Wait until every save arrived, or the deadline of the last save plus 20 s passed.
          let arrivals = new Map<string, number>();
          for (;;) {
            if (v.baseline) { decodeDirect(); arrivals = directArrivals; } else arrivals = apiArrivals();
            const n = keys.filter((k) => arrivals.has(k.key)).length;
            if (n === keys.length || Date.now() > lastSave + DEADLINE_MS + 20_000) break;
            await sleep(250);
          }
          const busyS = (Date.now() - w.t0) / 1000;
          const cpu = cpuDelta(c0, treeCpuSnapshot(agent.launcherPid));
          const lat: number[] = [];
          let inTime = 0;
          let late = 0;
          for (const k of keys) {
            const at = arrivals.get(k.key);
            if (at === undefined) continue;
            lat.push(at - k.t);
            if (at - k.t <= DEADLINE_MS) inTime++;
            else late++;
          }
          lat.sort((a, b) => a - b);
          const missing = keys.length - inTime - late;
          const pass = inTime === keys.length && keys.length > 0;
          if (pass && ok[v.name].firstFail === null) ok[v.name].maxOk = rate;
          if (!pass && ok[v.name].firstFail === null) ok[v.name].firstFail = rate;
          const achieved = keys.length / ((w.t1 - w.t0) / 1000);
          ctx.progress(`    written ${keys.length} (${achieved.toFixed(0)}/s): in time ${inTime}, late ${late}, missing ${missing}; p50 ${percentile(lat, 50)?.toFixed(0)} ms, p99 ${percentile(lat, 99)?.toFixed(0)} ms`);
          rows.push({
            variant: `${rate}/s: ${v.name}`, baseline: v.baseline, group: String(rate),
            values: {
              rate, achieved, saves: keys.length, in_time: inTime, late, missing, in_time_pct: keys.length ? (inTime / keys.length) * 100 : null,
              lat_p50: percentile(lat, 50), lat_p99: percentile(lat, 99), lat_max: lat.length ? lat[lat.length - 1] : null,
              agent_cpu_pct: (cpu / busyS) * 100,
              collector_cpu_pct: v.baseline ? null : ((cpuSeconds(col.child.pid!) - col0) / busyS) * 100,
              bridge_cpu_pct: v.baseline ? null : ((cpuSeconds(bridge.child.pid!) - br0) / busyS) * 100,
            },
          });
          await sleep(2000);
        }
      }
      clearInterval(stamp);
      const rejected = fake.rejected.length;
      if (rejected) ctx.progress(`  collector: warning: the fake API rejected ${rejected} calls, e.g. ${JSON.stringify(fake.rejected[0]).slice(0, 300)}`);
      const summary: Row[] = variants.map((v) => ({ variant: v.name, baseline: v.baseline, values: { max_ok_rate: ok[v.name].maxOk, first_fail_rate: ok[v.name].firstFail } }));
      return {
        name: 'collector',
        params: { rates, stepSeconds: stepS, debounceMs: DEBOUNCE_MS, deadlineMs: DEADLINE_MS, students: STUDENTS, collector: built.path },
        tables: [
          {
            title: `Through the real Collector: new-file saves at ${rates.join(', ')} saves/s for ${stepS} s each, arrival within debounce + 5 s`,
            columns: SUMMARY_COLUMNS,
            rows: summary,
            notes: [
              'highest rate all in time: the highest step, counting up, before the first step at which any save did not arrive within debounce (500 ms) + 5 s of its close(); "–" when even the first step failed. When it equals the top step and "first failing rate" is empty, the limit was not reached: raise BENCH_COLLECTOR_RATES.',
            ],
          },
          {
            title: 'Through the real Collector: per step',
            columns: STEP_COLUMNS,
            rows,
            notes: [
              `Writer: a separate process creating new ~1.4 KB .c files (bench/lib/content.mjs) (open/write/fdatasync/close) round-robin in ${STUDENTS} workspaces \`os-1-<id>/hwN\` (one hw dir per step), paced at the offered rate. Agent: parcel, debounce 500 ms, exec capture off.`,
              `Collector path: otelcol-jcw with otel-collector-config.yaml + deploy/collector/test-overrides.yaml (memory_limiter, batch 1 s / 1024, otlp_http/analytics with a persistent queue) → exporters/analytics/main.ts (the bridge, its own Node 24 process) → test/fakes/analytics-api.ts; arrival = the fake API accepting the snapshot call (\`at\`). Traces go to a fake OTLP sink instead of Jaeger.`,
              'Baseline: a second agent (running all the time, idle during the other path\'s steps) exporting straight to test/fakes/otlp-grpc-sink.ts; arrival = the sink receiving the request holding the record (polled every 10 ms). Steps alternate Collector path, baseline, at each rate.',
              'latency: arrival − the writer\'s close(), over saves that arrived; a step waits until every save arrived or its last save\'s deadline + 20 s passed ("never arrived" counts the rest). CPU: process user+sys over the step (writing + waiting) as % of one core.',
            ],
          },
        ],
      };
    } finally {
      for (const a of agents) await a.stop();
      for (const p of procs.reverse()) await p.stop();
      await traces.stop();
      await direct.stop();
      await fake.close();
    }
  },
};
