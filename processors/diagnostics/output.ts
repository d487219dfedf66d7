// What a span's processes wrote to stderr (and stdout, opt-in), as the kernel captured it, turned into span
// events (`jcode.diagnostic`) and attributes at the span's end. Bounded: at most maxBytes per stream per span.
import type { Attributes } from '@opentelemetry/api';
import type { SpanEvent } from '../../core/records.ts';
import { ATTR } from '../../telemetry/schema.ts';
import { stripAnsi } from './ansi.ts';
import { parseCompilerOutput } from './gcc.ts';
import { looksLikePython, parsePythonOutput } from './python.ts';
import type { Diagnostic, Severity } from './types.ts';

export interface OutputChunk {
  readonly tgid: number;
  readonly timeUnixNano: bigint;
  readonly data: Buffer;
}

export const DIAGNOSTIC_EVENT = 'jcode.diagnostic';
/** Diagnostics attached as events per span; the counts still include the rest. */
export const MAX_EVENTS = 128;
/** Default cap on the text kept per stream per span (the kernel caps each process). */
export const DEFAULT_SPAN_OUTPUT_BYTES = 16 * 1024;

class Stream {
  readonly chunks: OutputChunk[] = [];
  bytes = 0;
  truncated = false;
  dropped = 0;

  add(c: OutputChunk, max: number): void {
    const room = max - this.bytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const data = c.data.length > room ? c.data.subarray(0, room) : c.data;
    if (data.length < c.data.length) this.truncated = true;
    this.chunks.push(data === c.data ? c : { ...c, data });
    this.bytes += data.length;
  }
}

interface Line {
  readonly text: string;
  readonly time: bigint;
}

/** One process's bytes as lines, each with the time of the write that started it. Lines are split on bytes,
 * so a UTF-8 character split between two writes is decoded whole. */
function linesOf(chunks: readonly OutputChunk[]): Line[] {
  const out: Line[] = [];
  let pending: Buffer[] = [];
  let time: bigint | undefined;
  for (const c of chunks) {
    let from = 0;
    while (from < c.data.length) {
      time ??= c.timeUnixNano;
      const nl = c.data.indexOf(0x0a, from);
      const end = nl < 0 ? c.data.length : nl;
      pending.push(c.data.subarray(from, end));
      from = end + 1;
      if (nl < 0) break;
      out.push({ text: clean(Buffer.concat(pending)), time });
      pending = [];
      time = undefined;
    }
  }
  if (pending.length && time !== undefined) out.push({ text: clean(Buffer.concat(pending)), time });
  return out;
}

function clean(b: Buffer): string {
  return stripAnsi(b.toString('utf8')).replace(/\r$/, '');
}

function text(chunks: readonly OutputChunk[]): string {
  return stripAnsi(Buffer.concat(chunks.map((c) => c.data)).toString('utf8'));
}

export interface OutputSummary {
  readonly attributes: Attributes;
  readonly events: SpanEvent[];
  readonly counts: Readonly<Record<Severity, number>>;
}

export class SpanOutput {
  private readonly streams = { stdout: new Stream(), stderr: new Stream() };

  constructor(private readonly maxBytes = DEFAULT_SPAN_OUTPUT_BYTES) {}

  add(fd: number, chunk: OutputChunk): void {
    if (fd === 1 || fd === 2) this.streams[fd === 2 ? 'stderr' : 'stdout'].add(chunk, this.maxBytes);
  }

  /** Bytes a process wrote past its kernel budget (reported at its exit). */
  dropped(stream: 'stdout' | 'stderr', bytes: number): void {
    if (bytes > 0) {
      this.streams[stream].dropped += bytes;
      this.streams[stream].truncated = true;
    }
  }

  summarize(): OutputSummary {
    const attributes: Attributes = {};
    const counts: Record<Severity, number> = { fatal: 0, error: 0, warning: 0, note: 0 };
    const events: SpanEvent[] = [];
    const err = this.streams.stderr;
    if (err.chunks.length || err.dropped) {
      const found: { d: Diagnostic; time: bigint }[] = [];
      // Per process: cc1's, ld's and collect2's messages are each whole; a traceback is one process's.
      const byProcess = new Map<number, OutputChunk[]>();
      for (const c of err.chunks) (byProcess.get(c.tgid) ?? byProcess.set(c.tgid, []).get(c.tgid)!).push(c);
      for (const chunks of byProcess.values()) {
        const lines = linesOf(chunks);
        const texts = lines.map((l) => l.text);
        const ds = looksLikePython(texts) ? parsePythonOutput(texts) : parseCompilerOutput(texts);
        for (const d of ds) found.push({ d, time: lines[d.firstLine]!.time });
      }
      found.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      for (const { d, time } of found) {
        counts[d.severity]++;
        if (events.length < MAX_EVENTS) events.push({ name: DIAGNOSTIC_EVENT, timeUnixNano: time, attributes: diagnosticAttributes(d) });
      }
      attributes[ATTR.JCODE_DIAGNOSTIC_ERROR_COUNT.name] = counts.error + counts.fatal;
      attributes[ATTR.JCODE_DIAGNOSTIC_WARNING_COUNT.name] = counts.warning;
      attributes[ATTR.JCODE_DIAGNOSTIC_NOTE_COUNT.name] = counts.note;
      attributes[ATTR.JCODE_PROCESS_STDERR.name] = text(err.chunks);
      if (err.truncated) attributes[ATTR.JCODE_PROCESS_STDERR_TRUNCATED.name] = true;
      if (err.dropped) attributes[ATTR.JCODE_PROCESS_STDERR_DROPPED.name] = err.dropped;
    }
    const out = this.streams.stdout;
    if (out.chunks.length || out.dropped) {
      attributes[ATTR.JCODE_PROCESS_STDOUT.name] = text(out.chunks);
      if (out.truncated) attributes[ATTR.JCODE_PROCESS_STDOUT_TRUNCATED.name] = true;
    }
    return { attributes, events, counts };
  }
}

export function diagnosticAttributes(d: Diagnostic): Attributes {
  const a: Attributes = {
    [ATTR.JCODE_DIAGNOSTIC_SEVERITY.name]: d.severity,
    [ATTR.JCODE_DIAGNOSTIC_MESSAGE.name]: d.message,
    [ATTR.JCODE_DIAGNOSTIC_TOOL.name]: d.tool,
    [ATTR.JCODE_DIAGNOSTIC_RAW.name]: d.raw,
  };
  if (d.file !== undefined) a[ATTR.JCODE_DIAGNOSTIC_FILE.name] = d.file;
  if (d.line !== undefined) a[ATTR.JCODE_DIAGNOSTIC_LINE.name] = d.line;
  if (d.column !== undefined) a[ATTR.JCODE_DIAGNOSTIC_COLUMN.name] = d.column;
  if (d.errorType !== undefined) a[ATTR.JCODE_DIAGNOSTIC_ERROR_TYPE.name] = d.errorType;
  if (d.flag !== undefined) a[ATTR.JCODE_DIAGNOSTIC_FLAG.name] = d.flag;
  if (d.function !== undefined) a[ATTR.JCODE_DIAGNOSTIC_FUNCTION.name] = d.function;
  return a;
}
