// The Helm chart's files that are derived from, or must agree with, the repository's single sources: the
// Collector config copied into values.yaml, values.schema.json from config/spec.ts, the alert rules and the
// dashboard naming only documented metrics. No tools needed (the helm/promtool runs are in test/e2e/helm.test.ts).
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COLLECTOR_CONFIG_FILE, renderSchema, renderValues, SCHEMA_FILE, VALUES_FILE } from '../../deploy/helm/generate.ts';
import { COLLECTOR_METRICS, METRICS, type MetricDef } from '../../telemetry/schema.ts';
import { metricNames } from '../helpers/promql.ts';

const root = new URL('../../', import.meta.url);
const chartFile = (p: string) => new URL(`deploy/helm/jcode-watcher/${p}`, root);
const read = (u: URL) => readFileSync(u, 'utf8');

/** Every name Prometheus can hold for a documented metric (histograms as _bucket/_sum/_count), plus `up`. */
function documentedNames(): Set<string> {
  const names = new Set<string>(['up']); // Prometheus' own per-target series: the agent-down alert.
  const defs: { name: string; type: MetricDef['type'] }[] = [...Object.values(METRICS), ...Object.values(COLLECTOR_METRICS)];
  for (const m of defs) {
    names.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rulesOf = (file: string): Rule[] => (parse(read(chartFile(`files/${file}`))) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

describe('chart files derived from the repository', () => {
  it('values.yaml carries otel-collector-config.yaml unchanged as collector.alternateConfig (run `npm run docs`)', () => {
    const values = read(VALUES_FILE);
    const collector = read(COLLECTOR_CONFIG_FILE);
    expect(parse(values).collector.alternateConfig).toEqual(parse(collector));
    // Byte for byte, comments included: the block is regenerated, never edited by hand.
    expect(values).toBe(renderValues(values, collector));
  });

  it('values.schema.json is generated from config/spec.ts (run `npm run docs`)', () => {
    expect(read(SCHEMA_FILE)).toBe(renderSchema());
  });

  it('deploy/prometheus and deploy/grafana are links to the chart files, so there is one source', () => {
    for (const [link, target] of [
      ['deploy/prometheus/alerts.yaml', 'files/alerts.yaml'],
      ['deploy/prometheus/alerts-student.yaml', 'files/alerts-student.yaml'],
      ['deploy/grafana/jcode-watcher.json', 'files/dashboard.json'],
    ] as const) {
      expect(lstatSync(new URL(link, root)).isSymbolicLink(), link).toBe(true);
      expect(realpathSync(new URL(link, root))).toBe(realpathSync(chartFile(target)));
    }
  });
});

describe('alert rules', () => {
  const rules = [...rulesOf('alerts.yaml'), ...rulesOf('alerts-student.yaml')];

  it('cover every alert the issue asks for, each with for:, a severity and a runbook', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'JcodeWatcherAgentDown', 'JcodeWatcherBpfEventsLost', 'JcodeWatcherCollectorRefusing', 'JcodeWatcherCompileErrorRatioHigh',
      'JcodeWatcherExportDropped', 'JcodeWatcherExportFailing', 'JcodeWatcherMissedSaves', 'JcodeWatcherReceiverDown',
      'JcodeWatcherSpoolGrowing', 'JcodeWatcherStudentFailedCompileStreak',
    ]);
    for (const r of rules) {
      expect(r.for, r.alert).toMatch(/^[0-9]+[smh]$/);
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.runbook?.length, r.alert).toBeGreaterThan(20);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
  });

  it('name only metrics documented in telemetry/schema.ts', () => {
    const known = documentedNames();
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const n of names) expect(known.has(n), `${r.alert}: ${n} is not documented in telemetry/schema.ts`).toBe(true);
    }
  });
});

describe('Grafana dashboard', () => {
  const dash = JSON.parse(read(chartFile('files/dashboard.json'))) as {
    uid: string; title: string;
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
  };

  it('is valid dashboard JSON with the panels instructors and operators need', () => {
    expect(dash.uid).toBe('jcode-watcher');
    const titles = dash.panels.map((p) => p.title);
    for (const t of ['Saves per minute', 'Compiles per minute', 'Runs per minute', 'Compile error ratio', 'Slowest compiles', 'Agents up', 'Drops and losses']) {
      expect(titles.some((x) => x.startsWith(t)), t).toBe(true);
    }
    const ids = dash.panels.map((p) => (p as { id?: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('queries only metrics documented in telemetry/schema.ts', () => {
    const known = documentedNames();
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    for (const v of dash.templating.list) {
      if (v.type !== 'query') continue;
      const q = (v.query as { query: string }).query;
      const m = /^label_values\((.*),\s*\w+\)$/.exec(q);
      expect(m, q).not.toBeNull();
      exprs.push({ panel: `variable ${v.name}`, expr: m![1]! });
    }
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) expect(known.has(n), `${panel}: ${n} is not documented in telemetry/schema.ts`).toBe(true);
    }
  });
});

describe('metricNames', () => {
  it('finds metric names and ignores functions, labels, strings and durations', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, edu_course) (rate(traces_span_metrics_duration_seconds_bucket{jcode_exec_kind="compile",x=~"$a"}[15m])))')).toEqual(['traces_span_metrics_duration_seconds_bucket']);
    expect(metricNames('a_total{job="j"} > 0 unless on (pod) b_total offset 5m > 64 * 1024 * 1e3').sort()).toEqual(['a_total', 'b_total']);
    expect(metricNames('up{job="jcode-watcher"} == 0')).toEqual(['up']);
  });
});
