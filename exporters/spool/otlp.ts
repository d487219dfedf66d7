// OTLP/gRPC exporters that never lose a batch to a Collector outage: each batch is serialized to protobuf once,
// written to the disk spool, and sent from there (the SDK's gRPC exporter gives up on the first failure; here
// its transport only carries bytes the spool already holds). Standard OTEL_EXPORTER_OTLP_* variables apply.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { convertLegacyOtlpGrpcOptions, createOtlpGrpcExportDelegate } from '@opentelemetry/otlp-grpc-exporter-base';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { MetricsRegistry } from '../../core/metrics.ts';
import { METRICS } from '../../telemetry/schema.ts';
import { Spool, type Send, type Signal } from './spool.ts';

const GRPC = {
  logs: { env: 'LOGS', serializer: ProtobufLogsSerializer, service: 'LogsExportService', path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', item: 'log' },
  traces: { env: 'TRACES', serializer: ProtobufTraceSerializer, service: 'TraceExportService', path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', item: 'span' },
  metrics: { env: 'METRICS', serializer: ProtobufMetricsSerializer, service: 'MetricsExportService', path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', item: 'metric_data_point' },
} as const;

/** A gRPC sender of already-serialized requests, configured like the SDK exporter (url, OTEL_* variables). */
export function grpcSender(signal: Signal, url: string | undefined): { send: Send; shutdown(): Promise<void> } {
  const g = GRPC[signal];
  const delegate = createOtlpGrpcExportDelegate<Uint8Array, unknown>(
    convertLegacyOtlpGrpcOptions({ url }, g.env),
    { serializeRequest: (bytes: Uint8Array) => bytes, deserializeResponse: (data: Uint8Array) => g.serializer.deserializeResponse(data) },
    `jcode_watcher_otlp_grpc_${g.item}_exporter`,
    { name: g.item, countItems: () => 0 },
    undefined,
    g.service,
    g.path,
  );
  return {
    send: (bytes) => new Promise<boolean>((resolve) => delegate.export(bytes, (r) => resolve(r.code === ExportResultCode.SUCCESS))),
    shutdown: () => delegate.shutdown(),
  };
}

type Serialize<T> = (items: T) => Uint8Array | undefined;

/** Shared core of the three exporters: serialize, spool durably, report success once it is on disk. */
class SpoolingExporter<T> {
  constructor(
    private readonly spool: Spool,
    private readonly serialize: Serialize<T>,
    private readonly count: (items: T) => number,
    private readonly metrics: MetricsRegistry,
    private readonly signal: Signal,
    private readonly sender: { shutdown(): Promise<void> },
  ) {}

  export(items: T, done: (r: ExportResult) => void): void {
    const n = this.count(items);
    const bytes = this.serialize(items);
    if (!bytes) {
      this.metrics.inc(METRICS.EXPORT_DROPPED, { signal: this.signal, reason: 'serialize' }, n);
      return done({ code: ExportResultCode.FAILED, error: new Error('OTLP serialization failed') });
    }
    this.spool.enqueue(bytes, n).then(
      () => done({ code: ExportResultCode.SUCCESS }),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Give the sender a moment to deliver what is spooled; the rest stays on disk for the next start. */
  async shutdown(): Promise<void> {
    await this.spool.drain(2000);
    await this.spool.close();
    await this.sender.shutdown();
  }
}

export interface SpooledOtlp {
  logs: LogRecordExporter;
  traces: SpanExporter;
  metrics: PushMetricExporter;
  open(): Promise<void>;
}

export function spooledOtlpExporters(opts: { url: string | undefined; dir: string; maxBytes: number; metrics: MetricsRegistry; log: import('../../core/log.ts').Logger }): SpooledOtlp {
  const make = <T>(signal: Signal, serialize: Serialize<T>, count: (items: T) => number) => {
    const sender = grpcSender(signal, opts.url);
    // Each signal gets a share of the spool budget; logs (saves with content) need the most.
    const share = signal === 'logs' ? 0.7 : signal === 'traces' ? 0.2 : 0.1;
    const spool = new Spool({ dir: `${opts.dir}/${signal}`, signal, maxBytes: Math.floor(opts.maxBytes * share), send: sender.send, metrics: opts.metrics, log: opts.log });
    return { spool, exporter: new SpoolingExporter<T>(spool, serialize, count, opts.metrics, signal, sender) };
  };
  const logs = make<ReadableLogRecord[]>('logs', (r) => ProtobufLogsSerializer.serializeRequest(r), (r) => r.length);
  const traces = make<ReadableSpan[]>('traces', (s) => ProtobufTraceSerializer.serializeRequest(s), (s) => s.length);
  const metrics = make<ResourceMetrics>('metrics', (m) => ProtobufMetricsSerializer.serializeRequest(m), (m) => m.scopeMetrics.reduce((n, s) => n + s.metrics.length, 0));
  return {
    logs: logs.exporter,
    traces: traces.exporter,
    metrics: Object.assign(metrics.exporter, { selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE }),
    async open() {
      await Promise.all([logs.spool.open(), traces.spool.open(), metrics.spool.open()]);
    },
  };
}
