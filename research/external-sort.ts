// External merge sort of text lines by a fixed-width key prefix. The agent's files are in arrival order (per
// node, per batch), not in time order, and ProgSnap2's Order needs time order: sorting in memory would need
// the whole input in memory, so sorted runs of bounded size go to disk and are merged.
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Lines held in memory before a sorted run is written (UTF-16 chars; about twice that in bytes). */
const DEFAULT_RUN_CHARS = 16 * 1024 * 1024;
/** Runs merged at once; more runs are merged in passes (keeps open files bounded). */
const FAN_IN = 64;

export class ExternalSorter {
  private buf: string[] = [];
  private chars = 0;
  private runs: string[] = [];
  private seq = 0;
  /** Sorted runs written to disk (for the memory test and the README's numbers). */
  runsWritten = 0;

  /** Lines compare as whole strings: callers start each with a fixed-width key. */
  constructor(private readonly dir: string, private readonly runChars = DEFAULT_RUN_CHARS) {
    mkdirSync(dir, { recursive: true });
  }

  async add(line: string): Promise<void> {
    if (line.includes('\n')) throw new Error('sorted lines must not contain newlines');
    this.buf.push(line);
    this.chars += line.length + 16;
    if (this.chars >= this.runChars) await this.spill();
  }

  private async spill(): Promise<void> {
    if (this.buf.length === 0) return;
    this.buf.sort(compare);
    const file = path.join(this.dir, `run-${this.seq++}.txt`);
    await writeLines(file, this.buf);
    this.runs.push(file);
    this.runsWritten++;
    this.buf = [];
    this.chars = 0;
  }

  /** Every added line, sorted. Call once, after the last add. */
  async *sorted(): AsyncGenerator<string> {
    if (this.runs.length === 0) {
      this.buf.sort(compare);
      const all = this.buf;
      this.buf = [];
      yield* all;
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

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function writeLines(file: string, lines: readonly string[]): Promise<void> {
  const out = createWriteStream(file);
  for (const l of lines) if (!out.write(l + '\n')) await once(out, 'drain');
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
}

/** k-way merge of sorted files with a binary heap of their current lines. */
async function* mergeFiles(files: readonly string[]): AsyncGenerator<string> {
  const iters = files.map((f) => createInterface({ input: createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator]());
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
