// Per-key trailing debounce with a maximum wait: a key fires after `quietMs` without touches, or `maxWaitMs`
// after its first touch if it keeps being touched. Pending keys are kept in order of their last touch, so each
// tick only looks at the keys that are due (plus the few touched more than once, which may hit max wait first):
// a scan that queues 100,000 files costs O(n), not O(n) per tick.
export class Debouncer<V> {
  private readonly pending = new Map<string, { first: number; last: number; value: V }>();
  /**
   * Keys that may be due before keys ahead of them in order, checked on every tick: keys touched more than once
   * (max wait), and keys touched with a change time earlier than the newest pending one.
   */
  private readonly hot = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private newest: number | undefined;

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

  /**
   * Touch a key; the first touch's value is kept (e.g. `watch` wins over a later `scan`). `at` is when the
   * change happened (this debouncer's clock), when known to be earlier than now: a watcher that batches events
   * delivers them late, and the quiet time counts from the change, not from its delivery.
   */
  touch(key: string, value: V, at?: number): void {
    const now = this.now();
    const t = at === undefined ? now : Math.min(at, now);
    const p = this.pending.get(key);
    if (p) {
      if (t <= p.last) return;
      p.last = t;
      // Move to the end: the map stays ordered by last touch.
      this.pending.delete(key);
      this.pending.set(key, p);
      this.hot.add(key);
    } else {
      this.pending.set(key, { first: t, last: t, value });
      if (t < (this.newest ?? -Infinity)) this.hot.add(key);
    }
    this.newest = Math.max(this.newest ?? -Infinity, t);
    this.arm();
  }

  /** Fire every pending key now (used at shutdown). */
  flushAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.pending];
    this.pending.clear();
    this.hot.clear();
    for (const [k, p] of all) this.fire(k, p.value);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.hot.clear();
  }

  private arm(): void {
    if (this.timer || this.pending.size === 0) return;
    // Tick at a fraction of the quiet time: accurate to ~10% at one cheap pass per tick.
    const tick = Math.max(10, Math.min(100, Math.floor(this.quietMs / 10)));
    this.timer = setTimeout(() => this.run(), tick);
  }

  private run(): void {
    this.timer = undefined;
    const t = this.now();
    const ready = new Map<string, V>();
    for (const [k, p] of this.pending) {
      if (p.last + this.quietMs > t) break;
      ready.set(k, p.value);
    }
    for (const k of this.hot) {
      const p = this.pending.get(k);
      if (!p) this.hot.delete(k);
      else if (Math.min(p.last + this.quietMs, p.first + this.maxWaitMs) <= t) ready.set(k, p.value);
    }
    for (const k of ready.keys()) {
      this.pending.delete(k);
      this.hot.delete(k);
    }
    if (this.pending.size === 0) this.newest = undefined;
    this.arm();
    for (const [k, v] of ready) this.fire(k, v);
  }
}
