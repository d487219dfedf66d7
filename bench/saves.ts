// Saves benchmark: 300 workspaces × 30 files, 200 saves/s written the way code-server saves, against the agent
// (parcel and chokidar backends) and two baselines measured in the same run: chokidar 6 with default options
// (events only) and `inotifywait -m -r` (the floor of what watching costs).
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { AgentProcess, NODE, REPO, sleep } from './lib/agent.ts';
import { content, parseMarker, savesFile } from './lib/content.mjs';
import { cpuDelta, inotifyWatches, peakRssMb, rssMb, treeCpuSnapshot } from './lib/proc.ts';
import { envNum, summary } from './lib/stats.ts';
import { createSavesTree, SAVES_FILES } from './lib/tree.ts';
import type { Benchmark, BenchResult, Column, Context, Row } from './lib/types.ts';

type Variant = 'agent-parcel' | 'agent-chokidar' | 'chokidar-default' | 'inotifywait';

interface WriterLog {
  t0: number;
  t1: number;
  f: number[];
  seq: number[];
  start: number[];
  done: number[];
}

interface Params {
  seconds: number;
  rate: number;
  debounceMs: number;
  resaveFraction: number;
  resaveDelayMs: number;
  rounds: number;
  seed: number;
}

/** A save with no record counts as missed only if the file then kept its content this long past the debounce
 * (parcel batches events for up to 500 ms before the debounce even starts). */
const MISSED_SLACK_MS = 1000;


export const COLUMNS: Column[] = [
  { key: 'ready_ms', label: 'ready ms', digits: 0 },
  { key: 'saves', label: 'saves', digits: 0 },
  { key: 'records', label: 'records/events', digits: 0 },
  { key: 'lost', label: 'final lost', digits: 0, target: { op: '==', value: 0 } },
  { key: 'missed', label: 'missed saves', digits: 0 },
  { key: 'corrupt', label: 'torn bodies', digits: 0 },
  { key: 'lat_p50', label: 'lat p50 ms', digits: 1 },
  { key: 'lat_p99', label: 'lat p99 ms', digits: 1 },
  { key: 'lat_max', label: 'lat max ms', digits: 1 },
  { key: 'cpu_pct', label: 'CPU % core', digits: 2, target: { op: '<=', value: 10 }, ratio: true },
  { key: 'rss_peak_mb', label: 'peak RSS MB', digits: 1, target: { op: '<=', value: 150 }, ratio: true },
  { key: 'rss_end_mb', label: 'RSS end MB', digits: 1 },
  { key: 'watches', label: 'inotify watches', digits: 0 },
  { key: 'scan_records', label: 'scan records', digits: 0 },
];

class SavesRun {
  /** Last seq written to each file (the expected final state); carried across runs on the same tree. */
  readonly lastSeq = new Int32Array(SAVES_FILES);
  private seq = 0;
  private readonly keyToFile = new Map<string, number>();
  private readonly absToFile = new Map<string, number>();

  constructor(readonly ctx: Context, readonly root: string, readonly work: string, readonly p: Params) {
    for (let f = 0; f < SAVES_FILES; f++) {
      const s = savesFile(f);
      this.keyToFile.set(`${s.student}/${s.rel}`, f);
      this.absToFile.set(path.join(root, s.path), f);
    }
  }

  private async write(tag: string): Promise<WriterLog> {
    const out = path.join(this.work, `writer-${tag}.json`);
    const arg = {
      root: this.root, files: SAVES_FILES, rate: this.p.rate, seconds: this.p.seconds, startSeq: this.seq,
      resaveFraction: this.p.resaveFraction, resaveDelayMs: this.p.resaveDelayMs, out, seed: this.p.seed,
    };
    const child = spawn(NODE, [path.join(REPO, 'bench/writer.mjs'), JSON.stringify(arg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`writer exited with ${code}`);
    const log = JSON.parse(readFileSync(out, 'utf8')) as WriterLog;
    for (let i = 0; i < log.f.length; i++) this.lastSeq[log.f[i]] = log.seq[i];
    this.seq = log.seq.length ? log.seq[log.seq.length - 1] : this.seq;
    const achieved = log.f.length / ((log.t1 - log.t0) / 1000);
    this.ctx.progress(`    writer: ${log.f.length} saves in ${((log.t1 - log.t0) / 1000).toFixed(1)} s (${achieved.toFixed(0)}/s)`);
    return log;
  }

  async run(variant: Variant, round: number): Promise<Row> {
    const tag = `${variant}-${round}`;
    this.ctx.progress(`  saves: ${tag}`);
    const row = variant.startsWith('agent-') ? await this.runAgent(variant, tag) : await this.runBaseline(variant, tag);
    row.variant = this.p.rounds > 1 ? `${variant} r${round}` : variant;
    row.group = String(round);
    return row;
  }

  private async runAgent(variant: Variant, tag: string): Promise<Row> {
    const output = path.join(this.work, `out-${tag}`);
    rmSync(output, { recursive: true, force: true });
    const agent = await AgentProcess.start({
      watcher: variant === 'agent-parcel' ? 'parcel' : 'chokidar', workspaces: this.root, output,
      files: { debounce_ms: this.p.debounceMs }, logFile: path.join(this.work, `agent-${tag}.log`),
    });
    try {
      const readyMs = await agent.waitReady(180_000);
      // First start: every file is new to the snapshot store, so all 9,000 are reported. Let that finish.
      const m0 = await agent.settle({ minRecords: SAVES_FILES, timeoutMs: 300_000 });
      this.ctx.progress(`    ready ${readyMs.toFixed(0)} ms, initial ${m0.sum('jcode_watcher_file_events_total')} records settled`);
      const pid = agent.pid;
      let watches = inotifyWatches(pid);
      const c0 = treeCpuSnapshot(agent.launcherPid);
      const w0 = performance.now();
      const log = await this.write(tag);
      // Include the tail of the work (the last saves settle debounce_ms later).
      await sleep(this.p.debounceMs + 500);
      const cpu = cpuDelta(c0, treeCpuSnapshot(agent.launcherPid));
      const wall = (performance.now() - w0) / 1000;
      watches = Math.max(watches, inotifyWatches(pid));
      const rssEnd = rssMb(pid) ?? null;
      const m1 = await agent.settle({ timeoutMs: 60_000 });
      const peak = peakRssMb(pid) ?? null;
      const stop = await agent.stop();
      if (stop.code !== 0) this.ctx.progress(`    warning: agent exited with ${stop.code} after SIGTERM (${stop.ms.toFixed(0)} ms)`);
      const a = await this.analyseLogs(path.join(output, 'logs.jsonl'), log);
      return {
        variant,
        values: {
          ready_ms: readyMs, saves: log.f.length, records: a.phaseRecords, lost: a.lost, missed: a.missed, corrupt: a.corrupt,
          lat_p50: a.lat.p50, lat_p99: a.lat.p99, lat_max: a.lat.max, cpu_pct: (cpu / wall) * 100, rss_peak_mb: peak,
          rss_end_mb: rssEnd, watches,
          scan_records: m1.sum('jcode_watcher_file_events_total', { detected_by: 'scan' }) - m0.sum('jcode_watcher_file_events_total', { detected_by: 'scan' }),
          stop_ms: stop.ms, exit_code: stop.code,
        },
        details: a.corruptExamples.length ? { tornBodies: a.corruptExamples } : undefined,
      };
    } finally {
      await agent.stop();
    }
  }

  /** Read logs.jsonl: match every save record to the save that wrote its body. */
  private async analyseLogs(file: string, log: WriterLog) {
    const firstSeen = new Map<number, number>(); // seq → observed ms of the first record with that body
    const lastRecSeq = new Int32Array(SAVES_FILES).fill(-1);
    let corrupt = 0;
    const corruptExamples: Record<string, unknown>[] = [];
    let unknown = 0;
    let phaseRecords = 0;
    const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const req = JSON.parse(line);
      for (const rlg of req.resourceLogs ?? []) for (const sl of rlg.scopeLogs ?? []) for (const r of sl.logRecords ?? []) {
        if (r.eventName !== 'jcode.file.save') continue;
        const attrs: Record<string, string> = {};
        for (const kv of r.attributes ?? []) attrs[kv.key] = kv.value?.stringValue ?? kv.value?.intValue;
        const f = this.keyToFile.get(`${attrs['edu.student.id']}/${attrs['file.path']}`);
        if (f === undefined) {
          unknown++;
          continue;
        }
        const body: string = r.body?.stringValue ?? '';
        const mk = parseMarker(body);
        if (!mk || mk.f !== f || body !== content(f, mk.seq)) {
          corrupt++;
          if (corruptExamples.length < 10) {
            corruptExamples.push({
              path: savesFile(f).path, file: f, bodyLength: body.length, bodyHead: body.slice(0, 60), attributes: { ...attrs, 'jcode.file.diff': undefined },
              timeUnixNano: r.timeUnixNano, observedTimeUnixNano: r.observedTimeUnixNano, saves: savesAround(log, f, Number(BigInt(r.timeUnixNano) / 1000n) / 1000),
            });
          }
          lastRecSeq[f] = -2;
          continue;
        }
        const observed = Number(BigInt(r.observedTimeUnixNano) / 1000n) / 1000;
        if (observed >= log.t0) phaseRecords++;
        if (!firstSeen.has(mk.seq)) firstSeen.set(mk.seq, observed);
        lastRecSeq[f] = mk.seq;
      }
    }
    let lost = 0;
    for (let f = 0; f < SAVES_FILES; f++) if (lastRecSeq[f] !== this.lastSeq[f]) lost++;
    const lat: number[] = [];
    let missed = 0;
    const next = nextSaveStart(log);
    for (let i = 0; i < log.f.length; i++) {
      const t = firstSeen.get(log.seq[i]);
      if (t !== undefined) lat.push(t - log.done[i]);
      // No record: fine if a later save of the file came within the debounce window (coalesced), else missed.
      else if (next[i] === undefined || next[i]! - log.done[i] > this.p.debounceMs + MISSED_SLACK_MS) missed++;
    }
    if (unknown) this.ctx.progress(`    warning: ${unknown} records for paths outside the tree`);
    return { lost, missed, corrupt, corruptExamples, phaseRecords, lat: summary(lat) };
  }

  private async runBaseline(variant: Variant, tag: string): Promise<Row> {
    const times = new Map<number, number[]>();
    const note = (abs: string, t: number) => {
      const f = this.absToFile.get(abs);
      if (f === undefined) return;
      const l = times.get(f);
      if (l) l.push(t);
      else times.set(f, [t]);
    };
    let events = 0;
    let pid: number;
    let readyMs: number;
    let stopIt: () => Promise<void>;
    const t0 = performance.now();
    if (variant === 'inotifywait') {
      // stdbuf: without line buffering a pipe would hold events back in inotifywait's stdio buffer.
      const child = spawn('stdbuf', ['-oL', 'inotifywait', '-m', '-r', '-e', 'close_write,moved_to', '--format', '%w%f', this.root], { stdio: ['ignore', 'pipe', 'pipe'] });
      pid = child.pid!;
      const ready = new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => {
          err += d;
          if (err.includes('Watches established')) resolve();
        });
        child.once('exit', (c) => reject(new Error(`inotifywait exited ${c}: ${err}`)));
      });
      readline.createInterface({ input: child.stdout! }).on('line', (l) => {
        events++;
        note(l, performance.timeOrigin + performance.now());
      });
      await ready;
      readyMs = performance.now() - t0;
      stopIt = async () => {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      };
    } else {
      const out = path.join(this.work, `events-${tag}.json`);
      const child = spawn(NODE, [path.join(REPO, 'bench/baselines/chokidar-default.mjs'), this.root, out], { stdio: ['ignore', 'pipe', 'inherit'] });
      pid = child.pid!;
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', (c) => reject(new Error(`chokidar baseline exited ${c}`)));
      });
      readyMs = performance.now() - t0;
      stopIt = async () => {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
        const r = JSON.parse(readFileSync(out, 'utf8')) as { events: number; times: Record<string, number[]> };
        events = r.events;
        for (const [p, ts] of Object.entries(r.times)) for (const t of ts) note(p, t);
      };
    }
    this.ctx.progress(`    ready ${readyMs.toFixed(0)} ms`);
    await sleep(1000);
    let watches = inotifyWatches(pid);
    const c0 = treeCpuSnapshot(pid);
    const w0 = performance.now();
    const log = await this.write(tag);
    await sleep(this.p.debounceMs + 500);
    const cpu = cpuDelta(c0, treeCpuSnapshot(pid));
    const wall = (performance.now() - w0) / 1000;
    watches = Math.max(watches, inotifyWatches(pid));
    const peak = peakRssMb(pid) ?? null;
    const rssEnd = rssMb(pid) ?? null;
    await stopIt();
    for (const l of times.values()) l.sort((a, b) => a - b);
    // Each save is matched to the first event at or after its start and before the file's next save started.
    const next = nextSaveStart(log);
    const lat: number[] = [];
    let missed = 0;
    let lost = 0;
    for (let i = 0; i < log.f.length; i++) {
      const ts = times.get(log.f[i]) ?? [];
      const e = ts.find((t) => t >= log.start[i] && (next[i] === undefined || t < next[i]!));
      if (e !== undefined) lat.push(e - log.done[i]);
      else if (next[i] === undefined) lost++;
      else missed++;
    }
    const s = summary(lat);
    return {
      variant,
      baseline: true,
      values: {
        ready_ms: readyMs, saves: log.f.length, records: events, lost, missed, corrupt: null, lat_p50: s.p50, lat_p99: s.p99,
        lat_max: s.max, cpu_pct: (cpu / wall) * 100, rss_peak_mb: peak, rss_end_mb: rssEnd, watches, scan_records: null,
      },
    };
  }
}

/** The writer's saves of file f within 2 s of time t (epoch ms), times relative to t. */
function savesAround(log: WriterLog, f: number, t: number) {
  const out: { seq: number; startRelMs: number; doneRelMs: number }[] = [];
  for (let i = 0; i < log.f.length; i++) {
    if (log.f[i] === f && Math.abs(log.start[i] - t) < 2000) out.push({ seq: log.seq[i], startRelMs: log.start[i] - t, doneRelMs: log.done[i] - t });
  }
  return out;
}

/** For each save, the start time of the next save of the same file (undefined for a file's last save). */
function nextSaveStart(log: WriterLog): (number | undefined)[] {
  const next: (number | undefined)[] = new Array(log.f.length);
  const seen = new Map<number, number>();
  for (let i = log.f.length - 1; i >= 0; i--) {
    next[i] = seen.get(log.f[i]);
    seen.set(log.f[i], log.start[i]);
  }
  return next;
}

export const saves: Benchmark = {
  name: 'saves',
  async run(ctx: Context): Promise<BenchResult> {
    const p: Params = {
      seconds: envNum('BENCH_SAVES_SECONDS', ctx.quick ? 10 : 60),
      rate: envNum('BENCH_SAVES_RATE', 200),
      debounceMs: envNum('BENCH_DEBOUNCE_MS', 500),
      resaveFraction: envNum('BENCH_RESAVE_FRACTION', 0.1),
      resaveDelayMs: envNum('BENCH_RESAVE_DELAY_MS', 20),
      rounds: envNum('BENCH_SAVES_ROUNDS', 1),
      seed: 12345,
    };
    const work = path.join(ctx.dir, 'saves');
    const root = path.join(work, 'ws');
    mkdirSync(work, { recursive: true });
    const t = performance.now();
    createSavesTree(root);
    ctx.progress(`  saves: tree of ${SAVES_FILES} files created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const r = new SavesRun(ctx, root, work, p);
    // Baselines interleaved with the agent runs so drift in the machine's speed hits both.
    // BENCH_SAVES_VARIANTS=agent-parcel,inotifywait runs a subset (profiling, quick comparisons).
    const all: Variant[] = ['inotifywait', 'agent-parcel', 'chokidar-default', 'agent-chokidar'];
    const pick = process.env.BENCH_SAVES_VARIANTS?.split(',').map((s) => s.trim()).filter(Boolean);
    const order = pick ? all.filter((v) => pick.includes(v)) : all;
    const rows: Row[] = [];
    for (let round = 1; round <= p.rounds; round++) for (const v of order) rows.push(await r.run(v, round));
    return {
      name: 'saves',
      params: { ...p, workspaces: 300, files: SAVES_FILES },
      tables: [{
        title: `Saves: ${SAVES_FILES.toLocaleString('en')} files in 300 workspaces, ${p.rate} saves/s for ${p.seconds} s`,
        columns: COLUMNS.map((c) => (c.key === 'lat_p99' ? { ...c, target: { op: '<=' as const, value: p.debounceMs + 250 } } : c)),
        rows,
        notes: [
          `Writer: a separate process; open(O_TRUNC) + one write + fdatasync + close, unique ~1.4 KB content per save; ${Math.round(p.resaveFraction * 100)} % of saves re-save a file ${p.resaveDelayMs} ms after its previous save (same seed for every run).`,
          `Agent: \`files.debounce_ms: ${p.debounceMs}\`, other keys default (scan_interval_s 60: a periodic scan falls inside a 60 s save phase); fresh output dir, so the first start reports all ${SAVES_FILES} files, which is settled before saves begin.`,
          'final lost: files whose last body in logs.jsonl (agent) is not the last content written; for baselines, files whose last save got no event at or after its start.',
          `missed saves: saves with no record/event although the file then kept that content for more than debounce + ${MISSED_SLACK_MS} ms (agent) or before the next save of the file (baselines); saves overwritten sooner are coalesced, not counted.`,
          'latency: agent = observedTimeUnixNano of the first record carrying the save\'s content − the writer\'s close() time; baselines = first event after the save began − close() time (negative: the event came on truncate/first write, before fdatasync returned).',
          'CPU: user+sys of the process tree (agent: launcher + Node child incl. threads) from /proc over the save phase plus debounce + 0.5 s, as % of one core. peak RSS: VmHWM of the watching process (the agent\'s Node child), so for the agent it includes the first-start report of all files; RSS end: VmRSS after the save phase. watches: `inotify wd:` lines in its fdinfo.',
          'scan records: records the agent emitted with detected_by=scan during the save phase: a save the watcher missed and a reconciliation scan caught, or (parcel) a save the periodic scan reached before the watcher\'s batched event did (a labelling race, not a loss: check the latency of those saves in the logs).',
        ],
      }],
      charts: [{ file: 'saves.svg', title: `Saves at ${p.rate}/s: CPU and peak RSS`, panels: [{ key: 'cpu_pct', label: 'CPU (% of one core)', target: 10 }, { key: 'rss_peak_mb', label: 'Peak RSS (MB)', target: 150 }], table: 0 }],
    };
  },
};
