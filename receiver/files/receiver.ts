// The file receiver: watches every student workspace under the root, settles saves with a per-file debounce,
// reads each settled file safely, and hands typed observations to the next stage. A reconciliation scan (at
// start, after a suspected overflow, and periodically) compares the tree with what was last reported, so a
// final state is never lost, even one saved while the agent was down.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Component, Consumer, Host } from '../../core/component.ts';
import { METRICS, type ScanTrigger, type SkipReason } from '../../telemetry/schema.ts';
import { Debouncer } from './debounce.ts';
import { PathFilter } from './filter.ts';
import { WorkspaceLayout, type FileLocation } from './layout.ts';
import { FileReader, type Content, type ReadMode } from './read.ts';
import { WATCHERS, type DirectoryWatcher, type WatchEvent } from './watchers/index.ts';

export type DetectedBy = 'watch' | 'scan';

/** What the receiver hands on: one settled file, already read. */
export interface FileObservation {
  readonly location: FileLocation;
  readonly detectedBy: DetectedBy;
  /** Epoch ms when the content was read. */
  readonly observedAt: number;
  readonly content: Extract<Content, { kind: 'text' | 'binary' | 'truncated' | 'symlink' | 'missing' }>;
}

/** What the receiver needs to know about already-reported files (the snapshot store provides it). */
export interface KnownFiles {
  head(key: string): { size: number; mtimeMs: number; ino: number } | undefined;
  keysUnder(prefix: string): Iterable<[string, unknown]>;
}

export interface FileReceiverConfig {
  root: string;
  layout: string;
  watcher: 'parcel' | 'chokidar';
  extensions: readonly string[];
  names: readonly string[];
  ignore: readonly string[];
  maxBytes: number;
  maxDepth: number;
  debounceMs: number;
  maxWaitMs: number;
  scanIntervalS: number;
  overflowBurst: number;
  readMode: ReadMode;
}

const READ_CONCURRENCY = 8;
const YIELD_EVERY = 256;
/** Worst delivery delay of a watcher backend under load (@parcel/watcher batches up to 500 ms). */
const WATCHER_DELAY_MS = 1000;
/** A file modified this recently when read is being written: settle again rather than report a torn state. */
const WRITE_IN_PROGRESS_MS = 50;

export class FileReceiver implements Component {
  private host!: Host;
  private rootReal = '';
  private layout: WorkspaceLayout;
  private readonly filter: PathFilter;
  private readonly debounce: Debouncer<DetectedBy>;
  private watcher: DirectoryWatcher | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested: ScanTrigger | undefined;
  private readonly unmatched = new Set<string>();
  private readonly workspaces = new Set<string>();
  private readonly inFlight = new Set<string>();
  /** Files read while being written, settling once more. */
  private readonly resettled = new Set<string>();
  private readonly readQueue: [string, DetectedBy][] = [];
  private reading = 0;
  /** Events whose file is being stat'ed before it enters the debounce. */
  private statting = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  private reader: FileReader | undefined;

  constructor(
    private readonly cfg: FileReceiverConfig,
    private readonly known: KnownFiles,
    private readonly next: Consumer<FileObservation>,
  ) {
    this.layout = new WorkspaceLayout(path.resolve(cfg.root), cfg.layout);
    this.filter = new PathFilter(cfg);
    this.debounce = new Debouncer(cfg.debounceMs, cfg.maxWaitMs, (abs, by) => this.enqueueRead(abs, by));
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    const root = path.resolve(this.cfg.root);
    await fs.mkdir(root, { recursive: true });
    this.rootReal = await fs.realpath(root);
    this.reader = new FileReader(this.rootReal, this.cfg.maxBytes, this.cfg.readMode);
    // Paths from the watcher are real paths: locate them against the real root.
    this.layout = new WorkspaceLayout(this.rootReal, this.cfg.layout);
    this.watcher = WATCHERS[this.cfg.watcher]({
      root: this.rootReal,
      ignore: this.cfg.ignore,
      isIgnored: (abs) => {
        const rel = path.relative(this.rootReal, abs);
        return rel !== '' && !rel.startsWith('..') && this.filter.ignored(rel.split(path.sep).join('/'));
      },
      onEvents: (events) => this.onEvents(events),
      onError: (err) => {
        host.log.warn('watcher error; scanning to recover', { error: err.message });
        this.overflow();
      },
    });
    await this.watcher.start();
    // The start scan reports what changed while the agent was down; the agent is ready after it.
    await this.scan('start');
    if (this.cfg.scanIntervalS > 0) {
      this.scanTimer = setInterval(() => void this.scan('periodic'), this.cfg.scanIntervalS * 1000);
      this.scanTimer.unref();
    }
    host.metrics.set(METRICS.RECEIVER_UP, 1, { receiver: 'files' });
  }

  /** Stop watching, then read and hand on everything still pending (the flush at SIGTERM). */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.scanTimer);
    await this.watcher?.stop();
    await this.scanning;
    this.debounce.flushAll();
    await this.idle();
    await this.reader?.close();
    this.host?.metrics.set(METRICS.RECEIVER_UP, 0, { receiver: 'files' });
  }

  /** Resolves when nothing is pending, being read or scanned (tests and shutdown use it). */
  async idle(): Promise<void> {
    while (this.debounce.size > 0 || this.reading > 0 || this.readQueue.length > 0 || this.statting > 0 || this.scanning) {
      if (this.scanning) await this.scanning;
      else await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  private skip(reason: SkipReason): void {
    this.host.metrics.inc(METRICS.FILE_SKIPPED, { reason });
  }

  private overflow(): void {
    this.host.metrics.inc(METRICS.WATCH_OVERFLOWS);
    void this.scan('overflow');
  }

  private onEvents(events: readonly WatchEvent[]): void {
    if (this.stopped) return;
    this.host.metrics.inc(METRICS.WATCH_EVENTS, {}, events.length);
    // The backends hide IN_Q_OVERFLOW; a burst this large may have overrun the kernel queue, so rescan.
    if (events.length >= this.cfg.overflowBurst) this.overflow();
    for (const e of events) this.onEvent(e);
    this.updatePending();
  }

  private onEvent(e: WatchEvent): void {
    // Names that are not valid UTF-8 reach us lossily decoded (U+FFFD) and cannot be opened by that name.
    if (e.path.includes('\uFFFD')) return this.skip('invalid_name');
    const loc = this.layout.locate(e.path);
    if (loc.kind === 'outside') return;
    if (loc.kind === 'unmatched') {
      this.noteUnmatched(loc.workspace);
      return;
    }
    const { location } = loc;
    if (this.filter.ignored(location.key)) return;
    if (location.relPath === '') {
      // A new student workspace appeared (or was moved in): scan it; files inside may predate our watch.
      if (e.type !== 'delete') {
        this.workspaces.add(location.student.workspace);
        void this.newDirectory(e.path).then(() => this.scanDir(e.path, 'watch'));
      }
      return;
    }
    if (this.filter.allowed(location.relPath)) {
      // Only an in-place update dates from its mtime: a create may be a rename (which keeps the old mtime) and
      // must settle after its partner delete does, so the two pair up.
      if (e.type === 'update') this.touchFromMtime(e.path);
      else this.debounce.touch(e.path, 'watch');
      return;
    }
    // Not an allowed file name: maybe a directory. A deleted one takes its reported files with it; a created
    // or moved-in one is scanned, since its files may have arrived before the watch did.
    if (e.type === 'delete') {
      for (const [key] of this.known.keysUnder(location.key)) this.debounce.touch(path.join(this.rootReal, key), 'watch');
    } else {
      void fs.lstat(e.path).then(
        (st) => void (st.isDirectory() ? this.newDirectory(e.path).then(() => this.scanDir(e.path, 'watch')) : this.skip('not_allowed')),
        () => undefined,
      );
    }
  }

  /** A directory appeared: if it already has subdirectories, make sure the watcher covers them. */
  private async newDirectory(dir: string): Promise<void> {
    try {
      const list = await fs.readdir(dir, { withFileTypes: true });
      if (list.some((d) => d.isDirectory())) await this.watcher?.watchSubtree(dir);
    } catch {
      /* gone again */
    }
  }

  /**
   * Settle a changed file counting from its modification time: watchers deliver in batches (parcel holds events
   * up to 500 ms under load), and the quiet time should not start over at delivery.
   */
  private touchFromMtime(abs: string): void {
    const received = performance.now();
    this.statting++;
    void fs.lstat(abs).then(
      (st) => this.debounce.touch(abs, 'watch', received - Math.max(0, Date.now() - st.mtimeMs)),
      () => this.debounce.touch(abs, 'watch'),
    ).finally(() => {
      this.statting--;
      this.updatePending();
    });
  }

  private noteUnmatched(workspace: string): void {
    if (workspace.startsWith('.') || this.unmatched.has(workspace)) return;
    this.unmatched.add(workspace);
    this.skip('unmatched_workspace');
    this.host.log.info('ignoring a directory that does not match workspaces.layout', { directory: workspace, layout: this.cfg.layout });
  }

  private enqueueRead(abs: string, by: DetectedBy): void {
    this.readQueue.push([abs, by]);
    this.pump();
  }

  private pump(): void {
    while (this.reading < READ_CONCURRENCY && this.readQueue.length > 0) {
      const [abs, by] = this.readQueue.shift()!;
      if (this.inFlight.has(abs)) {
        // A read of this path is running: settle again so the newer state is read after it.
        this.debounce.touch(abs, by);
        continue;
      }
      this.reading++;
      this.inFlight.add(abs);
      void this.readOne(abs, by).finally(() => {
        this.reading--;
        this.inFlight.delete(abs);
        this.pump();
        this.updatePending();
      });
    }
    this.updatePending();
  }

  private updatePending(): void {
    this.host.metrics.set(METRICS.PENDING_FILES, this.debounce.size + this.readQueue.length + this.reading);
    if (this.debounce.size === 0 && this.reading === 0 && this.readQueue.length === 0 && this.statting === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private async readOne(abs: string, detectedBy: DetectedBy): Promise<void> {
    const loc = this.layout.locate(abs);
    if (loc.kind !== 'file') return;
    if (loc.location.relPath.split('/').length > this.cfg.maxDepth) return this.skip('too_deep');
    const content = await this.reader!.read(abs);
    if ((content.kind === 'text' || content.kind === 'binary') && Date.now() - content.mtimeMs < WRITE_IN_PROGRESS_MS && !this.resettled.has(abs)) {
      // Modified while we read it (an editor's truncate-then-write): read again once it settles, at most once
      // per save, so a file written continuously still gets reported.
      this.resettled.add(abs);
      this.debounce.touch(abs, detectedBy);
      return;
    }
    this.resettled.delete(abs);
    switch (content.kind) {
      case 'directory':
        return void (await this.scanDir(abs, detectedBy));
      case 'special':
        return this.skip('special_file');
      case 'outside':
        return this.skip('symlink_outside');
      case 'denied':
        return this.skip('permission_denied');
      case 'error':
        this.host.log.warn('cannot read file', { path: loc.location.key, error: content.message });
        return this.skip('read_error');
      case 'missing':
        // Only a file we reported before can be deleted; anything else vanished before we read it.
        if (!this.known.head(loc.location.key)) return this.skip('vanished');
    }
    this.next.consume({ location: loc.location, detectedBy, observedAt: Date.now(), content });
  }

  /** Run one reconciliation scan over every workspace; concurrent requests coalesce into one rescan. */
  scan(trigger: ScanTrigger): Promise<void> {
    if (this.scanning) {
      this.rescanRequested = trigger;
      return this.scanning;
    }
    this.scanning = (async () => {
      let next: ScanTrigger | undefined = trigger;
      while (next && !this.stopped) {
        this.rescanRequested = undefined;
        await this.scanAll(next);
        next = this.rescanRequested;
      }
    })().finally(() => {
      this.scanning = undefined;
      this.updatePending();
    });
    return this.scanning;
  }

  private async scanAll(trigger: ScanTrigger): Promise<void> {
    this.reader?.refreshMounts();
    const t0 = performance.now();
    this.host.metrics.inc(METRICS.SCANS, { trigger });
    let files = 0;
    let entries: string[] = [];
    try {
      entries = await fs.readdir(this.rootReal);
    } catch (err) {
      this.host.log.error('cannot list the workspaces root', { root: this.rootReal, error: (err as Error).message });
    }
    const live = new Set<string>();
    for (const name of entries) {
      if (this.filter.ignored(name)) continue;
      if (!this.layout.student(name)) {
        this.noteUnmatched(name);
        continue;
      }
      live.add(name);
      files += await this.scanWorkspace(name, trigger);
    }
    // Workspaces that vanished entirely: their files are deleted.
    for (const ws of this.workspaces) if (!live.has(ws)) files += await this.scanWorkspace(ws, trigger);
    this.host.metrics.set(METRICS.WATCHED_WORKSPACES, this.workspaces.size);
    this.host.metrics.set(METRICS.SCAN_FILES, files);
    this.host.metrics.observe(METRICS.SCAN_DURATION, (performance.now() - t0) / 1000);
  }

  /** Scan one workspace: changed or new files and reported files that are gone are settled as `scan`. */
  private async scanWorkspace(workspace: string, trigger: ScanTrigger): Promise<number> {
    const dir = path.join(this.rootReal, workspace);
    const seen = new Set<string>();
    // A periodic scan leaves changes younger than the watcher's worst delivery delay to the watcher, so it
    // does not claim saves the watcher is about to report.
    const recentMs = trigger === 'periodic' ? this.cfg.debounceMs + WATCHER_DELAY_MS : 0;
    const count = await this.scanDir(dir, 'scan', seen, recentMs);
    let exists = true;
    try {
      await fs.lstat(dir);
    } catch {
      exists = false;
    }
    if (exists) this.workspaces.add(workspace);
    else this.workspaces.delete(workspace);
    for (const [key] of this.known.keysUnder(workspace)) {
      const abs = path.join(this.rootReal, key);
      if (!seen.has(abs) && !this.debounce.has(abs)) this.debounce.touch(abs, 'scan');
    }
    return count;
  }

  /** Walk a directory without following symlinks; touch files that differ from their last reported state. */
  private async scanDir(dir: string, by: DetectedBy, seen?: Set<string>, recentMs = 0): Promise<number> {
    let visited = 0;
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      let list;
      try {
        list = await fs.readdir(d, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') this.skip('permission_denied');
        continue;
      }
      const known: [string, string, { size: number; mtimeMs: number; ino: number }][] = [];
      for (const ent of list) {
        if (ent.name.includes('\uFFFD')) {
          this.skip('invalid_name');
          continue;
        }
        const abs = path.join(d, ent.name);
        const rel = path.relative(this.rootReal, abs).split(path.sep).join('/');
        if (this.filter.ignored(rel)) continue;
        if (ent.isDirectory()) {
          if (rel.split('/').length - 1 > this.cfg.maxDepth) this.skip('too_deep');
          else stack.push(abs);
          continue;
        }
        if (!this.filter.allowed(rel)) continue;
        visited++;
        seen?.add(abs);
        if (this.debounce.has(abs) || this.inFlight.has(abs)) continue;
        const head = this.known.head(rel);
        if (head) known.push([abs, rel, head]);
        else this.debounce.touch(abs, by);
      }
      // Files reported before: compare their stat identity with the snapshot, a directory's worth at a time.
      const now = Date.now();
      await Promise.all(known.map(async ([abs, , head]) => {
        try {
          const st = await fs.lstat(abs);
          if (st.size === head.size && st.mtimeMs === head.mtimeMs && st.ino === head.ino) return;
          // Changed moments ago: the watcher's event is on its way; a later scan catches it if not.
          if (now - st.mtimeMs < recentMs) return;
        } catch {
          /* gone: the read will say so */
        }
        this.debounce.touch(abs, by);
      }));
      if (visited >= YIELD_EVERY) await new Promise((r) => setImmediate(r));
    }
    this.updatePending();
    return visited;
  }

}
