// `npm run bench [-- --quick] [-- --only saves,startup]`: runs the benchmark modules, prints a table per
// result, and writes bench/results/latest.json, the SVG charts and bench/RESULTS.md.
// Add a benchmark: write bench/<name>.ts exporting a `Benchmark` (see lib/types.ts) and list it in MODULES.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.ts';
import { consoleTable, markdownTable, ratios, svgChart, targetsChart, targetsTable } from './lib/report.ts';
import type { Benchmark, BenchResult, Context } from './lib/types.ts';
import { collector } from './collector.ts';
import { exec } from './exec.ts';
import { saves } from './saves.ts';
import { spool } from './spool.ts';
import { startup } from './startup.ts';
import { stormBench } from './storm.ts';

const MODULES: Benchmark[] = [saves, startup, exec, stormBench, spool, collector];

const HERE = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : undefined;

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const ctx: Context = {
  dir: process.env.BENCH_DIR || '/tmp/jcw-bench',
  quick,
  progress: (msg) => process.stderr.write(`[bench ${elapsed()}] ${msg}\n`),
};
mkdirSync(ctx.dir, { recursive: true });

const machine = describeMachine(ctx.dir);
ctx.progress(`machine: ${JSON.stringify(machine)}`);
const results: BenchResult[] = [];
for (const m of MODULES) {
  if (only && !only.includes(m.name)) continue;
  ctx.progress(`${m.name}: start`);
  const r = await m.run(ctx);
  results.push(r);
  for (const t of r.tables) process.stdout.write('\n' + consoleTable(t) + '\n');
}
const totalS = (performance.now() - t0) / 1000;
ctx.progress(`done in ${totalS.toFixed(0)} s`);

const date = new Date().toISOString();
const resultsDir = path.join(HERE, 'results');
mkdirSync(resultsDir, { recursive: true });
// With --only, keep the other modules' results of the previous latest.json (marked with the run they come from),
// so RESULTS.md and latest.json keep every section.
const carried = new Map<string, string>(); // module name → date of the run it comes from
if (only && existsSync(path.join(resultsDir, 'latest.json'))) {
  try {
    const prev = JSON.parse(readFileSync(path.join(resultsDir, 'latest.json'), 'utf8')) as { date: string; results: (BenchResult & { measured?: string; ratios?: unknown })[] };
    for (const r of prev.results ?? []) {
      if (results.some((x) => x.name === r.name)) continue;
      const { ratios: _r, measured, ...rest } = r;
      results.push(rest);
      carried.set(r.name, measured ?? prev.date);
    }
    const order = (n: string) => { const i = MODULES.findIndex((m) => m.name === n); return i < 0 ? MODULES.length : i; };
    results.sort((a, b) => order(a.name) - order(b.name));
  } catch (e) {
    ctx.progress(`could not merge the previous latest.json: ${e}`);
  }
}
const mode = quick ? 'quick (`npm run bench -- --quick`)' : 'full (`npm run bench`)';
writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify({
  date, mode: quick ? 'quick' : 'full', total_seconds: Math.round(totalS), machine,
  results: results.map((r) => ({ ...r, measured: carried.get(r.name) ?? date, ratios: r.tables.flatMap((t) => ratios(t).map((x) => ({ table: t.title, variant: x.variant, figure: x.column.key, baseline: x.baseline, ratio: x.value }))) })),
}, null, 2) + '\n');

const machineLine = `${machine.nproc} × ${machine.cpu}, ${machine.memory_gib} GiB RAM, Linux ${machine.kernel}, ${machine.filesystem}, Node ${machine.node}, ${machine.inotifywait}; max_user_watches ${machine.max_user_watches}, max_queued_events ${machine.max_queued_events}`;
const md: string[] = [
  '### Benchmark results', '',
  `Measured ${date.slice(0, 16).replace('T', ' ')} UTC, ${mode}, total ${Math.round(totalS)} s, on ${machineLine}.`,
  'Regenerate with `npm run bench` (this file, `results/latest.json` and the charts are rewritten). The machines are noisy: compare the ratios against the baselines of the same run more than absolute figures.',
  '',
];
const targets = targetsTable(results);
if (targets.rows.length) {
  writeFileSync(path.join(resultsDir, 'targets.svg'), targetsChart(targets, `${date.slice(0, 10)}, ${quick ? 'quick' : 'full'} run; ${machine.nproc} × ${machine.cpu}, Node ${machine.node}`));
  md.push(markdownTable(targets), '', '![targets](results/targets.svg)', '');
}
for (const r of results) {
  for (const [i, t] of r.tables.entries()) {
    md.push(markdownTable(t), '');
    if (carried.has(r.name)) md.push(`*(${r.name}: measured ${carried.get(r.name)!.slice(0, 16).replace('T', ' ')} UTC in an earlier run, kept from the previous latest.json.)*`, '');
    for (const c of r.charts ?? []) {
      if (c.table !== i) continue;
      if (carried.has(r.name)) { md.push(`![chart](results/${c.file})`, ''); continue; } // chart of that run, left as is
      writeFileSync(path.join(resultsDir, c.file), svgChart(c, t, `${date.slice(0, 10)}, ${quick ? 'quick' : 'full'} run; ${machine.nproc} × ${machine.cpu}, Node ${machine.node}`));
      md.push(`![chart](results/${c.file})`, '');
    }
  }
}
if (only) md.push(`Only these benchmarks ran: ${only.join(', ')}${carried.size ? `; the sections of ${[...carried.keys()].join(', ')} are kept from an earlier run` : ''}.`, '');
writeFileSync(path.join(HERE, 'RESULTS.md'), md.join('\n'));
ctx.progress(`wrote bench/results/latest.json, bench/RESULTS.md${results.some((r) => r.charts?.length) ? ', charts' : ''}`);
