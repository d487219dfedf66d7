// Reads workspace files (read-core.mjs does the reading) on the right thread: inline when the file lives on a
// local file system, where every call is answered from the page cache or local disk in microseconds, and in a
// worker thread otherwise (NFS, SMB, FUSE…: a call can block for as long as the server takes, and must never
// stall the event loop) or when the file is over the size limit (hashed in full).
import { readFileSync } from 'node:fs';

import { Worker } from 'node:worker_threads';
import { readFileSafelySync, type Content } from './read-core.mjs';

export type { Content };

export type ReadMode = 'auto' | 'inline' | 'worker';

/** File systems whose calls never wait on a network peer. */
const LOCAL_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'tmpfs', 'overlay', 'zfs', 'f2fs', 'ramfs', 'bcachefs', 'jfs', 'reiserfs', 'vfat', 'exfat']);

interface Mount { point: string; fstype: string }

/** Mounts from /proc/self/mountinfo (`… mountpoint … - fstype source opts`), longest mount point first. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fields.length < 5 || !fstype) continue;
    // Octal escapes (\040 for a space) in the mount point.
    const point = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    mounts.push({ point, fstype });
  }
  return mounts.sort((a, b) => b.point.length - a.point.length);
}

/** The file system type a path is on (the longest mount point containing it). */
export function fsTypeOf(mounts: readonly Mount[], abs: string): string | undefined {
  return mounts.find((m) => m.point === '/' || abs === m.point || abs.startsWith(m.point + '/'))?.fstype;
}

interface Job { resolve: (c: Content) => void }

/** Inline reads between two turns of the event loop (~16 µs each: ~0.5 ms of loop time at most). */
const INLINE_YIELD_EVERY = 32;

export class FileReader {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private mounts: Mount[] = [];
  private inlineReads = 0;

  constructor(private readonly rootReal: string, private readonly maxBytes: number, private readonly mode: ReadMode = 'auto') {
    this.refreshMounts();
  }

  /** Re-read the mount table (a student volume may be mounted under the root after start); cheap. */
  refreshMounts(): void {
    if (this.mode !== 'auto') return;
    try {
      this.mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      this.mounts = []; // unknown: every read goes to the worker
    }
  }

  /** Whether reads of this path may run on the event loop. */
  inline(abs: string): boolean {
    if (this.mode !== 'auto') return this.mode === 'inline';
    return LOCAL_FS.has(fsTypeOf(this.mounts, abs) ?? '');
  }

  async read(abs: string): Promise<Content> {
    if (this.inline(abs)) {
      // Inline reads complete without ever returning to the event loop; a start scan queueing 100,000 of them
      // would hold off timers, I/O callbacks (its own directory walk) and the HTTP probes until all were read.
      if (++this.inlineReads % INLINE_YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
      const c = readFileSafelySync(abs, this.rootReal, this.maxBytes, true);
      if (c.kind !== 'large') return c;
    }
    return this.inWorker(abs);
  }

  private inWorker(abs: string): Promise<Content> {
    const w = this.worker ?? this.startWorker();
    const id = this.nextId++;
    return new Promise<Content>((resolve) => {
      this.jobs.set(id, { resolve });
      w.postMessage({ id, abs, rootReal: this.rootReal, maxBytes: this.maxBytes });
    });
  }

  private startWorker(): Worker {
    const w = new Worker(new URL('./read-worker.mjs', import.meta.url));
    w.unref();
    w.on('message', (m: { id: number; content: Content; bytes?: ArrayBuffer; offset?: number; length?: number }) => {
      const job = this.jobs.get(m.id);
      if (!job) return;
      this.jobs.delete(m.id);
      if (m.bytes && m.content.kind === 'text') {
        const bytes = Buffer.from(m.bytes, m.offset, m.length);
        job.resolve({ ...m.content, bytes, text: bytes.toString('utf8') });
      } else job.resolve(m.content);
    });
    // A worker that dies fails its reads as errors (counted by the receiver) and is replaced on the next read.
    const fail = (message: string) => {
      if (this.worker === w) this.worker = undefined;
      for (const [, job] of this.jobs) job.resolve({ kind: 'error', message });
      this.jobs.clear();
    };
    w.on('error', (err) => fail(`read worker failed: ${err.message}`));
    w.on('exit', (code) => fail(`read worker exited (${code})`));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

