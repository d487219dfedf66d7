// External merge sort of text lines by a fixed-width key prefix. The agent's files are in arrival order (per
// node, per batch), not in time order, and ProgSnap2's Order needs time order: sorting in memory would need
// the whole input in memory, so sorted runs of bounded size go to disk and are merged.
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { splitLines } from './otlp-read.ts';

/** Bytes of lines held before a sorted run is written. */
const DEFAULT_RUN_BYTES = 8 * 1024 * 1024;
/** Runs merged at once; more runs are merged in passes (keeps open files bounded). */
const FAN_IN = 64;

/**
 * Lines are kept as UTF-8 bytes in one reused Buffer, not as JS strings: strings that live for a whole run get
 * promoted to V8's old space and are collected late, which made the heap several times the run size.
 */
export class ExternalSorter {
  private buf: Buffer;
  private used = 0;
  private starts: number[] = [];
  private ends: number[] = [];
  private runs: string[] = [];
  private seq = 0;
  /** Sorted runs written to disk (for the memory test and the README's numbers). */
  runsWritten = 0;

  /** Lines compare as whole strings (bytewise): callers start each with a fixed-width key. */
  constructor(private readonly dir: string, runBytes = DEFAULT_RUN_BYTES) {
    mkdirSync(dir, { recursive: true });
    this.buf = Buffer.allocUnsafe(runBytes);
  }

  async add(line: string): Promise<void> {
    if (line.includes('\n')) throw new Error('sorted lines must not contain newlines');
    const len = Buffer.byteLength(line);
    if (this.used + len + 1 > this.buf.length) {
      await this.spill();
      // A line longer than a whole run gets a buffer of its own size (rare: a run is megabytes).
      if (len + 1 > this.buf.length) this.buf = Buffer.allocUnsafe(len + 1);
    }
    this.starts.push(this.used);
    this.used += this.buf.write(line, this.used);
    this.ends.push(this.used);
    this.buf[this.used++] = 0x0a;
  }

  private order(): number[] {
    const { buf, starts, ends } = this;
    const idx = starts.map((_, i) => i);
    // buf.compare(target, …, source range): source (a) against target (b), negative when a < b.
    return idx.sort((a, b) => buf.compare(buf, starts[b]!, ends[b]!, starts[a]!, ends[a]!));
  }

  private async spill(): Promise<void> {
    if (this.starts.length === 0) return;
    const out = Buffer.allocUnsafe(this.used);
    let o = 0;
    for (const i of this.order()) o += this.buf.copy(out, o, this.starts[i]!, this.ends[i]! + 1);
    const file = path.join(this.dir, `run-${this.seq++}.txt`);
    await writeFile(file, out);
    this.runs.push(file);
    this.runsWritten++;
    this.starts = [];
    this.ends = [];
    this.used = 0;
  }

  /** Every added line, sorted. Call once, after the last add. */
  async *sorted(): AsyncGenerator<string> {
    if (this.runs.length === 0) {
      for (const i of this.order()) yield this.buf.toString('utf8', this.starts[i]!, this.ends[i]!);
      this.starts = [];
      this.ends = [];
      return;
    }
    await this.spill();
    while (this.runs.length > FAN_IN) {
      const group = this.runs.splice(0, FAN_IN);
      const file = path.join(this.dir, `run-${this.seq++}.txt`);
      const out = createWriteStream(file);
      for await (const line of mergeFiles(group)) if (!out.write(line + '\n')) await once(out, 'drain');
      await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
      for (const f of group) rmSync(f, { force: true });
      this.runs.push(file);
    }
    yield* mergeFiles(this.runs);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Keys are ASCII (digits, hex, `-`), so string order and the byte order of sorted runs agree. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** k-way merge of sorted files with a binary heap of their current lines. */
async function* mergeFiles(files: readonly string[]): AsyncGenerator<string> {
  const iters = files.map((f) => splitLines(createReadStream(f))[Symbol.asyncIterator]());
  const heap: { line: string; i: number }[] = [];
  const push = (e: { line: string; i: number }) => {
    heap.push(e);
    for (let c = heap.length - 1; c > 0; ) {
      const p = (c - 1) >> 1;
      if (compare(heap[p]!.line, heap[c]!.line) <= 0) break;
      [heap[p], heap[c]] = [heap[c]!, heap[p]!];
      c = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let p = 0; ; ) {
        const l = 2 * p + 1, r = l + 1;
        let m = p;
        if (l < heap.length && compare(heap[l]!.line, heap[m]!.line) < 0) m = l;
        if (r < heap.length && compare(heap[r]!.line, heap[m]!.line) < 0) m = r;
        if (m === p) break;
        [heap[p], heap[m]] = [heap[m]!, heap[p]!];
        p = m;
      }
    }
    return top;
  };
  for (let i = 0; i < iters.length; i++) {
    const r = await iters[i]!.next();
    if (!r.done) push({ line: r.value, i });
  }
  while (heap.length > 0) {
    const top = pop();
    yield top.line;
    const r = await iters[top.i]!.next();
    if (!r.done) push({ line: r.value, i: top.i });
  }
}
