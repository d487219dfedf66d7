// Exposes the agent's own metrics registry to the OTel SDK as a MetricProducer, so the same numbers that
// /metrics shows go out as OTLP (metrics.jsonl and the Collector) without instrumenting twice.
import { ValueType } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { MetricsRegistry } from '../core/metrics.ts';

export class RegistryProducer implements MetricProducer {
  private readonly startTime: [number, number];

  constructor(private readonly registry: MetricsRegistry, private readonly resource: Resource) {
    const now = Date.now();
    this.startTime = [Math.floor(now / 1000), (now % 1000) * 1e6];
  }

  async collect(): Promise<CollectionResult> {
    const now = Date.now();
    const endTime: [number, number] = [Math.floor(now / 1000), (now % 1000) * 1e6];
    const metrics: MetricData[] = [];
    for (const { def, series } of this.registry.snapshot()) {
      if (series.length === 0) continue;
      const descriptor = { name: def.name, description: def.help, unit: def.name.endsWith('_seconds') ? 's' : '', valueType: ValueType.DOUBLE };
      const base = { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE };
      const point = <T>(attributes: Record<string, string>, value: T) => ({ attributes, startTime: this.startTime, endTime, value });
      if (def.type === 'histogram') {
        metrics.push({
          ...base,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: series.map((s) => {
            // The registry keeps cumulative bucket counts (Prometheus); OTLP wants per-bucket counts.
            const cum = s.buckets ?? [];
            const counts = [...cum.map((c, i) => c - (i > 0 ? cum[i - 1]! : 0)), (s.count ?? 0) - (cum.at(-1) ?? 0)];
            return point({ ...s.labels }, { buckets: { boundaries: [...(def.buckets ?? [])], counts }, sum: s.sum ?? 0, count: s.count ?? 0 });
          }),
        });
      } else if (def.type === 'counter') {
        metrics.push({ ...base, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: series.map((s) => point({ ...s.labels }, s.value)) });
      } else {
        metrics.push({ ...base, dataPointType: DataPointType.GAUGE, dataPoints: series.map((s) => point({ ...s.labels }, s.value)) });
      }
    }
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [{ scope: { name: 'jcode-watcher' }, metrics }] }, errors: [] };
  }
}
