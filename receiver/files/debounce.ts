// Per-key trailing debounce with a maximum wait: a key fires after `quietMs` without touches, or `maxWaitMs`
// after its first touch if it keeps being touched. One timer for all keys, armed only while keys are pending.
export class Debouncer<V> {
  private readonly pending = new Map<string, { first: number; last: number; value: V }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
    private readonly fire: (key: string, value: V) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.pending.size;
  }

  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Touch a key; the first touch's value is kept (e.g. `watch` wins over a later `scan`). */
  touch(key: string, value: V): void {
    const t = this.now();
    const p = this.pending.get(key);
    if (p) p.last = t;
    else this.pending.set(key, { first: t, last: t, value });
    this.arm();
  }

  /** Fire every pending key now (used at shutdown). */
  flushAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.pending];
    this.pending.clear();
    for (const [k, p] of all) this.fire(k, p.value);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private due(p: { first: number; last: number }): number {
    return Math.min(p.last + this.quietMs, p.first + this.maxWaitMs);
  }

  private arm(): void {
    if (this.timer || this.pending.size === 0) return;
    // Tick at a fraction of the quiet time: cheap (one pass over pending keys) and accurate to ~10%.
    const tick = Math.max(10, Math.min(100, Math.floor(this.quietMs / 10)));
    this.timer = setTimeout(() => this.run(), tick);
  }

  private run(): void {
    this.timer = undefined;
    const t = this.now();
    const ready: [string, V][] = [];
    for (const [k, p] of this.pending) if (this.due(p) <= t) ready.push([k, p.value]);
    for (const [k] of ready) this.pending.delete(k);
    this.arm();
    for (const [k, v] of ready) this.fire(k, v);
  }
}
