// Typed records passed from processors to exporters.
import type { Attributes } from '@opentelemetry/api';
import type { EventDef } from '../telemetry/schema.ts';

/** One event, becoming one OTel log record. */
export interface EventRecord {
  readonly event: EventDef;
  /** When it happened (epoch ms, fractional allowed). */
  readonly timestampMs: number;
  readonly body: string;
  readonly attributes: Attributes;
  /** Resource attributes of the pod it happened in, merged over the node's resource; absent for node-level records. */
  readonly resource?: Attributes;
}

/** An event at a moment of a span (a diagnostic, an exception). */
export interface SpanEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: Attributes;
}

/** One finished span with identifiers assigned by the producer (so a child can name a parent that ends later). */
export interface SpanRecord {
  /** 32 lowercase hex chars. */
  readonly traceId: string;
  /** 16 lowercase hex chars. */
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startUnixNano: bigint;
  readonly endUnixNano: bigint;
  readonly attributes: Attributes;
  readonly status: { readonly code: 'unset' | 'ok' | 'error'; readonly message?: string };
  /** Resource attributes of the process's pod (k8s.*, container.id); merged over the node's resource. */
  readonly resource: Attributes;
  readonly events?: readonly SpanEvent[];
  readonly links?: readonly { readonly traceId: string; readonly spanId: string; readonly attributes?: Attributes }[];
}
