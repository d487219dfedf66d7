// OTel SDK wiring: one LoggerProvider, TracerProvider and MeterProvider with the node's Resource, each
// feeding the local OTLP JSON files and, when an endpoint is configured, OTLP/gRPC. Standard OTEL_* variables
// apply: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES through the env detector, OTEL_EXPORTER_OTLP_* in the
// exporters themselves.
import os from 'node:os';
import path from 'node:path';
import { SeverityNumber, type Logger } from '@opentelemetry/api';
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Component, Consumer, Host } from '../core/component.ts';
import type { EventRecord, SpanRecord } from '../core/records.ts';
import { VERSION } from '../core/version.ts';
import { ATTR } from '../telemetry/schema.ts';
import { ConsoleSummaryProcessor } from './console.ts';
import { countExports } from './counting.ts';
import { fileLogExporter, fileMetricExporter, fileSpanExporter } from './file.ts';
import { RegistryProducer } from './metrics-producer.ts';
import { spooledOtlpExporters } from './spool/otlp.ts';
import type { Privacy } from '../processors/redact/privacy.ts';
import { toReadableSpan } from './spans.ts';

const MAX_POD_RESOURCES = 4096;
/**
 * Local files are fast but bursts are large (a start-up scan of 100,000 files, an exec storm): a deep queue
 * instead of the SDK's 2,048, which drops silently when full, and a short delay so records show up well within
 * a second.
 */
const LOCAL_BATCH = { scheduledDelayMillis: 200, maxQueueSize: 262_144, maxExportBatchSize: 512 };
/** The spool is local disk too: the same deep queue, a little more batching per fsync. */
const SPOOL_BATCH = { scheduledDelayMillis: 500, maxQueueSize: 262_144, maxExportBatchSize: 1024 };

export interface OtelExporterConfig {
  outputDir: string;
  files: boolean;
  console: boolean;
  /** Explicit endpoint from the config file; null defers to OTEL_EXPORTER_OTLP_* variables. */
  otlpEndpoint: string | null;
  metricsIntervalS: number;
  nodeName: string | null;
  /** Disk spool in front of OTLP/gRPC (batches wait here while the Collector is unreachable). */
  spoolDir: string;
  spoolMaxBytes: number;
  /** Pseudonymisation and redaction, applied to every record and span before any processor sees it. */
  privacy?: Privacy;
}

/** Whether OTLP export is on: an endpoint in the config, or any of the standard endpoint variables. */
export function otlpEnabled(cfg: OtelExporterConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(cfg.otlpEndpoint || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT
    || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}

export function nodeResource(nodeName: string | null): Resource {
  const base = resourceFromAttributes({
    [ATTR.SERVICE_NAME.name]: 'jcode-watcher',
    [ATTR.SERVICE_VERSION.name]: VERSION,
    [ATTR.HOST_NAME.name]: os.hostname(),
    [ATTR.K8S_NODE_NAME.name]: nodeName ?? os.hostname(),
  });
  // Environment (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME) wins, as in any OTel SDK.
  return base.merge(detectResources({ detectors: [envDetector] }));
}

export class OtelExporter implements Component, Consumer<EventRecord> {
  private loggerProvider: LoggerProvider | undefined;
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;
  private logger: Logger | undefined;
  private logProcessors: LogRecordProcessor[] = [];
  private spanProcessors: SpanProcessor[] = [];
  private readonly podResources = new Map<string, Resource>();
  /** One provider per pod resource, all sharing the main provider's processors (cached, bounded). */
  private readonly podLoggers = new Map<string, Logger>();
  readonly resource: Resource;

  constructor(private readonly cfg: OtelExporterConfig) {
    this.resource = nodeResource(cfg.nodeName);
  }

  async start(host: Host): Promise<void> {
    const { metrics } = host;
    const otlp = otlpEnabled(this.cfg);
    const url = this.cfg.otlpEndpoint ?? undefined;
    const file = (name: string) => path.join(this.cfg.outputDir, name);

    const logProcessors: LogRecordProcessor[] = [];
    const spanProcessors: SpanProcessor[] = [];
    const metricExporters: PushMetricExporter[] = [];
    const logCount = (l: unknown[]) => l.length;
    if (this.cfg.console) logProcessors.push(new ConsoleSummaryProcessor());
    if (this.cfg.files) {
      // A short delay so a save shows up in logs.jsonl well within a second of settling.
      logProcessors.push(new BatchLogRecordProcessor({ exporter: countExports<Parameters<LogRecordExporter['export']>[0], LogRecordExporter>(fileLogExporter(file('logs.jsonl')), metrics, { signal: 'logs', exporter: 'file' }, logCount), ...LOCAL_BATCH }));
      spanProcessors.push(new BatchSpanProcessor({ exporter: countExports<Parameters<SpanExporter['export']>[0], SpanExporter>(fileSpanExporter(file('traces.jsonl')), metrics, { signal: 'traces', exporter: 'file' }, logCount), ...LOCAL_BATCH }));
      metricExporters.push(fileMetricExporter(file('metrics.jsonl')));
    }
    if (otlp) {
      const spooled = spooledOtlpExporters({ url, dir: this.cfg.spoolDir, maxBytes: this.cfg.spoolMaxBytes, metrics, log: host.log });
      await spooled.open();
      logProcessors.push(new BatchLogRecordProcessor({ exporter: countExports<Parameters<LogRecordExporter['export']>[0], LogRecordExporter>(spooled.logs, metrics, { signal: 'logs', exporter: 'otlp' }, logCount), ...SPOOL_BATCH }));
      spanProcessors.push(new BatchSpanProcessor({ exporter: countExports<Parameters<SpanExporter['export']>[0], SpanExporter>(spooled.traces, metrics, { signal: 'traces', exporter: 'otlp' }, logCount), ...SPOOL_BATCH }));
      metricExporters.push(spooled.metrics);
    }

    this.logProcessors = logProcessors;
    this.loggerProvider = new LoggerProvider({ resource: this.resource, processors: logProcessors });
    this.logger = this.loggerProvider.getLogger('jcode-watcher', VERSION);
    this.spanProcessors = spanProcessors;
    this.tracerProvider = new TracerProvider({ resource: this.resource, spanProcessors });
    this.meterProvider = new MeterProvider({
      resource: this.resource,
      readers: metricExporters.map((exporter) => new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: this.cfg.metricsIntervalS * 1000,
        metricProducers: [new RegistryProducer(metrics, this.resource)],
      })),
    });
    host.log.info('exporters started', { output: this.cfg.files ? this.cfg.outputDir : null, otlp: otlp ? (url ?? 'from OTEL_EXPORTER_OTLP_* variables') : null });
  }

  get tracerProviderOrThrow(): TracerProvider {
    if (!this.tracerProvider) throw new Error('exporter not started');
    return this.tracerProvider;
  }

  /** The node's resource merged with a pod's attributes (cached, bounded). */
  private resourceFor(attrs: EventRecord['resource']): Resource {
    if (!attrs || Object.keys(attrs).length === 0) return this.resource;
    const key = JSON.stringify(Object.entries(attrs).sort());
    let r = this.podResources.get(key);
    if (!r) {
      r = this.resource.merge(resourceFromAttributes(attrs));
      if (this.podResources.size >= MAX_POD_RESOURCES) this.podResources.delete(this.podResources.keys().next().value!);
      this.podResources.set(key, r);
    }
    return r;
  }

  /** Hand a finished span to every span processor (batching, files, OTLP). */
  exportSpan(rec: SpanRecord): void {
    if (this.cfg.privacy) rec = this.cfg.privacy.span(rec);
    const span = toReadableSpan(rec, this.resourceFor(rec.resource));
    for (const p of this.spanProcessors) p.onEnd(span);
  }

  /** The logger for records of one pod: its k8s.* and container.id are Resource attributes, per convention. */
  private loggerFor(resource: EventRecord['resource']): Logger | undefined {
    if (!resource || Object.keys(resource).length === 0 || !this.logger) return this.logger;
    const key = JSON.stringify(Object.entries(resource).sort());
    let l = this.podLoggers.get(key);
    if (!l) {
      // Never shut down: the processors belong to the main provider, which flushes and closes them.
      const provider = new LoggerProvider({ resource: this.resourceFor(resource), processors: this.logProcessors });
      l = provider.getLogger('jcode-watcher', VERSION);
      if (this.podLoggers.size >= MAX_POD_RESOURCES) this.podLoggers.delete(this.podLoggers.keys().next().value!);
      this.podLoggers.set(key, l);
    }
    return l;
  }

  consume(rec: EventRecord): void {
    if (this.cfg.privacy) rec = this.cfg.privacy.record(rec);
    this.loggerFor(rec.resource)?.emit({
      eventName: rec.event.name,
      timestamp: rec.timestampMs,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: rec.body,
      attributes: rec.attributes,
    });
  }

  async forceFlush(): Promise<void> {
    await Promise.all([this.loggerProvider?.forceFlush(), this.tracerProvider?.forceFlush(), this.meterProvider?.forceFlush()]);
  }

  /** Flush everything buffered, then close the exporters (metrics last, so they include the final counts). */
  async shutdown(): Promise<void> {
    await Promise.all([this.loggerProvider?.shutdown(), this.tracerProvider?.shutdown()]);
    await this.meterProvider?.shutdown();
    this.loggerProvider = this.tracerProvider = this.meterProvider = undefined;
    this.logger = undefined;
    this.podLoggers.clear();
    this.spanProcessors = [];
  }
}
