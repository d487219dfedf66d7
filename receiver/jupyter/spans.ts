// Parses an OTLP/HTTP JSON trace request from a student's kernel (untrusted) into SpanRecords of Jupyter cell
// executions. Only `jcode.jupyter.cell` spans are accepted, with the attributes the schema defines for them,
// each of its declared type; anything else is rejected (a span) or dropped (an attribute), never passed on.
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { SpanRecord } from '../../core/records.ts';
import { ATTR, type AttributeDef } from '../../telemetry/schema.ts';

export const CELL_SPAN_NAME = 'jcode.jupyter.cell';
export const MAX_SPANS_PER_REQUEST = 1000;
const MAX_STRING = 4096;
/** A cell may run for days (a training loop); anything longer, or from another decade, is not a cell. */
const MAX_DURATION_NS = 7n * 86_400n * 1_000_000_000n;
const MAX_CLOCK_SKEW_NS = 365n * 86_400n * 1_000_000_000n;

/** What a kernel may set on a cell span: these names, these types. */
const SPAN_ATTRS: readonly AttributeDef[] = [
  ATTR.JCODE_JUPYTER_EXECUTION_COUNT, ATTR.JCODE_JUPYTER_CELL_ID, ATTR.JCODE_JUPYTER_CELL_SHA256, ATTR.JCODE_JUPYTER_CELL_SIZE,
  ATTR.JCODE_JUPYTER_CELL_LINES, ATTR.JCODE_JUPYTER_SESSION_ID, ATTR.JCODE_JUPYTER_NOTEBOOK_PATH, ATTR.JCODE_PROCESS_HOSTNAME,
  ATTR.PROCESS_PID, ATTR.PROCESS_WORKING_DIRECTORY, ATTR.ERROR_TYPE, ATTR.FILE_PATH,
  ATTR.EDU_COURSE, ATTR.EDU_SECTION, ATTR.EDU_STUDENT_ID, ATTR.EDU_ASSIGNMENT,
];
const EXCEPTION_ATTRS: readonly AttributeDef[] = [ATTR.EXCEPTION_TYPE, ATTR.EXCEPTION_MESSAGE];
const STATUS = { 0: 'unset', 1: 'ok', 2: 'error' } as const;

export interface ParsedRequest {
  readonly spans: SpanRecord[];
  /** One short reason per rejected span (the first few are reported back to the sender). */
  readonly rejected: string[];
}

export class RequestError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RequestError(`${what} is not a list`);
  return v;
}

/** OTLP JSON AnyValue → an attribute value of the declared type, or undefined when it is not that type. */
function value(any: unknown, type: AttributeDef['type']): AttributeValue | undefined {
  if (!isObject(any)) return undefined;
  switch (type) {
    case 'string':
      return typeof any.stringValue === 'string' && any.stringValue.length <= MAX_STRING ? any.stringValue : undefined;
    case 'boolean':
      return typeof any.boolValue === 'boolean' ? any.boolValue : undefined;
    case 'int': {
      // int64 is a decimal string in OTLP JSON; numbers are accepted too.
      const v = any.intValue;
      const n = typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'double':
      return typeof any.doubleValue === 'number' && Number.isFinite(any.doubleValue) ? any.doubleValue : undefined;
    case 'string[]':
      return undefined;
  }
}

function attributes(kvs: unknown, allowed: readonly AttributeDef[]): { attrs: Attributes; dropped: number } {
  const attrs: Attributes = {};
  let dropped = 0;
  for (const kv of list(kvs, 'attributes')) {
    const def = isObject(kv) ? allowed.find((d) => d.name === kv.key) : undefined;
    const v = def && isObject(kv) ? value(kv.value, def.type) : undefined;
    if (def && v !== undefined) attrs[def.name] = v;
    else dropped++;
  }
  return { attrs, dropped };
}

function nanos(v: unknown): bigint | undefined {
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return undefined;
}

function span(s: unknown, nowNs: bigint): SpanRecord | string {
  if (!isObject(s)) return 'span is not an object';
  if (s.name !== CELL_SPAN_NAME) return `span name must be ${CELL_SPAN_NAME}`;
  const traceId = typeof s.traceId === 'string' ? s.traceId.toLowerCase() : '';
  const spanId = typeof s.spanId === 'string' ? s.spanId.toLowerCase() : '';
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return 'traceId must be 32 hex digits, not all zero';
  if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId)) return 'spanId must be 16 hex digits, not all zero';
  const start = nanos(s.startTimeUnixNano);
  const end = nanos(s.endTimeUnixNano);
  if (start === undefined || end === undefined) return 'startTimeUnixNano and endTimeUnixNano must be nanosecond integers';
  if (end < start || end - start > MAX_DURATION_NS) return 'end before start, or longer than 7 days';
  if (start < nowNs - MAX_CLOCK_SKEW_NS || end > nowNs + MAX_CLOCK_SKEW_NS) return 'timestamps more than a year away from now';
  const { attrs } = attributes(s.attributes, SPAN_ATTRS);
  const st = isObject(s.status) ? s.status : {};
  const code = STATUS[(st.code ?? 0) as keyof typeof STATUS];
  if (!code) return 'status.code must be 0, 1 or 2';
  const message = typeof st.message === 'string' && st.message !== '' ? st.message.slice(0, MAX_STRING) : undefined;
  const events: NonNullable<SpanRecord['events']>[number][] = [];
  for (const e of list(s.events, 'events').slice(0, 1)) {
    if (!isObject(e) || e.name !== 'exception') continue;
    const t = nanos(e.timeUnixNano);
    events.push({ name: 'exception', timeUnixNano: t !== undefined && t >= start && t <= end ? t : end, attributes: attributes(e.attributes, EXCEPTION_ATTRS).attrs });
  }
  return {
    traceId, spanId, name: CELL_SPAN_NAME, startUnixNano: start, endUnixNano: end, attributes: attrs,
    status: message ? { code, message } : { code }, resource: {}, ...(events.length ? { events } : {}),
  };
}

/** Parse a decoded request body; a request that is not OTLP JSON at all throws RequestError. */
export function parseTraceRequest(body: unknown, nowNs = BigInt(Date.now()) * 1_000_000n): ParsedRequest {
  if (!isObject(body)) throw new RequestError('the body is not a JSON object (OTLP ExportTraceServiceRequest)');
  const spans: SpanRecord[] = [];
  const rejected: string[] = [];
  let count = 0;
  for (const rs of list(body.resourceSpans, 'resourceSpans')) {
    if (!isObject(rs)) throw new RequestError('a resourceSpans entry is not an object');
    for (const ss of list(rs.scopeSpans, 'scopeSpans')) {
      if (!isObject(ss)) throw new RequestError('a scopeSpans entry is not an object');
      for (const s of list(ss.spans, 'spans')) {
        if (++count > MAX_SPANS_PER_REQUEST) throw new RequestError(`more than ${MAX_SPANS_PER_REQUEST} spans in one request`);
        const r = span(s, nowNs);
        if (typeof r === 'string') rejected.push(r);
        else spans.push(r);
      }
    }
  }
  return { spans, rejected };
}
