// OTLP/HTTP request bodies (logs and traces, protobuf or JSON) → flat records for the mapping.
//
// Protobuf decoding uses protobufjs (already in the tree through @grpc/proto-loader) with a hand-written
// descriptor of the OTLP messages and fields the mapping reads (field numbers from the OTLP .proto files;
// unknown fields are skipped by the decoder, as protobuf requires). JSON follows the OTLP/JSON rules:
// lowerCamelCase names, hex trace/span ids, 64-bit integers as strings or numbers, enums as integers.
import protobuf from 'protobufjs/light.js';

export type AttrValue = string | number | boolean | bigint | AttrValue[] | { [k: string]: AttrValue } | null;
export type Attrs = Record<string, AttrValue>;

export interface LogRec {
  readonly signal: 'logs';
  readonly resource: Attrs;
  readonly eventName: string;
  /** Occurrence time (falls back to the observed time when unset). */
  readonly timeUnixNano: bigint;
  readonly body: AttrValue;
  readonly attributes: Attrs;
  readonly traceId: string;
  readonly spanId: string;
}

export interface SpanRec {
  readonly signal: 'traces';
  readonly resource: Attrs;
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  readonly startUnixNano: bigint;
  readonly endUnixNano: bigint;
  readonly attributes: Attrs;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export type Signal = 'logs' | 'traces';

export class OtlpDecodeError extends Error {}

// ---- protobuf descriptor (the subset of opentelemetry/proto the bridge reads) ----
const KV = { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } };
const ROOT = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        KeyValue: KV,
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        LogRecord: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            observedTimeUnixNano: { type: 'fixed64', id: 11 },
            body: { type: 'AnyValue', id: 5 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
            traceId: { type: 'bytes', id: 9 },
            spanId: { type: 'bytes', id: 10 },
            eventName: { type: 'string', id: 12 },
          },
        },
        ScopeLogs: { fields: { logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 } } },
        ResourceLogs: { fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 } } },
        ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        Status: { fields: { code: { type: 'int32', id: 3 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            name: { type: 'string', id: 5 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            status: { type: 'Status', id: 15 },
          },
        },
        ScopeSpans: { fields: { spans: { rule: 'repeated', type: 'Span', id: 2 } } },
        ResourceSpans: { fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 } } },
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
      },
    },
  },
});
const LOGS_REQ = ROOT.lookupType('otlp.ExportLogsServiceRequest');
const TRACE_REQ = ROOT.lookupType('otlp.ExportTraceServiceRequest');
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, defaults: false, arrays: true };

// ---- shared shape after protobuf toObject (bytes base64) or JSON.parse (bytes hex / base64) ----
interface AnyValueJ { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number | string; arrayValue?: { values?: AnyValueJ[] }; kvlistValue?: { values?: KeyValueJ[] }; bytesValue?: string }
interface KeyValueJ { key?: string; value?: AnyValueJ }

function anyValue(v: AnyValueJ | undefined | null): AttrValue {
  if (!v || typeof v !== 'object') return null;
  if (v.stringValue !== undefined) return String(v.stringValue);
  if (v.boolValue !== undefined) return Boolean(v.boolValue);
  if (v.intValue !== undefined) {
    const n = BigInt(v.intValue);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue !== undefined) return attrs(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return String(v.bytesValue);
  return null;
}

function attrs(kvs: KeyValueJ[] | undefined | null): Attrs {
  const out: Attrs = {};
  if (!Array.isArray(kvs)) return out;
  for (const kv of kvs) if (kv && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function u64(v: unknown): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
  throw new OtlpDecodeError(`not a 64-bit integer: ${JSON.stringify(v)}`);
}

/** Trace/span ids: hex in OTLP/JSON, base64 after protobuf toObject. */
function id(v: unknown, hexLen: number, encoding: 'hex' | 'base64'): string {
  if (typeof v !== 'string' || v === '') return '';
  if (encoding === 'hex' && new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(v)) return v.toLowerCase();
  return Buffer.from(v, 'base64').toString('hex');
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function list(v: unknown, what: string): Obj[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what} is not an array`);
  return v as Obj[];
}

function logsFrom(req: Obj, ids: 'hex' | 'base64'): LogRec[] {
  const out: LogRec[] = [];
  for (const rl of list(req.resourceLogs, 'resourceLogs')) {
    const resource = attrs(rl?.resource?.attributes);
    for (const sl of list(rl?.scopeLogs, 'scopeLogs')) {
      for (const lr of list(sl?.logRecords, 'logRecords')) {
        const t = u64(lr.timeUnixNano);
        out.push({
          signal: 'logs',
          resource,
          eventName: typeof lr.eventName === 'string' ? lr.eventName : '',
          timeUnixNano: t !== 0n ? t : u64(lr.observedTimeUnixNano),
          body: anyValue(lr.body),
          attributes: attrs(lr.attributes),
          traceId: id(lr.traceId, 32, ids),
          spanId: id(lr.spanId, 16, ids),
        });
      }
    }
  }
  return out;
}

function spansFrom(req: Obj, ids: 'hex' | 'base64'): SpanRec[] {
  const out: SpanRec[] = [];
  for (const rs of list(req.resourceSpans, 'resourceSpans')) {
    const resource = attrs(rs?.resource?.attributes);
    for (const ss of list(rs?.scopeSpans, 'scopeSpans')) {
      for (const s of list(ss?.spans, 'spans')) {
        out.push({
          signal: 'traces',
          resource,
          traceId: id(s.traceId, 32, ids),
          spanId: id(s.spanId, 16, ids),
          name: typeof s.name === 'string' ? s.name : '',
          startUnixNano: u64(s.startTimeUnixNano),
          endUnixNano: u64(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          statusCode: Number(s.status?.code ?? 0),
        });
      }
    }
  }
  return out;
}

export type Encoding = 'protobuf' | 'json';

/** Decode one OTLP/HTTP export request body. Throws OtlpDecodeError when it is not a valid request. */
export function decodeRequest(signal: 'logs', encoding: Encoding, body: Uint8Array): LogRec[];
export function decodeRequest(signal: 'traces', encoding: Encoding, body: Uint8Array): SpanRec[];
export function decodeRequest(signal: Signal, encoding: Encoding, body: Uint8Array): LogRec[] | SpanRec[];
export function decodeRequest(signal: Signal, encoding: Encoding, body: Uint8Array): LogRec[] | SpanRec[] {
  let obj: Obj;
  try {
    if (encoding === 'protobuf') {
      const type = signal === 'logs' ? LOGS_REQ : TRACE_REQ;
      obj = type.toObject(type.decode(body), TO_OBJECT);
    } else {
      obj = JSON.parse(Buffer.from(body).toString('utf8'));
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new OtlpDecodeError('not a JSON object');
    }
    return signal === 'logs' ? logsFrom(obj, encoding === 'json' ? 'hex' : 'base64') : spansFrom(obj, encoding === 'json' ? 'hex' : 'base64');
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError(`invalid OTLP ${encoding} ${signal} request: ${(err as Error).message}`);
  }
}
