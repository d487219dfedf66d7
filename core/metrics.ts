// The agent's own metrics. Only metrics defined in telemetry/schema.ts can be recorded, and a label value
// outside the schema's allowed set is rejected, so cardinality is bounded by construction.
import { METRICS, type MetricDef } from '../telemetry/schema.ts';

type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
  /** Histograms: cumulative counts per bucket, sum and count. */
  buckets?: number[];
  sum?: number;
  count?: number;
}

export interface MetricSnapshot {
  def: MetricDef;
  series: readonly Series[];
}

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class MetricsRegistry {
  private readonly data = new Map<string, Map<string, Series>>();
  /** Free-form labels for the build-info gauge only (versions are bounded: one value per process). */
  private buildInfo: Labels = {};

  constructor() {
    for (const def of Object.values(METRICS)) this.data.set(def.name, new Map());
  }

  setBuildInfo(labels: Labels): void {
    this.buildInfo = labels;
  }

  inc(def: MetricDef, labels: Labels = {}, by = 1): void {
    this.series(def, labels).value += by;
  }

  set(def: MetricDef, value: number, labels: Labels = {}): void {
    this.series(def, labels).value = value;
  }

  observe(def: MetricDef, value: number, labels: Labels = {}): void {
    const s = this.series(def, labels);
    const bounds = def.buckets ?? [];
    s.buckets ??= new Array<number>(bounds.length).fill(0);
    for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) s.buckets[i]!++;
    s.sum = (s.sum ?? 0) + value;
    s.count = (s.count ?? 0) + 1;
  }

  /** Current value of one series (0 when never recorded); histograms return their count. */
  get(def: MetricDef, labels: Labels = {}): number {
    const s = this.data.get(def.name)?.get(labelKey(labels));
    return s ? (def.type === 'histogram' ? (s.count ?? 0) : s.value) : 0;
  }

  /** Sum over every series of a metric. */
  total(def: MetricDef): number {
    let t = 0;
    for (const s of this.data.get(def.name)?.values() ?? []) t += def.type === 'histogram' ? (s.count ?? 0) : s.value;
    return t;
  }

  snapshot(): MetricSnapshot[] {
    return Object.values(METRICS).map((def) => ({ def, series: [...this.data.get(def.name)!.values()] }));
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const { def, series } of this.snapshot()) {
      out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
      if (def === METRICS.BUILD_INFO) {
        out.push(`${def.name}${fmtLabels(this.buildInfo)} 1`);
        continue;
      }
      // A metric without labels is always exposed (as 0), so alerts can rely on its presence.
      const list = series.length === 0 && Object.keys(def.labels).length === 0 ? [emptySeries(def)] : series;
      for (const s of list) {
        if (def.type !== 'histogram') {
          out.push(`${def.name}${fmtLabels(s.labels)} ${formatValue(s.value)}`);
          continue;
        }
        const bounds = def.buckets ?? [];
        bounds.forEach((b, i) => out.push(`${def.name}_bucket${fmtLabels({ ...s.labels, le: String(b) })} ${s.buckets?.[i] ?? 0}`));
        out.push(`${def.name}_bucket${fmtLabels({ ...s.labels, le: '+Inf' })} ${s.count ?? 0}`);
        out.push(`${def.name}_sum${fmtLabels(s.labels)} ${formatValue(s.sum ?? 0)}`);
        out.push(`${def.name}_count${fmtLabels(s.labels)} ${s.count ?? 0}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private series(def: MetricDef, labels: Labels): Series {
    const byKey = this.data.get(def.name);
    if (!byKey) throw new Error(`metric ${def.name} is not in the telemetry schema`);
    const key = labelKey(labels);
    let s = byKey.get(key);
    if (!s) {
      for (const [k, v] of Object.entries(labels)) {
        const allowed = def.labels[k];
        if (!allowed || !allowed.includes(v)) throw new Error(`metric ${def.name}: label ${k}="${v}" is not in the schema`);
      }
      s = { labels: { ...labels }, value: 0 };
      byKey.set(key, s);
    }
    return s;
  }
}

function emptySeries(def: MetricDef): Series {
  return def.type === 'histogram' ? { labels: {}, value: 0, buckets: (def.buckets ?? []).map(() => 0), sum: 0, count: 0 } : { labels: {}, value: 0 };
}

export function fmtLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
}
