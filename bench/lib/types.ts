// The shape every benchmark module returns, so run.ts can print, chart and record any of them the same way.
// A new benchmark (exec, storm, spool, collector…) is a module bench/<name>.ts exporting a `Benchmark`.

export type Value = number | string | null;

export interface Column {
  key: string;
  label: string;
  /** Digits after the point when printed (numbers only). */
  digits?: number;
  /** A target the agent rows should meet, shown in the table ("≤ 10"). */
  target?: { op: '<=' | '>=' | '=='; value: number };
  /** Print this figure as a ratio against each baseline row too. */
  ratio?: boolean;
}

export interface Row {
  variant: string;
  /** Baseline rows are the yardsticks for ratios; targets apply to agent rows only. */
  baseline?: boolean;
  /** Ratios use the baselines of the same group (e.g. the same round). */
  group?: string;
  values: Record<string, Value>;
  /** Anything worth keeping in latest.json but not in the table (e.g. examples of anomalies). */
  details?: Record<string, unknown>;
}

export interface Table {
  title: string;
  columns: Column[];
  rows: Row[];
  notes?: string[];
}

export interface Chart {
  file: string; // under bench/results/
  title: string;
  panels: { key: string; label: string; target?: number }[];
  table: number; // index into tables
}

export interface BenchResult {
  name: string;
  params: Record<string, unknown>;
  tables: Table[];
  charts?: Chart[];
}

export interface Context {
  /** Scratch directory for trees and outputs (BENCH_DIR, default /tmp/jcw-bench). */
  dir: string;
  quick: boolean;
  /** Progress output (stderr). */
  progress(msg: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: Context): Promise<BenchResult>;
}
