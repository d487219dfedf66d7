// OTLP JSON lines on disk, in the form the OpenTelemetry Collector's `file` exporter writes: each line one
// ExportLogsServiceRequest / ExportTraceServiceRequest / ExportMetricsServiceRequest.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** One exporter shape for the three signals: serialize a batch to OTLP JSON, append it as one line. */
class JsonLinesExporter<T> {
  private readonly out: WriteStream;
  private readonly decoder = new TextDecoder();

  constructor(file: string, private readonly serialize: (items: T) => Uint8Array | undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.out = createWriteStream(file, { flags: 'a' });
  }

  export(items: T, done: (r: ExportResult) => void): void {
    const bytes = this.serialize(items);
    if (!bytes) return done({ code: ExportResultCode.FAILED, error: new Error('serialization failed') });
    this.out.write(this.decoder.decode(bytes) + '\n', (err) =>
      done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export function fileLogExporter(file: string): LogRecordExporter {
  return new JsonLinesExporter<ReadableLogRecord[]>(file, (l) => JsonLogsSerializer.serializeRequest(l));
}

export function fileSpanExporter(file: string): SpanExporter {
  return new JsonLinesExporter<ReadableSpan[]>(file, (s) => JsonTraceSerializer.serializeRequest(s));
}

export function fileMetricExporter(file: string): PushMetricExporter {
  return Object.assign(new JsonLinesExporter<ResourceMetrics>(file, (m) => JsonMetricsSerializer.serializeRequest(m)), {
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  });
}
