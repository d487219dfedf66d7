// Startup benchmark: spawn → /readyz 200, on the 300 × 30 saves tree and on one workspace of 100,000 files,
// for both watcher backends; first start (cold: empty output dir, so every file is reported) and restart
// (warm: same output dir, nothing changed, so nothing should be reported). Baselines: the time chokidar 6
// (default options) takes to `ready` and inotifywait -r to "Watches established." on the same tree.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentProcess, NODE, REPO, sleep } from './lib/agent.ts';
import { cpuDelta, inotifyWatches, peakRssMb, treeCpuSnapshot } from './lib/proc.ts';
import { createBigTree, createSavesTree, SAVES_FILES } from './lib/tree.ts';
import type { Benchmark, BenchResult, Column, Context, Row } from './lib/types.ts';
import { envNum } from './lib/stats.ts';


const COLUMNS: Column[] = [
  { key: 'files', label: 'files', digits: 0 },
  { key: 'ready_ms', label: 'ready ms', digits: 0, ratio: true },
  { key: 'reported_ms', label: 'all reported ms', digits: 0 },
  { key: 'records', label: 'records', digits: 0 },
  { key: 'cpu_s', label: 'CPU s to ready', digits: 2, ratio: true },
  { key: 'cpu_settle_s', label: 'CPU s to settled', digits: 2 },
  { key: 'rss_peak_mb', label: 'peak RSS MB', digits: 1, ratio: true },
  { key: 'watches', label: 'inotify watches', digits: 0 },
  { key: 'stop_ms', label: 'SIGTERM→exit ms', digits: 0 },
];

interface TreeSpec {
  name: string;
  root: string;
  files: number;
}

async function agentStart(ctx: Context, work: string, tree: TreeSpec, watcher: 'parcel' | 'chokidar', output: string, cold: boolean): Promise<Row> {
  const tag = `${tree.name}-${watcher}-${cold ? 'cold' : 'warm'}`;
  ctx.progress(`  startup: ${tag}`);
  if (cold) rmSync(output, { recursive: true, force: true });
  const agent = await AgentProcess.start({ watcher, workspaces: tree.root, output, logFile: path.join(work, `agent-${tag}.log`) });
  try {
    const readyMs = await agent.waitReady(600_000, 10);
    const cpuReady = cpuDelta(new Map(), treeCpuSnapshot(agent.launcherPid));
    const pid = agent.pid;
    const watches = inotifyWatches(pid);
    // Cold: wait until every file is reported. Warm: wait past the debounce and count what got reported.
    const m = await agent.settle({ minRecords: cold ? tree.files : 0, quietMs: cold ? 1000 : 2000, timeoutMs: 600_000, everyMs: 200 });
    const records = m.sum('jcode_watcher_file_events_total');
    const reportedMs = cold ? performance.now() - agent.spawnedAt - 1000 : null; // minus the quiet period
    const cpuSettle = cpuDelta(new Map(), treeCpuSnapshot(agent.launcherPid));
    const peak = peakRssMb(pid) ?? null;
    const stop = await agent.stop(60_000);
    ctx.progress(`    ready ${readyMs.toFixed(0)} ms, ${records} records${cold ? `, all reported at ~${reportedMs!.toFixed(0)} ms` : ''}`);
    if (!cold && records > 0) ctx.progress(`    warning: the restart reported ${records} records though nothing changed`);
    return {
      variant: `agent-${watcher} ${cold ? 'cold' : 'warm'}`,
      group: tree.name,
      values: { files: tree.files, ready_ms: readyMs, reported_ms: reportedMs, records, cpu_s: cpuReady, cpu_settle_s: cpuSettle, rss_peak_mb: peak, watches, stop_ms: stop.ms },
    };
  } finally {
    await agent.stop();
  }
}

async function baselineStart(ctx: Context, work: string, tree: TreeSpec, which: 'inotifywait' | 'chokidar-default'): Promise<Row> {
  ctx.progress(`  startup: ${tree.name}-${which}`);
  const t0 = performance.now();
  const child = which === 'inotifywait'
    ? spawn('inotifywait', ['-m', '-r', '-e', 'close_write,moved_to', tree.root], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(NODE, [path.join(REPO, 'bench/baselines/chokidar-default.mjs'), tree.root, path.join(work, 'events-startup.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stream = which === 'inotifywait' ? child.stderr! : child.stdout!;
  const marker = which === 'inotifywait' ? 'Watches established' : 'ready';
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d;
      if (buf.includes(marker)) resolve();
    });
    child.once('exit', (c) => reject(new Error(`${which} exited ${c}: ${buf}`)));
  });
  const readyMs = performance.now() - t0;
  const pid = child.pid!;
  const cpu = cpuDelta(new Map(), treeCpuSnapshot(pid));
  const watches = inotifyWatches(pid);
  const peak = peakRssMb(pid) ?? null;
  const exited = new Promise((r) => child.once('exit', r));
  const s0 = performance.now();
  child.kill('SIGTERM');
  await exited;
  ctx.progress(`    ready ${readyMs.toFixed(0)} ms`);
  return { variant: which, baseline: true, group: tree.name, values: { files: tree.files, ready_ms: readyMs, reported_ms: null, records: null, cpu_s: cpu, cpu_settle_s: null, rss_peak_mb: peak, watches, stop_ms: performance.now() - s0 } };
}

export const startup: Benchmark = {
  name: 'startup',
  async run(ctx: Context): Promise<BenchResult> {
    const work = path.join(ctx.dir, 'startup');
    mkdirSync(work, { recursive: true });
    const bigDirs = envNum('BENCH_BIG_DIRS', 1000);
    const bigFiles = envNum('BENCH_BIG_FILES', 100);
    const trees: TreeSpec[] = [];
    // The saves benchmark leaves its tree behind; otherwise build one (contents don't matter here).
    const savesRoot = path.join(ctx.dir, 'saves', 'ws');
    if (!existsSync(path.join(savesRoot, 'os-1-202000299'))) createSavesTree(savesRoot);
    trees.push({ name: '300×30', root: savesRoot, files: SAVES_FILES });
    const bigRoot = path.join(work, 'big');
    const bigMarker = path.join(work, `big-${bigDirs}x${bigFiles}.done`);
    const t = performance.now();
    if (!existsSync(bigMarker)) {
      createBigTree(bigRoot, bigDirs, bigFiles);
      writeFileSync(bigMarker, '');
      ctx.progress(`  startup: tree of ${bigDirs * bigFiles} files created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    trees.push({ name: `1×${(bigDirs * bigFiles).toLocaleString('en')}`, root: bigRoot, files: bigDirs * bigFiles });

    const rows: Row[] = [];
    for (const tree of trees) {
      rows.push(await baselineStart(ctx, work, tree, 'inotifywait'));
      for (const watcher of ['parcel', 'chokidar'] as const) {
        const output = path.join(work, `out-${tree.name.replace(/[^\w]/g, '_')}-${watcher}`);
        rows.push(await agentStart(ctx, work, tree, watcher, output, true));
        await sleep(500);
        rows.push(await agentStart(ctx, work, tree, watcher, output, false));
      }
      rows.push(await baselineStart(ctx, work, tree, 'chokidar-default'));
    }
    for (const r of rows) r.variant = `${r.group}: ${r.variant}`;
    return {
      name: 'startup',
      params: { trees: trees.map((t) => ({ name: t.name, files: t.files })), bigDirs, bigFiles },
      tables: [{
        title: 'Startup: spawn → /readyz 200 (baselines: inotifywait "Watches established.", chokidar `ready`)',
        columns: COLUMNS,
        rows,
        notes: [
          `Trees: 300 workspaces × 10 hw dirs × 3 files (~1.4 KB), and one workspace of ${bigDirs.toLocaleString('en')} dirs × ${bigFiles} small .c files.`,
          'cold: empty output dir (empty snapshot store), so the start scan reports every file; "all reported" is spawn → the last of those records (counter polled every 200 ms). warm: restart on the same output dir with nothing changed; "records" should be 0.',
          'Spawn includes the launcher (bin/jcode-watcher.mjs) and tsx loading the TypeScript sources. CPU is the process tree\'s user+sys from spawn; peak RSS is VmHWM of the agent\'s Node process.',
        ],
      }],
    };
  },
};
