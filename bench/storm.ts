// Exec storm: 2 parallel workers fork+exec /bin/true as fast as the machine allows, inside a student context
// (cwd in the workspace), for BENCH_STORM_SECONDS (30) with the agent running. Baseline: the same storm with no
// agent, run before and after the agent phase (half the time each: A B A), so both see the same machine.
// Reported: the storm's rate with/without, events delivered and lost (agent metrics deltas), exec records with
// that cwd in logs.jsonl, the agent's CPU % of one core and peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentProcess, sleep, type Metrics } from './lib/agent.ts';
import { cpuDelta, cpuSeconds, peakRssMb, treeCpuSnapshot } from './lib/proc.ts';
import { forEachLogRecord } from './lib/records.ts';
import type { Benchmark, BenchResult, Column, Context, Row } from './lib/types.ts';
import { envNum } from './lib/stats.ts';


const STORM_C = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  double secs = atof(argv[1]), t0 = now();
  long n = 0, failed = 0;
  while (now() - t0 < secs) {
    pid_t p = fork();
    if (p == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
    int st = 0;
    if (p < 0 || waitpid(p, &st, 0) < 0 || st != 0) failed++;
    n++;
  }
  printf("%ld %ld %.3f\\n", n, failed, now() - t0);
  return 0;
}
`;

const COLUMNS: Column[] = [
  { key: 'seconds', label: 'seconds', digits: 1 },
  { key: 'execs', label: 'execs', digits: 0 },
  { key: 'rate', label: 'execs/s', digits: 0, ratio: true },
  { key: 'delivered', label: 'exec events delivered', digits: 0 },
  { key: 'lost', label: 'exec events lost', digits: 0, target: { op: '==', value: 0 } },
  { key: 'lost_all', label: 'lost (all types)', digits: 0, target: { op: '==', value: 0 } },
  { key: 'records', label: 'exec records (cwd)', digits: 0 },
  { key: 'missing', label: 'execs without record', digits: 0, target: { op: '==', value: 0 } },
  { key: 'cpu_pct', label: 'agent CPU % core', digits: 1, target: { op: '<=', value: 25 } },
  { key: 'cpu_node_pct', label: 'Node CPU % core', digits: 1 },
  { key: 'cpu_drain_pct', label: 'CPU % incl. drain', digits: 1 },
  { key: 'drain_s', label: 'drain s', digits: 1 },
  { key: 'rss_peak_mb', label: 'peak RSS MB', digits: 1 },
];

async function storm(bin: string, cwd: string, seconds: number, workers: number): Promise<{ execs: number; failed: number; seconds: number }> {
  const one = () => new Promise<{ n: number; failed: number; s: number }>((resolve, reject) => {
    const c = spawn(bin, [String(seconds)], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d));
    c.once('exit', (code) => {
      const [n, failed, s] = out.trim().split(' ').map(Number);
      if (code !== 0 || !Number.isFinite(n)) reject(new Error(`storm worker exited ${code}: ${out}`));
      else resolve({ n, failed, s });
    });
  });
  const r = await Promise.all(Array.from({ length: workers }, one));
  return { execs: r.reduce((a, x) => a + x.n, 0), failed: r.reduce((a, x) => a + x.failed, 0), seconds: Math.max(...r.map((x) => x.s)) };
}

const accounted = (m: Metrics) => m.sum('jcode_watcher_bpf_events_total', { type: 'exec' }) + m.sum('jcode_watcher_bpf_events_lost_total', { type: 'exec' });

export const stormBench: Benchmark = {
  name: 'storm',
  async run(ctx: Context): Promise<BenchResult> {
    const seconds = envNum('BENCH_STORM_SECONDS', ctx.quick ? 10 : 30);
    const workers = envNum('BENCH_STORM_WORKERS', 2);
    const work = path.join(ctx.dir, 'storm');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'storm.c'), STORM_C);
    const bin = path.join(work, 'storm');
    execFileSync('gcc', ['-O2', '-o', bin, path.join(work, 'storm.c')]);
    const ws = path.join(work, 'ws');
    const dirOf = (hw: string) => path.join(ws, 'os-1-202012180', hw);
    for (const hw of ['base1', 'hw1', 'base2']) mkdirSync(dirOf(hw), { recursive: true });

    const half = seconds / 2;
    ctx.progress(`  storm: baseline 1 (no agent), ${half} s × ${workers} workers`);
    const b1 = await storm(bin, dirOf('base1'), half, workers);
    ctx.progress(`    ${b1.execs} execs, ${(b1.execs / b1.seconds).toFixed(0)}/s`);

    const output = path.join(work, 'out');
    const agent = await AgentProcess.start({ watcher: 'parcel', workspaces: ws, output, logFile: path.join(work, 'agent.log') });
    let agentRow: Row;
    try {
      await agent.waitReady(120_000);
      await agent.settle({ timeoutMs: 30_000, quietMs: 1000 });
      await sleep(1000);
      const pid = agent.pid;
      const m0 = await agent.metrics();
      const c0 = treeCpuSnapshot(agent.launcherPid);
      const n0 = cpuSeconds(pid);
      ctx.progress(`  storm: agent running, ${seconds} s × ${workers} workers`);
      const s = await storm(bin, dirOf('hw1'), seconds, workers);
      const c1 = treeCpuSnapshot(agent.launcherPid);
      const n1 = cpuSeconds(pid);
      ctx.progress(`    ${s.execs} execs, ${(s.execs / s.seconds).toFixed(0)}/s; waiting for the agent to account for them`);
      // The loader reports cumulative counts about every second; records are written after processing.
      const td = performance.now();
      let m1 = await agent.metrics();
      while (accounted(m1) - accounted(m0) < s.execs + workers && performance.now() - td < 60_000) {
        await sleep(250);
        m1 = await agent.metrics();
      }
      // Then until the agent is idle (its CPU stops growing) — the exec records are out by then.
      let last = cpuDelta(c0, treeCpuSnapshot(agent.launcherPid));
      for (;;) {
        await sleep(1000);
        const now = cpuDelta(c0, treeCpuSnapshot(agent.launcherPid));
        if (now - last < 0.05 || performance.now() - td > 120_000) break;
        last = now;
      }
      const drainS = (performance.now() - td) / 1000 - 1;
      const c2 = treeCpuSnapshot(agent.launcherPid);
      m1 = await agent.metrics();
      const peak = peakRssMb(pid) ?? null;
      await agent.stop(60_000);
      let records = 0;
      await forEachLogRecord(path.join(output, 'logs.jsonl'), (x) => {
        if (x.eventName === 'jcode.process.exec' && x.attributes['process.working_directory'] === dirOf('hw1') && x.attributes['process.executable.path'] === '/bin/true') records++;
      }, 'jcode.process.exec');
      const delivered = m1.sum('jcode_watcher_bpf_events_total', { type: 'exec' }) - m0.sum('jcode_watcher_bpf_events_total', { type: 'exec' });
      const lost = m1.sum('jcode_watcher_bpf_events_lost_total', { type: 'exec' }) - m0.sum('jcode_watcher_bpf_events_lost_total', { type: 'exec' });
      const lostAll = m1.sum('jcode_watcher_bpf_events_lost_total') - m0.sum('jcode_watcher_bpf_events_lost_total');
      ctx.progress(`    delivered ${delivered}, lost ${lost} (all types ${lostAll}), ${records} records, drain ${drainS.toFixed(1)} s`);
      agentRow = {
        variant: 'agent running',
        values: {
          seconds: s.seconds, execs: s.execs, rate: s.execs / s.seconds, delivered, lost, lost_all: lostAll, records, missing: s.execs - records,
          cpu_pct: (cpuDelta(c0, c1) / s.seconds) * 100, cpu_node_pct: ((n1 - n0) / s.seconds) * 100,
          cpu_drain_pct: (cpuDelta(c0, c2) / s.seconds) * 100, drain_s: drainS, rss_peak_mb: peak,
        },
        details: { failed_execs: s.failed, all_bpf_delivered: m1.sum('jcode_watcher_bpf_events_total') - m0.sum('jcode_watcher_bpf_events_total') },
      };
    } finally {
      await agent.stop();
    }

    await sleep(1000);
    ctx.progress(`  storm: baseline 2 (no agent), ${half} s × ${workers} workers`);
    const b2 = await storm(bin, dirOf('base2'), half, workers);
    ctx.progress(`    ${b2.execs} execs, ${(b2.execs / b2.seconds).toFixed(0)}/s`);
    const bs = b1.seconds + b2.seconds;
    const baseRow: Row = {
      variant: 'no agent', baseline: true,
      values: { seconds: bs, execs: b1.execs + b2.execs, rate: (b1.execs + b2.execs) / bs },
      details: { before: { execs: b1.execs, seconds: b1.seconds }, after: { execs: b2.execs, seconds: b2.seconds } },
    };
    return {
      name: 'storm',
      params: { seconds, workers, program: '/bin/true' },
      tables: [{
        title: `Exec storm: ${workers} workers fork+exec /bin/true at full speed for ${seconds} s in a student workspace`,
        columns: COLUMNS,
        rows: [baseRow, agentRow],
        notes: [
          `Worker: a compiled C loop fork() → execl("/bin/true") → waitpid(), cwd \`<ws>/os-1-202012180/hw1\`. Baseline "no agent": the same storm for ${half} s before and ${half} s after the agent phase (the agent stopped), pooled.`,
          'delivered/lost: deltas of `jcode_watcher_bpf_events_total{type="exec"}` and `jcode_watcher_bpf_events_lost_total` (kernel ring buffer full) over the storm plus the drain. exec records: `jcode.process.exec` records with that cwd and executable /bin/true in logs.jsonl; "execs without record" = execs − records.',
          'agent CPU: user+sys of the agent\'s process tree (launcher, Node, the jcw-exec loader) during the storm ÷ storm seconds; Node CPU: the Node process alone; "incl. drain": the tree\'s CPU until it went idle after the storm, still ÷ storm seconds. peak RSS: VmHWM of the Node process.',
        ],
      }],
    };
  },
};
