// JCode Watcher records → the Analytics API's REST calls (the JBNU JCode-Watcher backend contract):
//
//   snapshot  POST /api/{class_div}/{hw_name}/{student_id}/{filename}/{timestamp}   {bytes}
//   build     POST /api/{class_div}/{hw_name}/{student_id}/logs/build   {timestamp, exit_code, cmdline, cwd, binary_path, target_path}
//   run       POST /api/{class_div}/{hw_name}/{student_id}/logs/run     {timestamp, exit_code, cmdline, cwd, target_path, process_type}
//
// class_div = `<edu.course>-<edu.section>`; hw_name = edu.assignment (`hwN`); student_id = edu.student.id as an
// integer (leading zeros are lost, as in the API); filename = the path below the assignment directory with `/`
// replaced by `@`; snapshot timestamp `YYYYmmdd_HHMMSS`; build/run timestamp a naive ISO datetime. Both
// timestamps are rendered in `timeZone` (default UTC: the API reads snapshot times as UTC and shows them +9 h,
// and converts naive build/run times from its own zone, UTC in its container).
//
// Sources: `jcode.file.save` → snapshot {bytes: file.size}; `jcode.file.delete` → snapshot {bytes: 0} and
// `jcode.file.rename` → snapshot {bytes: 0} for the old path + snapshot for the new one (the old watcher's
// delete and move semantics); spans with `jcode.exec.kind` = compile → build, run → run (binary),
// interpret (python*) → run (python), and Jupyter cells (`jcode.jupyter.cell`) → run (python, target
// `ipykernel`, exit 0 or 1, code withheld: the old post_run_cell hook's call). Spans carry start time, exit status, argv and cwd in one record, so the
// `jcode.process.exec/exit` log records (the same processes, split in two) are not used.
import { constants } from 'node:os';
import path from 'node:path';
import type { AttrValue, Attrs, LogRec, SpanRec } from './otlp.ts';

export type CallKind = 'snapshot' | 'build' | 'run';

export interface ApiCall {
  readonly kind: CallKind;
  /** URL path below the API base, already percent-encoded. */
  readonly path: string;
  readonly body: Record<string, string | number>;
  /** Record identity (+ call index): a call with this key that succeeded once is never sent again. */
  readonly key: string;
}

/** Why a record produced no call although the API has one for its kind. Bounded set (a metric label). */
export const DROP_REASONS = [
  'no_student_id', 'student_id_not_numeric', 'no_course', 'no_assignment', 'assignment_not_hwN', 'path_outside_assignment',
  'no_size', 'no_timestamp', 'no_exit_status', 'no_source', 'unsupported_interpreter', 'api_rejected',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type MapResult =
  | { readonly outcome: 'calls'; readonly calls: ApiCall[] }
  /** Not something the API records (other events, toolchain spans, failed execs): silently skipped, counted. */
  | { readonly outcome: 'ignored' }
  | { readonly outcome: 'dropped'; readonly reason: DropReason; readonly detail: string };

export interface MappingOptions {
  /** IANA zone the API timestamps are written in (default UTC). */
  readonly timeZone?: string;
}

const HW = /^hw\d+$/;
const SIGNALS = constants.signals as Record<string, number>;

function str(v: AttrValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

function int(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

function strings(v: AttrValue | undefined): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => str(x) ?? '') : undefined;
}

/** Percent-encode one path segment, keeping `@` (the API's file-name separator) readable. */
function seg(s: string): string {
  return encodeURIComponent(s).replace(/%40/g, '@');
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function parts(ns: bigint, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  const ms = Number(ns / 1_000_000n);
  return Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** `YYYYmmdd_HHMMSS` (snapshot path timestamp). */
export function snapshotTimestamp(ns: bigint, timeZone = 'UTC'): string {
  const p = parts(ns, timeZone);
  return `${p.year}${p.month}${p.day}_${p.hour}${p.minute}${p.second}`;
}

/** Naive ISO datetime with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffff` (build/run body timestamp). */
export function isoTimestamp(ns: bigint, timeZone = 'UTC'): string {
  const p = parts(ns, timeZone);
  const micros = String((ns % 1_000_000_000n) / 1000n).padStart(6, '0');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${micros}`;
}

interface Student { classDiv: string; hw: string; id: string }

/** The three path parameters shared by all calls, or why they cannot be formed. */
function student(a: Attrs): Student | { reason: DropReason; detail: string } {
  const course = str(a['edu.course']);
  const section = str(a['edu.section']);
  const id = str(a['edu.student.id']);
  const hw = str(a['edu.assignment']);
  if (!id) return { reason: 'no_student_id', detail: 'no edu.student.id' };
  if (!/^\d+$/.test(id)) return { reason: 'student_id_not_numeric', detail: `edu.student.id ${JSON.stringify(id)} is not an integer (the API's student_id is an int)` };
  if (!course || !section) return { reason: 'no_course', detail: 'edu.course or edu.section missing' };
  if (!hw) return { reason: 'no_assignment', detail: 'no edu.assignment' };
  if (!HW.test(hw)) return { reason: 'assignment_not_hwN', detail: `edu.assignment ${JSON.stringify(hw)} is not hwN` };
  return { classDiv: `${course}-${section}`, hw, id: BigInt(id).toString() };
}

function base(s: Student): string {
  return `/api/${seg(s.classDiv)}/${seg(s.hw)}/${s.id}`;
}

function drop(reason: DropReason, detail: string): MapResult {
  return { outcome: 'dropped', reason, detail };
}

/** `hw1/src/utils/a.c` → `src@utils@a.c` (relative to the assignment directory), or undefined. */
export function apiFilename(filePath: string, hw: string): string | undefined {
  const norm = path.posix.normalize(filePath.replace(/\\/g, '/')).replace(/^\.\//, '');
  if (!norm.startsWith(`${hw}/`)) return undefined;
  const rest = norm.slice(hw.length + 1);
  if (!rest || rest.split('/').some((p) => p === '' || p === '..')) return undefined;
  return rest.split('/').join('@');
}

function snapshotCall(s: Student, filePath: string | undefined, ns: bigint, bytes: number, key: string, tz: string): ApiCall | { reason: DropReason; detail: string } {
  if (!filePath) return { reason: 'path_outside_assignment', detail: 'no file.path' };
  const filename = apiFilename(filePath, s.hw);
  if (!filename) return { reason: 'path_outside_assignment', detail: `file.path ${JSON.stringify(filePath)} is not below ${s.hw}/` };
  return { kind: 'snapshot', path: `${base(s)}/${seg(filename)}/${snapshotTimestamp(ns, tz)}`, body: { bytes }, key };
}

function recordKey(r: LogRec): string {
  const a = r.attributes;
  return ['log', r.eventName, r.timeUnixNano, str(r.resource['k8s.pod.uid']) ?? '', str(a['edu.course']), str(a['edu.section']), str(a['edu.student.id']),
    str(a['file.path']), str(a['jcode.file.sha256']) ?? str(a['jcode.file.previous_sha256']) ?? ''].join('|');
}

export function mapLog(r: LogRec, opts: MappingOptions = {}): MapResult {
  const tz = opts.timeZone ?? 'UTC';
  const ev = r.eventName || str(r.attributes['event.name']) || '';
  if (ev !== 'jcode.file.save' && ev !== 'jcode.file.delete' && ev !== 'jcode.file.rename') return { outcome: 'ignored' };
  const s = student(r.attributes);
  if ('reason' in s) return drop(s.reason, s.detail);
  if (r.timeUnixNano === 0n) return drop('no_timestamp', 'record has no time');
  const a = r.attributes;
  const key = recordKey(r);
  const calls: (ApiCall | { reason: DropReason; detail: string })[] = [];
  if (ev === 'jcode.file.delete') {
    calls.push(snapshotCall(s, str(a['file.path']), r.timeUnixNano, 0, `${key}|0`, tz));
  } else {
    let size = int(a['file.size']);
    if (size === undefined && typeof r.body === 'string' && r.body !== '' && a['jcode.file.truncated'] !== true) size = Buffer.byteLength(r.body);
    if (size === undefined) return drop('no_size', 'no file.size');
    if (ev === 'jcode.file.rename') calls.push(snapshotCall(s, str(a['jcode.file.old_path']), r.timeUnixNano, 0, `${key}|old`, tz));
    calls.push(snapshotCall(s, str(a['file.path']), r.timeUnixNano, size, `${key}|0`, tz));
  }
  const bad = calls.find((c) => 'reason' in c);
  if (bad && 'reason' in bad) return drop(bad.reason, bad.detail);
  return { outcome: 'calls', calls: calls as ApiCall[] };
}

/** Exit code for the API: the code, or 128 + signal number for a kill (shell convention); undefined when unknown. */
function exitCode(a: Attrs): number | undefined {
  const code = int(a['process.exit.code']);
  if (code !== undefined) return code;
  const sig = str(a['jcode.process.signal']);
  if (sig && SIGNALS[sig] !== undefined) return 128 + SIGNALS[sig];
  return undefined;
}

/** The script a Python command line runs: the first non-option argument; none for `-c`/`-m` or a REPL. */
export function pythonScript(args: string[]): string | undefined {
  const withValue = new Set(['-W', '-X', '-Q']);
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-m' || arg === '-') return undefined;
    if (arg === '--') return args[i + 1];
    if (withValue.has(arg)) { i++; continue; }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return undefined;
}

export function mapSpan(r: SpanRec, opts: MappingOptions = {}): MapResult {
  const tz = opts.timeZone ?? 'UTC';
  const a = r.attributes;
  if (r.name === 'jcode.jupyter.cell') return mapCell(r, tz);
  const kind = str(a['jcode.exec.kind']);
  if (kind !== 'compile' && kind !== 'run' && kind !== 'interpret') return { outcome: 'ignored' };
  if (a['jcode.exec.failed'] === true) return { outcome: 'ignored' };
  const exe = str(a['process.executable.name']) ?? '';
  if (kind === 'interpret' && !/^python/.test(exe)) return drop('unsupported_interpreter', `interpreter ${JSON.stringify(exe)}: the API knows python and binaries only`);
  const s = student(a);
  if ('reason' in s) return drop(s.reason, s.detail);
  if (r.startUnixNano === 0n) return drop('no_timestamp', 'span has no start time');
  const exit = exitCode(a);
  if (exit === undefined) return drop('no_exit_status', 'no process.exit.code or jcode.process.signal (exit not seen)');
  const args = strings(a['process.command_args']) ?? [];
  const cwd = str(a['process.working_directory']) ?? '';
  const exePath = str(a['process.executable.path']) ?? '';
  const abs = (p: string) => (cwd ? path.posix.resolve(cwd, p) : p);
  const common = { timestamp: isoTimestamp(r.startUnixNano, tz), exit_code: exit, cmdline: args.length ? args.join(' ') : exePath, cwd };
  const key = `span|${r.traceId}|${r.spanId}`;
  if (kind === 'compile') {
    const src = strings(a['jcode.compile.sources'])?.[0];
    if (!src) return drop('no_source', 'compile without a source file on its command line');
    return { outcome: 'calls', calls: [{ kind: 'build', path: `${base(s)}/logs/build`, key, body: { ...common, binary_path: exePath, target_path: abs(src) } }] };
  }
  if (kind === 'run') {
    return { outcome: 'calls', calls: [{ kind: 'run', path: `${base(s)}/logs/run`, key, body: { ...common, target_path: exePath, process_type: 'binary' } }] };
  }
  const script = pythonScript(args);
  if (!script) return drop('no_source', 'python without a script (-c, -m or an interactive session)');
  return { outcome: 'calls', calls: [{ kind: 'run', path: `${base(s)}/logs/run`, key, body: { ...common, target_path: abs(script), process_type: 'python' } }] };
}

/** A notebook cell execution → a python run whose exit code says whether the cell raised (status ERROR). */
function mapCell(r: SpanRec, tz: string): MapResult {
  const s = student(r.attributes);
  if ('reason' in s) return drop(s.reason, s.detail);
  if (r.startUnixNano === 0n) return drop('no_timestamp', 'span has no start time');
  const body = {
    timestamp: isoTimestamp(r.startUnixNano, tz), exit_code: r.statusCode === 2 ? 1 : 0, cmdline: '<unknown>',
    cwd: str(r.attributes['process.working_directory']) ?? '', target_path: 'ipykernel', process_type: 'python',
  };
  return { outcome: 'calls', calls: [{ kind: 'run', path: `${base(s)}/logs/run`, key: `span|${r.traceId}|${r.spanId}`, body }] };
}
