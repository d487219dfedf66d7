export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summary(values: number[]): { n: number; p50: number | null; p99: number | null; max: number | null } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : null };
}

/** A numeric parameter from the environment (BENCH_*), or its default when unset or empty. */
export const envNum = (name: string, dflt: number): number => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : dflt);
