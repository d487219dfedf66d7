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
}
