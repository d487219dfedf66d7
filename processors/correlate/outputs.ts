// Compile outputs by file identity: (dev, ino) → the span a later run of that file hangs under.
// Bounded LRU: a course's worth of recent binaries, not every file ever built.
import type { FileId } from './types.ts';

export interface SpanRef {
  readonly traceId: string;
  readonly spanId: string;
}

const key = (id: FileId) => `${id.dev}:${id.ino}`;

export class OutputTable {
  private readonly map = new Map<string, SpanRef>();

  constructor(
    private readonly capacity: number,
    private readonly onEvict: () => void,
  ) {}

  /**
   * A rebuild writes a new inode (the linker unlinks and recreates), so a path never maps to two live entries;
   * an entry whose inode the filesystem reuses for another file is overwritten when that file is built.
   */
  set(id: FileId, ref: SpanRef): void {
    const k = key(id);
    this.map.delete(k);
    this.map.set(k, ref);
    while (this.map.size > this.capacity) {
      this.map.delete(this.map.keys().next().value!);
      this.onEvict();
    }
  }

  get(id: FileId): SpanRef | undefined {
    const k = key(id);
    const ref = this.map.get(k);
    if (ref) {
      // Running a binary keeps it fresh: the one the student is testing is the one worth keeping.
      this.map.delete(k);
      this.map.set(k, ref);
    }
    return ref;
  }

  get size(): number {
    return this.map.size;
  }
}
