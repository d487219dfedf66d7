// Diffs run with a time limit, small ones inline and the rest in a worker thread, so a 5,000-line rewrite never
// stalls the agent. One worker job is in flight at a time; a watchdog replaces a worker that overruns (the library checks its own timeout only
// between steps).
import { Worker } from 'node:worker_threads';
import { unifiedDiff } from './diff-core.mjs';

/**
 * Small edits of small files are diffed inline: a typical save (a few lines changed in a file of a few KB) takes
 * ~50 µs, while the round trip to the worker costs about twice that in CPU (profiled at 200 saves/s: the
 * worker's postMessage and wake-up were ~3 % of a core). The edit-length cap bounds the inline work to
 * O(size × cap): about a millisecond for the worst 16 KB input (thousands of one-character lines, all changed),
 * ~50 µs for a usual save. A diff that exceeds the cap goes to the worker with the full time limit, so the
 * result is the same either way.
 */
const INLINE_MAX_CHARS = 16 * 1024;
const INLINE_MAX_EDIT_LINES = 32;

export interface DiffResult {
  readonly diff?: string;
  readonly truncated: boolean;
  readonly added: number;
  readonly removed: number;
  readonly ms: number;
}

interface Job {
  msg: { id: number; name: string; oldText: string; newText: string; timeoutMs: number };
  resolve: (r: DiffResult) => void;
}

export class DiffWorker {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private current: (Job & { watchdog: NodeJS.Timeout }) | undefined;
  private nextId = 1;

  constructor(private readonly timeoutMs: number, private readonly maxBytes: number) {}

  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  diff(name: string, oldText: string, newText: string): Promise<DiffResult> {
    if (oldText.length + newText.length <= INLINE_MAX_CHARS) {
      const t0 = performance.now();
      const r = unifiedDiff(name, oldText, newText, this.timeoutMs, INLINE_MAX_EDIT_LINES);
      if (r) return Promise.resolve(this.limit({ ...r, ms: performance.now() - t0 }));
    }
    return new Promise((resolve) => {
      this.queue.push({ msg: { id: this.nextId++, name, oldText, newText, timeoutMs: this.timeoutMs }, resolve });
      this.dispatch();
    });
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./diff-worker.mjs', import.meta.url));
    w.unref();
    w.on('message', (m: DiffResult & { id: number }) => {
      if (m.id !== this.current?.msg.id) return;
      this.finish(this.limit(m));
    });
    w.on('error', () => this.abandon());
    return w;
  }

  /** Cut a diff longer than max_bytes (flagged as truncated). */
  private limit(m: DiffResult): DiffResult {
    let { diff, truncated } = m;
    if (diff && diff.length > this.maxBytes) {
      diff = diff.slice(0, this.maxBytes);
      truncated = true;
    }
    return { diff, truncated, added: m.added, removed: m.removed, ms: m.ms };
  }

  private dispatch(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) return;
    this.worker ??= this.spawn();
    const watchdog = setTimeout(() => this.abandon(), this.timeoutMs * 4 + 1000);
    this.current = { ...job, watchdog };
    this.worker.postMessage(job.msg);
  }

  private finish(r: DiffResult): void {
    const job = this.current!;
    clearTimeout(job.watchdog);
    this.current = undefined;
    job.resolve(r);
    this.dispatch();
  }

  /** The worker overran or died: its job goes out without a diff, and a fresh worker takes the rest. */
  private abandon(): void {
    void this.worker?.terminate();
    this.worker = undefined;
    if (this.current) this.finish({ truncated: true, added: 0, removed: 0, ms: this.timeoutMs * 4 });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
