// OTLP JSON lines on disk, in the form the OpenTelemetry Collector's `file` exporter writes: each line one
// ExportLogsServiceRequest / ExportTraceServiceRequest / ExportMetricsServiceRequest.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

class JsonLinesFile {
  private readonly out: WriteStream;
  private readonly decoder = new TextDecoder();

  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.out = createWriteStream(file, { flags: 'a' });
  }

  write(bytes: Uint8Array | undefined, done: (r: ExportResult) => void): void {
    if (!bytes) return done({ code: ExportResultCode.FAILED, error: new Error('serialization failed') });
    this.out.write(this.decoder.decode(bytes) + '\n', (err) =>
      done(err ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS }),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export class FileLogExporter implements LogRecordExporter {
  private readonly file: JsonLinesFile;
  constructor(file: string) {
    this.file = new JsonLinesFile(file);
  }
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.file.write(JsonLogsSerializer.serializeRequest(logs), done);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return this.file.close();
  }
}

export class FileSpanExporter implements SpanExporter {
  private readonly file: JsonLinesFile;
  constructor(file: string) {
    this.file = new JsonLinesFile(file);
  }
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.file.write(JsonTraceSerializer.serializeRequest(spans), done);
  }
  shutdown(): Promise<void> {
    return this.file.close();
  }
}

export class FileMetricExporter implements PushMetricExporter {
  private readonly file: JsonLinesFile;
  constructor(file: string) {
    this.file = new JsonLinesFile(file);
  }
  export(metrics: ResourceMetrics, done: (r: ExportResult) => void): void {
    this.file.write(JsonMetricsSerializer.serializeRequest(metrics), done);
  }
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return this.file.close();
  }
}
