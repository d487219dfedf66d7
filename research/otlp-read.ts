// Streams OTLP JSON lines (the embedded default's logs.jsonl/traces.jsonl, the Collector's `file` exporter
// output, rotated and gzipped copies of either) into typed records, one line at a time: a 1 GiB input never
// needs more memory than its longest line.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { ATTR, EVENTS } from '../telemetry/schema.ts';

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };
export type Attrs = Record<string, string | number | boolean | (string | number | boolean | undefined)[] | undefined>;

function anyValue(v: AnyValue | undefined): Attrs[string] {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((x) => anyValue(x) as string | number | boolean | undefined);
  return undefined;
}

function attrs(kvs: KeyValue[] | undefined): Attrs {
  const out: Attrs = {};
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

/** A file record (`jcode.file.save`, `.delete`, `.rename`). */
export interface FileLog {
  readonly signal: 'log';
  readonly event: 'save' | 'delete' | 'rename';
  readonly timeNs: bigint;
  readonly attributes: Attrs;
  readonly resource: Attrs;
  readonly body: string;
}

export interface SpanEventRow {
  readonly name: string;
  readonly timeNs: bigint;
  readonly attributes: Attrs;
}

/** One span of a compile → run trace. */
export interface SpanRow {
  readonly signal: 'span';
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly attributes: Attrs;
  readonly resource: Attrs;
  readonly events: readonly SpanEventRow[];
}

export type OtlpRecord = FileLog | SpanRow;

export interface ReadStats {
  files: number;
  lines: number;
  /** Lines that are not JSON or not an OTLP export request: skipped and counted, never fatal. */
  badLines: number;
  /** Requests of other signals (metrics) and log records of other events (process records). */
  ignored: number;
  firstBadLine?: string;
}

const FILE_EVENTS: Record<string, FileLog['event']> = {
  [EVENTS.FILE_SAVE.name]: 'save',
  [EVENTS.FILE_DELETE.name]: 'delete',
  [EVENTS.FILE_RENAME.name]: 'rename',
};

// `logs.jsonl`, `traces.jsonl.1`, `traces-2026-11-30T07-30-00.000.json`, any of them `.gz`.
const INPUT_NAME = /\.(jsonl|json|ndjson)(\.\d+)?(\.gz)?$|\.jsonl?-\d.*$/;

/** Input files under `dir` (recursively, hidden directories and our own spool skipped), in name order. */
export function listInputs(dir: string): string[] {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new Error(`--from ${dir}: no such directory`);
  if (st.isFile()) return [dir];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      // The agent's spool and snapshot store hold protobuf batches and blobs, not OTLP JSON lines.
      if (e.isDirectory()) {
        if (e.name !== 'spool' && e.name !== 'snapshots') walk(p);
      } else if (e.isFile() && INPUT_NAME.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function toNs(v: unknown): bigint {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  return 0n;
}

interface LogsRequest { resourceLogs?: { resource?: { attributes?: KeyValue[] }; scopeLogs?: { logRecords?: { eventName?: string; timeUnixNano?: string; observedTimeUnixNano?: string; body?: AnyValue; attributes?: KeyValue[] }[] }[] }[] }
interface TracesRequest { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: { traceId?: string; spanId?: string; parentSpanId?: string; name?: string; startTimeUnixNano?: string; endTimeUnixNano?: string; status?: { code?: number | string }; attributes?: KeyValue[]; events?: { name?: string; timeUnixNano?: string; attributes?: KeyValue[] }[] }[] }[] }[] }

const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** Parse one line (one export request) into records; undefined when the line is not an OTLP request. */
export function parseLine(line: string, stats: ReadStats): OtlpRecord[] | undefined {
  let req: LogsRequest & TracesRequest & { resourceMetrics?: unknown };
  try {
    req = JSON.parse(line) as typeof req;
  } catch {
    return undefined;
  }
  if (req === null || typeof req !== 'object') return undefined;
  const out: OtlpRecord[] = [];
  if (Array.isArray(req.resourceLogs)) {
    for (const rl of req.resourceLogs) {
      const resource = attrs(rl.resource?.attributes);
      for (const sl of rl.scopeLogs ?? []) {
        for (const lr of sl.logRecords ?? []) {
          const event = FILE_EVENTS[lr.eventName ?? ''];
          if (!event) {
            stats.ignored++;
            continue;
          }
          const body = anyValue(lr.body);
          out.push({ signal: 'log', event, timeNs: toNs(lr.timeUnixNano) || toNs(lr.observedTimeUnixNano), attributes: attrs(lr.attributes), resource, body: typeof body === 'string' ? body : '' });
        }
      }
    }
    return out;
  }
  if (Array.isArray(req.resourceSpans)) {
    for (const rs of req.resourceSpans) {
      const resource = attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          if (!s.traceId || !s.spanId) {
            stats.badLines++;
            continue;
          }
          const code = s.status?.code;
          out.push({
            signal: 'span', traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name ?? '',
            startNs: toNs(s.startTimeUnixNano), endNs: toNs(s.endTimeUnixNano),
            statusCode: typeof code === 'number' ? code : STATUS_CODES[code ?? ''] ?? 0,
            attributes: attrs(s.attributes), resource,
            events: (s.events ?? []).map((e) => ({ name: e.name ?? '', timeNs: toNs(e.timeUnixNano), attributes: attrs(e.attributes) })),
          });
        }
      }
    }
    return out;
  }
  if (req.resourceMetrics !== undefined) {
    stats.ignored++;
    return out;
  }
  return undefined;
}

/**
 * Lines of a stream, one chunk at a time. (readline's async iterator reads ahead up to a thousand lines, and
 * the agent's lines are whole export batches of up to megabytes: that read-ahead alone can be hundreds of MB.)
 */
export async function* splitLines(input: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pieces: string[] = [];
  for await (const chunk of input) {
    const text = decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      pieces.push(text.slice(start, nl));
      const line = pieces.join('');
      pieces = [];
      start = nl + 1;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
  pieces.push(decoder.end());
  const last = pieces.join('');
  if (last) yield last;
}

/** Every file record and span under `from`, in file order (not time order: see external-sort.ts). */
export async function* readOtlp(from: string, stats: ReadStats): AsyncGenerator<OtlpRecord> {
  for (const file of listInputs(from)) {
    stats.files++;
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    try {
      for await (const line of splitLines(input)) {
        if (!line.trim()) continue;
        stats.lines++;
        const recs = parseLine(line, stats);
        if (!recs) {
          stats.badLines++;
          stats.firstBadLine ??= `${file}:${stats.lines}: ${line.slice(0, 80)}`;
          continue;
        }
        yield* recs;
      }
    } catch (err) {
      // A truncated gzip member or an unreadable file: keep what was read, say so, go on with the next file.
      stats.badLines++;
      stats.firstBadLine ??= `${file}: ${(err as Error).message}`;
    } finally {
      raw.destroy();
    }
  }
}

/** Student context of a record, from the `edu.*` attributes (the same on saves and spans). */
export function studentOf(a: Attrs): { subject: string; course: string; section: string; assignment: string } {
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
  return { subject: s(ATTR.EDU_STUDENT_ID.name) || 'UNKNOWN', course: s(ATTR.EDU_COURSE.name), section: s(ATTR.EDU_SECTION.name), assignment: s(ATTR.EDU_ASSIGNMENT.name) };
}
