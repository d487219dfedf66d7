// SpanRecords (finished spans whose ids the correlator assigned) as SDK ReadableSpans, so the standard span
// processors and exporters (OTLP JSON file, OTLP/gRPC) carry them. Building them directly, rather than through a
// Tracer, lets a child name a parent that ends later, and a run join a compile that ended long ago.
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanRecord } from '../core/records.ts';
import { VERSION } from '../core/version.ts';

export function hrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

const STATUS = { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR } as const;

export function toReadableSpan(rec: SpanRecord, resource: Resource): ReadableSpan {
  const context = { traceId: rec.traceId, spanId: rec.spanId, traceFlags: TraceFlags.SAMPLED };
  const end = rec.endUnixNano < rec.startUnixNano ? rec.startUnixNano : rec.endUnixNano;
  return {
    name: rec.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext: rec.parentSpanId ? { traceId: rec.traceId, spanId: rec.parentSpanId, traceFlags: TraceFlags.SAMPLED } : undefined,
    startTime: hrTime(rec.startUnixNano),
    endTime: hrTime(end),
    duration: hrTime(end - rec.startUnixNano),
    status: { code: STATUS[rec.status.code], message: rec.status.message },
    attributes: rec.attributes,
    links: (rec.links ?? []).map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: TraceFlags.SAMPLED }, attributes: l.attributes })),
    events: (rec.events ?? []).map((e) => ({ name: e.name, time: hrTime(e.timeUnixNano), attributes: e.attributes })),
    ended: true,
    resource,
    instrumentationScope: { name: 'jcode-watcher', version: VERSION },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
