// `jcode-watcher export progsnap2` and `jcode-watcher report`: the researcher's commands, run offline on a
// directory of OTLP JSON lines (the agent's --output, or a Collector's file exporter directory).
import { writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ExportError, exportProgsnap2 } from '../research/progsnap2.ts';
import { renderReportMetrics } from '../research/prometheus.ts';
import { computeReport, parseDuration, reportCsv, reportTable } from '../research/report.ts';
import type { PipelineStats } from '../research/pipeline.ts';

export const RESEARCH_USAGE = `  export progsnap2 --from DIR --out DIR [--term TEXT] [--contact "NAME <EMAIL>"]
          write a ProgSnap2 dataset (MainTable.csv, DatasetMetadata.csv, README.txt, CodeStates/) from the
          OTLP JSON lines under --from (logs.jsonl, traces.jsonl, rotated or .gz copies, Collector file output)
  report --from DIR [--out FILE.csv] [--gap 5m] [--prom FILE]
          struggle metrics per student and assignment (Error Quotient, Watwin, RED, time on task): a table on
          stdout, a CSV with --out, course/assignment histograms in Prometheus text format with --prom`;

function warnings(stats: PipelineStats): string {
  const out: string[] = [];
  if (stats.files === 0) out.push('no OTLP JSON lines files found');
  if (stats.badLines > 0) out.push(`${stats.badLines} lines were not OTLP JSON and were skipped (first: ${stats.firstBadLine})`);
  if (stats.skipped.no_path > 0) out.push(`${stats.skipped.no_path} file records without a usable path were skipped`);
  return out.map((w) => `jcode-watcher: warning: ${w}\n`).join('');
}

function parse(argv: string[], options: ParseArgsOptionsConfig): Record<string, string | boolean | undefined> | string {
  try {
    return parseArgs({ args: argv, options, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const [format, ...rest] = argv;
  if (format !== 'progsnap2') {
    process.stderr.write(`jcode-watcher: export: unknown format "${format ?? ''}" (supported: progsnap2)\n${RESEARCH_USAGE}\n`);
    return 2;
  }
  const v = parse(rest, { from: { type: 'string' }, out: { type: 'string' }, term: { type: 'string' }, contact: { type: 'string' } });
  if (typeof v === 'string' || !v.from || !v.out) {
    process.stderr.write(`jcode-watcher: export progsnap2: ${typeof v === 'string' ? v : '--from and --out are required'}\n${RESEARCH_USAGE}\n`);
    return 2;
  }
  try {
    const r = await exportProgsnap2({ from: String(v.from), out: String(v.out), termId: v.term as string | undefined, contact: v.contact as string | undefined });
    process.stderr.write(warnings(r.stats));
    const types = Object.entries(r.byType).map(([t, n]) => `${t} ${n}`).join(', ');
    process.stdout.write(`wrote ${v.out}: ${r.rows} events (${types || 'none'}), ${r.codeStates} code states; read ${r.stats.files} files, ${r.stats.lines} lines${r.stats.duplicates ? `, ${r.stats.duplicates} duplicate records dropped` : ''}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`jcode-watcher: export progsnap2: ${(err as Error).message}\n`);
    return err instanceof ExportError || /no such directory/.test((err as Error).message) ? 2 : 1;
  }
}

export async function reportCommand(argv: string[]): Promise<number> {
  const v = parse(argv, { from: { type: 'string' }, out: { type: 'string' }, gap: { type: 'string' }, prom: { type: 'string' } });
  const gapMs = typeof v === 'string' ? undefined : parseDuration(String(v.gap ?? '5m'));
  if (typeof v === 'string' || !v.from || gapMs === undefined) {
    const why = typeof v === 'string' ? v : !v.from ? '--from is required' : `--gap ${v.gap}: expected a duration like 5m, 90s, 1h`;
    process.stderr.write(`jcode-watcher: report: ${why}\n${RESEARCH_USAGE}\n`);
    return 2;
  }
  try {
    const { results, stats } = await computeReport({ from: String(v.from), gapMs });
    process.stderr.write(warnings(stats));
    process.stdout.write(reportTable(results));
    if (v.out) writeFileSync(String(v.out), reportCsv(results));
    if (v.prom) writeFileSync(String(v.prom), renderReportMetrics(results));
    return 0;
  } catch (err) {
    process.stderr.write(`jcode-watcher: report: ${(err as Error).message}\n`);
    return /no such directory/.test((err as Error).message) ? 2 : 1;
  }
}
