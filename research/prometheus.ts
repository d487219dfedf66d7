// Course/assignment aggregates of the struggle metrics in Prometheus text format (for node_exporter's
// textfile collector or a Pushgateway). Labels are course and assignment only: the number of series is
// bounded by the course catalogue, whatever the number of students.
import { fmtLabels, formatValue } from '../core/metrics.ts';
import { METRICS, type MetricDef } from '../telemetry/schema.ts';
import type { StruggleResult } from './struggle.ts';

interface Hist {
  buckets: number[];
  sum: number;
  count: number;
}

export function renderReportMetrics(results: readonly StruggleResult[]): string {
  const groups = new Map<string, { labels: { course: string; assignment: string }; eq: Hist; watwin: Hist; time: Hist; students: Set<string> }>();
  const hist = (def: MetricDef): Hist => ({ buckets: (def.buckets ?? []).map(() => 0), sum: 0, count: 0 });
  const observe = (def: MetricDef, h: Hist, v: number) => {
    (def.buckets ?? []).forEach((b, i) => (v <= b ? h.buckets[i]!++ : undefined));
    h.sum += v;
    h.count++;
  };
  for (const r of results) {
    const key = `${r.course}\0${r.assignment}`;
    let g = groups.get(key);
    if (!g) {
      g = { labels: { course: r.course, assignment: r.assignment }, eq: hist(METRICS.REPORT_EQ), watwin: hist(METRICS.REPORT_WATWIN), time: hist(METRICS.REPORT_TIME_ON_TASK), students: new Set() };
      groups.set(key, g);
    }
    g.students.add(r.subject);
    if (r.eq !== undefined) observe(METRICS.REPORT_EQ, g.eq, r.eq);
    if (r.watwin !== undefined) observe(METRICS.REPORT_WATWIN, g.watwin, r.watwin);
    observe(METRICS.REPORT_TIME_ON_TASK, g.time, r.activeSeconds);
  }
  const out: string[] = [];
  const header = (def: MetricDef) => out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
  for (const [def, pick] of [[METRICS.REPORT_EQ, 'eq'], [METRICS.REPORT_WATWIN, 'watwin'], [METRICS.REPORT_TIME_ON_TASK, 'time']] as const) {
    header(def);
    for (const g of groups.values()) {
      const h = g[pick];
      (def.buckets ?? []).forEach((b, i) => out.push(`${def.name}_bucket${fmtLabels({ ...g.labels, le: String(b) })} ${h.buckets[i]}`));
      out.push(`${def.name}_bucket${fmtLabels({ ...g.labels, le: '+Inf' })} ${h.count}`);
      out.push(`${def.name}_sum${fmtLabels(g.labels)} ${formatValue(h.sum)}`, `${def.name}_count${fmtLabels(g.labels)} ${h.count}`);
    }
  }
  header(METRICS.REPORT_STUDENTS);
  for (const g of groups.values()) out.push(`${METRICS.REPORT_STUDENTS.name}${fmtLabels(g.labels)} ${g.students.size}`);
  return out.join('\n') + '\n';
}
