// Wraps an exporter so every delivered or failed record is counted in the agent's own metrics.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { MetricsRegistry } from '../core/metrics.ts';
import { METRICS } from '../telemetry/schema.ts';

interface Exporter<T> {
  export(items: T, done: (r: ExportResult) => void): void;
}

export function countExports<T, E extends Exporter<T>>(
  inner: E,
  metrics: MetricsRegistry,
  labels: { signal: 'logs' | 'traces' | 'metrics'; exporter: 'file' | 'otlp' },
  size: (items: T) => number,
): E {
  const original = inner.export.bind(inner);
  inner.export = (items: T, done: (r: ExportResult) => void) =>
    original(items, (r) => {
      metrics.inc(r.code === ExportResultCode.SUCCESS ? METRICS.RECORDS_EXPORTED : METRICS.EXPORT_FAILURES, labels, size(items));
      done(r);
    });
  return inner;
}
