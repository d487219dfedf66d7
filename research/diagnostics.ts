// Compiler diagnostics carried as `jcode.diagnostic` span events on compile (and interpreter) spans, when the
// agent captured them; everything here also works when a span has none.
import { ATTR } from '../telemetry/schema.ts';
import type { SpanRow } from './otlp-read.ts';

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  /** The message as the compiler printed it (no `file:line:col:` prefix). */
  readonly message: string;
  /** Normalised message: quoted names, numbers and literals replaced, so the same mistake has one type. */
  readonly type: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

const EVENT_NAME = 'jcode.diagnostic';
/** Per compile: beyond this the rest are dropped (a runaway template error can print thousands). */
export const MAX_DIAGNOSTICS = 50;

/** Attribute names per field (telemetry/schema.ts); for the type, the capture's own class comes first. */
const FIELDS = {
  severity: [ATTR.JCODE_DIAGNOSTIC_SEVERITY.name],
  message: [ATTR.JCODE_DIAGNOSTIC_MESSAGE.name],
  // Python exception class or linker category (`NameError`, `undefined_reference`); gcc messages are normalised.
  type: [ATTR.JCODE_DIAGNOSTIC_ERROR_TYPE.name],
  file: [ATTR.JCODE_DIAGNOSTIC_FILE.name],
  line: [ATTR.JCODE_DIAGNOSTIC_LINE.name],
  column: [ATTR.JCODE_DIAGNOSTIC_COLUMN.name],
} as const;

function field(a: SpanRow['attributes'], names: readonly string[]): string | number | undefined {
  for (const n of names) {
    const v = a[n];
    if (typeof v === 'string' || typeof v === 'number') return v;
  }
  return undefined;
}

/** Replace what varies between two occurrences of the same mistake (names, numbers, literals). */
export function normaliseMessage(message: string): string {
  return message
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
    .replace(/^.*?:\d+(:\d+)?:\s*(fatal error|error|warning|note):\s*/i, '')
    .replace(/\s*\[-W[^\]]*\]\s*$/, '')
    .replace(/[‘'`"]([^’'`"]*)[’'`"]/g, "'…'")
    .replace(/\b0x[0-9a-f]+\b|\b\d+(\.\d+)?\b/gi, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

function severityOf(v: unknown): Diagnostic['severity'] | undefined {
  const s = String(v ?? '').toLowerCase();
  if (s.includes('error') || s === 'fatal') return 'error';
  if (s.includes('warn')) return 'warning';
  return undefined;
}

/** Error and warning diagnostics of a span, in the order printed (notes are context for these, not entries). */
export function diagnosticsOf(span: SpanRow): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ev of span.events) {
    if (ev.name !== EVENT_NAME) continue;
    const a = ev.attributes;
    const message = String(field(a, FIELDS.message) ?? '').trim();
    // No severity at all: an error (what a capture keeps first); a note or remark is context, not an entry.
    const given = field(a, FIELDS.severity);
    const severity = given === undefined ? (message ? 'error' : undefined) : severityOf(given);
    if (!severity) continue;
    const type = field(a, FIELDS.type);
    const line = Number(field(a, FIELDS.line));
    const column = Number(field(a, FIELDS.column));
    const file = field(a, FIELDS.file);
    out.push({
      severity, message,
      type: typeof type === 'string' && type ? type : normaliseMessage(message),
      file: typeof file === 'string' && file ? file : undefined,
      line: Number.isInteger(line) && line > 0 ? line : undefined,
      column: Number.isInteger(column) && column > 0 ? column : undefined,
    });
    if (out.length >= MAX_DIAGNOSTICS) break;
  }
  return out;
}

/** ProgSnap2 SourceLocation: `Text:line[:col]`, 1-based. */
export function sourceLocation(d: Diagnostic): string {
  if (d.line === undefined) return '';
  return d.column === undefined ? `Text:${d.line}` : `Text:${d.line}:${d.column}`;
}
