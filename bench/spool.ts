// Spool replay: the agent's OTLP endpoint points at a closed port (Collector outage) while K distinct saves are
// reported, so every batch lands in the disk spool (<output>/spool/<signal>/); then the fake OTLP/gRPC sink is
// started on that port and we time until `jcode_watcher_export_spool_bytes{signal="logs"}` is 0 → records/s
// replayed. Baseline, same run: the same K records with the sink up from the start (steady-state send rate).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeRequest } from '../exporters/analytics/otlp.ts';
import { startOtlpSink, type OtlpSink } from '../test/fakes/otlp-grpc-sink.ts';
import { AgentProcess, freePort, sleep } from './lib/agent.ts';
import { content } from './lib/content.mjs';
import { cpuDelta, peakRssMb, treeCpuSnapshot } from './lib/proc.ts';
import type { Benchmark, BenchResult, Column, Context, Row } from './lib/types.ts';
import { envNum } from './lib/stats.ts';


const COLUMNS: Column[] = [
  { key: 'records', label: 'records', digits: 0 },
  { key: 'received', label: 'received by sink', digits: 0 },
  { key: 'requests', label: 'export requests', digits: 0 },
  { key: 'spool_mb', label: 'spool MB (du)', digits: 2 },
  { key: 'spool_bytes_per_record', label: 'spool B/record', digits: 0 },
  { key: 'content_bytes', label: 'content B/record', digits: 0 },
  { key: 'reconnect_s', label: 'sink up → 1st request s', digits: 2 },
  { key: 'send_s', label: 'send s', digits: 2 },
  { key: 'rate', label: 'records/s sent', digits: 0, ratio: true },
  { key: 'rate_incl_reconnect', label: 'records/s incl. reconnect', digits: 0 },
  { key: 'cpu_s', label: 'agent CPU s sending', digits: 2 },
  { key: 'rss_peak_mb', label: 'peak RSS MB', digits: 1 },
];

const STUDENTS = 10;

function countFileRecords(sink: OtlpSink): number {
  let n = 0;
  for (const b of sink.requests.logs) for (const r of decodeRequest('logs', 'protobuf', b)) if (r.eventName.startsWith('jcode.file.')) n++;
  return n;
}

/** content() (~1.4 KB of C) padded with a distinct comment to ~2.5 KB. */
function padded(i: number, seq: number): string {
  let c = content(i, seq);
  let x = (i * 2654435761 + seq) >>> 0;
  const words: string[] = [];
  while (c.length + words.join(' ').length < 2500) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    words.push(x.toString(36));
  }
  c += `/* ${words.join(' ')} */\n`;
  return c;
}

function makeTree(ws: string, k: number, seq: number): number {
  rmSync(ws, { recursive: true, force: true });
  let bytes = 0;
  for (let s = 0; s < STUDENTS; s++) mkdirSync(path.join(ws, `os-1-${202100000 + s}`, 'hw1'), { recursive: true });
  for (let i = 0; i < k; i++) {
    const c = padded(i, seq);
    bytes += Buffer.byteLength(c);
    writeFileSync(path.join(ws, `os-1-${202100000 + (i % STUDENTS)}`, 'hw1', `f${i}.c`), c);
  }
  return bytes / k;
}

async function one(ctx: Context, work: string, k: number, outage: boolean, seq: number): Promise<Row> {
  const tag = outage ? 'outage' : 'steady';
  const ws = path.join(work, `ws-${tag}`);
  const contentBytes = makeTree(ws, k, seq);
  const output = path.join(work, `out-${tag}`);
  rmSync(output, { recursive: true, force: true });
  const port = await freePort();
  let sink = outage ? undefined : await startOtlpSink(port);
  const agent = await AgentProcess.start({
    watcher: 'parcel', workspaces: ws, output, logFile: path.join(work, `agent-${tag}.log`),
    yaml: 'exec:\n  enabled: false', env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
  });
  try {
    await agent.waitReady(120_000, 10);
    // The start scan reports every file (fresh output dir, empty snapshot store).
    const spoolLogs = async () => (await agent.metrics()).sum('jcode_watcher_export_spool_bytes', { signal: 'logs' });
    let tStart = 0;
    let tFirst = 0;
    let c0 = treeCpuSnapshot(agent.launcherPid);
    if (outage) {
      const m = await agent.settle({ minRecords: k, quietMs: 1000, timeoutMs: 300_000 });
      // Wait until the spool stops growing.
      let last = -1;
      for (let i = 0; i < 120; i++) {
        const b = await spoolLogs();
        if (b === last && b > 0) break;
        last = b;
        await sleep(500);
      }
      ctx.progress(`    ${m.sum('jcode_watcher_file_events_total')} records spooled, ${(await spoolLogs()) / 1e6} MB (metric)`);
    }
    const duLogs = Number(execFileSync('du', ['-sb', path.join(output, 'spool', 'logs')]).toString().split('\t')[0]);
    if (outage) {
      c0 = treeCpuSnapshot(agent.launcherPid);
      tStart = performance.now();
      sink = await startOtlpSink(port);
    } else {
      tStart = performance.now(); // ready: the start scan begins; rate is measured from the first request on
    }
    const t0 = performance.now();
    for (;;) {
      if (!tFirst && sink!.requests.logs.length > 0) tFirst = performance.now();
      if (tFirst) {
        const m = await agent.metrics();
        if (m.sum('jcode_watcher_file_events_total') >= k && m.sum('jcode_watcher_pending_files') === 0 && m.sum('jcode_watcher_export_spool_bytes', { signal: 'logs' }) === 0) break;
      }
      if (performance.now() - t0 > 600_000) throw new Error('spool did not drain in 600 s');
      await sleep(tFirst ? 10 : 5);
    }
    const tEnd = performance.now();
    const cpu = cpuDelta(c0, treeCpuSnapshot(agent.launcherPid));
    const peak = peakRssMb(agent.pid) ?? null;
    await agent.stop();
    const received = countFileRecords(sink!);
    const sendS = (tEnd - tFirst) / 1000;
    ctx.progress(`    ${tag}: ${received} records received, sent in ${sendS.toFixed(2)} s after the first request (${((tFirst - tStart) / 1000).toFixed(2)} s to it)`);
    return {
      variant: outage ? 'replay after outage' : 'sink up from the start',
      baseline: !outage,
      values: {
        records: k, received, requests: sink!.requests.logs.length,
        spool_mb: outage ? duLogs / 1e6 : null, spool_bytes_per_record: outage ? duLogs / k : null, content_bytes: contentBytes,
        reconnect_s: outage ? (tFirst - tStart) / 1000 : null, send_s: sendS, rate: k / sendS,
        rate_incl_reconnect: outage ? k / ((tEnd - tStart) / 1000) : null, cpu_s: outage ? cpu : null, rss_peak_mb: peak,
      },
    };
  } finally {
    await agent.stop();
    await sink?.stop();
  }
}

export const spool: Benchmark = {
  name: 'spool',
  async run(ctx: Context): Promise<BenchResult> {
    const k = envNum('BENCH_SPOOL_RECORDS', ctx.quick ? 1000 : 5000);
    const work = path.join(ctx.dir, 'spool');
    mkdirSync(work, { recursive: true });
    ctx.progress(`  spool: baseline, sink up from the start, ${k} records`);
    const base = await one(ctx, work, k, false, 1);
    ctx.progress(`  spool: outage, ${k} records spooled, then the sink starts`);
    const out = await one(ctx, work, k, true, 2);
    return {
      name: 'spool',
      params: { records: k, students: STUDENTS },
      tables: [{
        title: `Spool replay: ${k.toLocaleString('en')} save records spooled during a Collector outage, then replayed to the fake OTLP sink`,
        columns: COLUMNS,
        rows: [base, out],
        notes: [
          `K = ${k} distinct ~2.5 KB .c files (bench/lib/content.mjs padded with a distinct comment) in ${STUDENTS} workspaces, written before the agent starts, so its start scan reports them all (one \`jcode.file.save\` record each). Agent: parcel, exec capture off, \`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>\`; the sink is test/fakes/otlp-grpc-sink.ts (accepts everything at once), not the real Collector.`,
          'outage: nothing listens on the port until every record is reported and the spool stopped growing; spool MB = `du -sb <output>/spool/logs`. Then the sink starts; "sink up → 1st request" is the sender\'s retry backoff; "send s" = first request → `jcode_watcher_export_spool_bytes{signal="logs"}` = 0 (polled every 10 ms), records/s sent = K ÷ send s.',
          'baseline: the sink listens from the start; "send s" = first request → every record reported and the spool empty, so it is bounded by how fast the start scan produces records (steady state), not only by sending.',
          'received by sink: file records decoded from the sink\'s requests (should equal K; more means duplicates sent).',
        ],
      }],
    };
  },
};
