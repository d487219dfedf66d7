// A durable, bounded, ordered spool of serialized OTLP requests for one signal. Every batch is written to disk
// before the exporter reports success, then sent in order by one sender with exponential backoff; a batch is
// deleted only once the Collector accepted it. So a Collector outage, or an agent restart in the middle of one,
// loses nothing until the spool is full — then the oldest batches go first, and are counted.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { MetricsRegistry } from '../../core/metrics.ts';
import type { Logger } from '../../core/log.ts';
import { METRICS } from '../../telemetry/schema.ts';

export type Signal = 'logs' | 'traces' | 'metrics';
/** Sends one serialized request; resolves true when the receiver accepted it. */
export type Send = (bytes: Uint8Array) => Promise<boolean>;

interface Entry {
  file: string;
  seq: number;
  count: number;
  bytes: number;
}

const NAME = /^(\d{12})-(\d+)\.pb$/;

export interface SpoolOptions {
  dir: string;
  signal: Signal;
  maxBytes: number;
  send: Send;
  metrics: MetricsRegistry;
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Spool {
  private readonly entries: Entry[] = [];
  private bytes = 0;
  private seq = 0;
  private sending: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private backoffMs: number;
  private readonly labels: { signal: Signal };

  constructor(private readonly o: SpoolOptions) {
    this.backoffMs = o.minBackoffMs ?? 500;
    this.labels = { signal: o.signal };
  }

  /** Load what a previous run left (replayed first, in order) and start the sender. */
  async open(): Promise<void> {
    await fs.mkdir(this.o.dir, { recursive: true });
    const files = (await fs.readdir(this.o.dir)).filter((f) => NAME.test(f)).sort();
    for (const file of files) {
      const [, seq, count] = NAME.exec(file)!;
      const st = await fs.stat(path.join(this.o.dir, file));
      this.entries.push({ file, seq: Number(seq), count: Number(count), bytes: st.size });
      this.bytes += st.size;
      this.seq = Math.max(this.seq, Number(seq) + 1);
    }
    for (const f of await fs.readdir(this.o.dir)) if (f.endsWith('.tmp')) await fs.rm(path.join(this.o.dir, f), { force: true });
    if (this.entries.length) this.o.log.info('replaying spooled batches', { signal: this.o.signal, batches: this.entries.length, bytes: this.bytes });
    this.gauge();
    this.sending = this.run();
  }

  /** Durably append one batch; resolves once it is on disk. */
  async enqueue(data: Uint8Array, count: number): Promise<void> {
    const seq = this.seq++;
    const file = `${String(seq).padStart(12, '0')}-${count}.pb`;
    const full = path.join(this.o.dir, file);
    // Write, fsync, rename: a crash leaves either the whole batch or none of it.
    const fh = await fs.open(`${full}.tmp`, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(`${full}.tmp`, full);
    this.entries.push({ file, seq, count, bytes: data.byteLength });
    this.bytes += data.byteLength;
    this.o.metrics.inc(METRICS.EXPORT_SPOOLED, this.labels, count);
    await this.trim();
    this.gauge();
    this.wake?.();
  }

  get pendingRecords(): number {
    return this.entries.reduce((n, e) => n + e.count, 0);
  }

  /** Wait until everything spooled so far has been sent, or the deadline passes. */
  async drain(deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (this.entries.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return this.entries.length === 0;
  }

  /** Stop sending; what is still spooled stays on disk for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.sending;
  }

  private async trim(): Promise<void> {
    while (this.bytes > this.o.maxBytes && this.entries.length > 1) {
      const oldest = this.entries.shift()!;
      this.bytes -= oldest.bytes;
      await fs.rm(path.join(this.o.dir, oldest.file), { force: true });
      this.o.metrics.inc(METRICS.EXPORT_DROPPED, { ...this.labels, reason: 'spool_full' }, oldest.count);
      this.o.log.warn('spool full: dropped the oldest batch', { signal: this.o.signal, records: oldest.count });
    }
  }

  private gauge(): void {
    this.o.metrics.set(METRICS.EXPORT_SPOOL_BYTES, this.bytes, this.labels);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const head = this.entries[0];
      if (!head) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      let data: Buffer;
      try {
        data = await fs.readFile(path.join(this.o.dir, head.file));
      } catch {
        // Trimmed meanwhile.
        if (this.entries[0] === head) this.remove(head);
        continue;
      }
      let ok = false;
      try {
        ok = await this.o.send(data);
      } catch {
        ok = false;
      }
      if (ok) {
        this.o.metrics.inc(METRICS.EXPORT_SENT, this.labels, head.count);
        this.backoffMs = this.o.minBackoffMs ?? 500;
        if (this.entries[0] === head) {
          this.remove(head);
          await fs.rm(path.join(this.o.dir, head.file), { force: true });
        }
        continue;
      }
      this.o.metrics.inc(METRICS.EXPORT_RETRIES, this.labels);
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.backoffMs);
        this.wake = () => {
          if (this.stopped) {
            clearTimeout(t);
            r();
          }
        };
      });
      this.wake = undefined;
      this.backoffMs = Math.min(this.backoffMs * 2, this.o.maxBackoffMs ?? 30_000);
    }
  }

  private remove(e: Entry): void {
    this.entries.shift();
    this.bytes -= e.bytes;
    this.gauge();
  }
}
