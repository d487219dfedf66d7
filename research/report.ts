// `jcode-watcher report`: struggle metrics per student and assignment from the OTLP files, as a table on
// stdout, a CSV, and (optionally) course/assignment aggregates in Prometheus text format.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CodeStates } from './codestates.ts';
import { csvLine } from './csv.ts';
import { openPipeline, type PipelineStats } from './pipeline.ts';
import { RowBuilder } from './rows.ts';
import { StruggleMetrics, type StruggleResult } from './struggle.ts';

export interface ReportOptions {
  readonly from: string;
  readonly gapMs: number;
  /** Where the sort and blob scratch space goes (default: the system temp directory). */
  readonly workDir?: string;
}

export async function computeReport(opts: ReportOptions): Promise<{ results: StruggleResult[]; stats: PipelineStats }> {
  const work = mkdtempSync(path.join(opts.workDir ?? os.tmpdir(), 'jcw-report-'));
  const pipeline = openPipeline(opts.from, work);
  try {
    const rows = new RowBuilder(new CodeStates(undefined, () => ''));
    const metrics = new StruggleMetrics({ gapMs: opts.gapMs });
    for await (const ev of pipeline.events()) for (const row of rows.rows(ev)) metrics.add(row);
    return { results: metrics.results(), stats: pipeline.stats };
  } finally {
    pipeline.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

export const REPORT_COLUMNS = [
  'subject', 'course', 'section', 'assignment', 'compiles', 'failed_compiles', 'compiles_with_diagnostics', 'runs', 'failed_runs',
  'eq', 'watwin', 'red', 'active_seconds', 'sessions', 'first', 'last',
] as const;

const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '' : v.toFixed(digits));
const iso = (ms: number) => new Date(ms).toISOString();

function cells(r: StruggleResult): string[] {
  return [
    r.subject, r.course, r.section, r.assignment, String(r.compiles), String(r.failedCompiles), String(r.compilesWithDiagnostics), String(r.runs),
    String(r.failedRuns), fmt(r.eq), fmt(r.watwin), fmt(r.red), r.activeSeconds.toFixed(0), String(r.sessions), iso(r.firstMs), iso(r.lastMs),
  ];
}

export function reportCsv(results: readonly StruggleResult[]): string {
  return csvLine(REPORT_COLUMNS) + results.map((r) => csvLine(cells(r))).join('');
}

/** A fixed-width table for a terminal (the CSV has every column). */
export function reportTable(results: readonly StruggleResult[]): string {
  const head = ['subject', 'course', 'section', 'assignment', 'compiles', 'failed', 'EQ', 'Watwin', 'RED', 'time on task', 'sessions'];
  const body = results.map((r) => [
    r.subject, r.course, r.section, r.assignment, String(r.compiles), String(r.failedCompiles), fmt(r.eq, 3) || '–', fmt(r.watwin, 3) || '–',
    fmt(r.red, 3) || '–', duration(r.activeSeconds), String(r.sessions),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

function duration(s: number): string {
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** `5m`, `90s`, `1h`, `300000ms`, or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return n * unit;
}
