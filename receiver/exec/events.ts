// Typed view of bpf/build/jcw-exec NDJSON lines (schema: bpf/README.md).
// Pure: no I/O. parseBpfLine never throws; malformed input gives a ParseError.
import { Buffer } from 'node:buffer';

export type EventKind = 'exec' | 'exec_failed' | 'exit' | 'fork' | 'output' | 'output_end';
export type PerKind = Record<EventKind, number>;

interface Base {
  v: 1;
  /** Kernel boot-time clock (CLOCK_BOOTTIME), ns. */
  tsBootNs: bigint;
  /** Wall clock, Unix ns (boot time + the loader's REALTIME-BOOTTIME offset). */
  timeUnixNano: bigint;
}

interface ExecCommon extends Base {
  pid: number;
  tgid: number;
  /** Thread that called execve; differs from pid for an exec from a non-leader thread. */
  oldPid: number;
  ppid: number;
  vpid: number;
  uid: number;
  gid: number;
  euid: number;
  comm: string;
  filename: string;
  filenameRaw: Buffer;
  /** UTF-8 decoded for display; argvRaw keeps the exact bytes. */
  argv: string[];
  argvRaw: Buffer[];
  argc: number;
  argsSize: number;
  argvTruncated: boolean;
  cwd: string;
  cwdRaw: Buffer;
  cwdTruncated: boolean;
  cgroupId: bigint;
  cgroupPath: string;
  /** v1 memory controller cgroup (hybrid nodes); null when it is not on v1. */
  memcgV1Id: bigint | null;
  memcgV1Path: string | null;
  pidns: number;
  mntns: number;
  utsns: number;
  nodename: string;
  startBootNs: bigint;
  flags: number;
}

export interface ExecEvent extends ExecCommon {
  type: 'exec';
  interp: string;
  exeName: string;
  ino: bigint;
  /** st_dev as stat() reports it (comparable with fs.stat().dev). */
  dev: number;
  devMajor: number;
  devMinor: number;
}

export interface ExecFailedEvent extends ExecCommon {
  type: 'exec_failed';
  errno: number;
  errnoName: string;
}

export interface ExitEvent extends Base {
  type: 'exit';
  pid: number;
  tgid: number;
  ppid: number;
  comm: string;
  exitRaw: number;
  exitCode: number;
  signal: number;
  coreDumped: boolean;
  startBootNs: bigint;
  startUnixNano: bigint;
  durationNs: number;
}

export interface ForkEvent extends Base {
  type: 'fork';
  parentPid: number;
  parentTgid: number;
  childTgid: number;
  comm: string;
  childStartBootNs: bigint;
}

/** Bytes a flagged process (a compiler, interpreter or build tool, or their descendants) wrote to fd 2
 * (fd 1 when opted in): one or more consecutive writes of one process, joined by the loader. */
export interface OutputEvent extends Base {
  type: 'output';
  pid: number;
  tgid: number;
  /** 1 (stdout) or 2 (stderr). */
  fd: number;
  /** write/writev calls joined in this record. */
  writes: number;
  /** Bytes those calls asked to write; more than data.length when a call was over the budget. */
  count: number;
  startBootNs: bigint;
  /** The exact bytes (the loader escapes them; UTF-8 may be split between records). */
  data: Buffer;
}

/** At the exit of a flagged process whose capture hit its budget: what was captured and dropped. */
export interface OutputEndEvent extends Base {
  type: 'output_end';
  pid: number;
  tgid: number;
  startBootNs: bigint;
  stdoutBytes: number;
  stdoutDropped: number;
  stderrBytes: number;
  stderrDropped: number;
}

export interface StatsEvent extends Base {
  type: 'stats';
  /** Cumulative since the loader started. */
  lost: PerKind;
  delivered: PerKind;
  lostTotal: number;
  deliveredTotal: number;
}

export interface HelloEvent {
  v: 1;
  type: 'hello';
  loaderVersion: string;
  bpfVersion: number;
  kernel: string;
  pid: number;
  ncpus: number;
  ringbufBytes: number;
  drainMs: number;
  statsMs: number;
  bootOffsetNs: bigint;
  programs: Record<string, boolean>;
  filters: {
    selfPids: number[];
    skipDescendants: boolean;
    hostnamePrefixes: string[];
    cgroupIds: bigint[];
  };
}

export interface ErrorEvent {
  v: 1;
  type: 'error';
  message: string;
}

export type BpfEvent =
  | ExecEvent
  | ExecFailedEvent
  | ExitEvent
  | ForkEvent
  | OutputEvent
  | OutputEndEvent
  | StatsEvent
  | HelloEvent
  | ErrorEvent;

export interface ParseError {
  type: 'parse_error';
  message: string;
  line: string;
}

export function isParseError(x: BpfEvent | ParseError): x is ParseError {
  return x.type === 'parse_error';
}

/** The loader writes bytes < 0x20 or >= 0x7f as \u00XX, so every char of a
 * decoded string is one original byte: latin1 gives the bytes back. */
export function restoreBytes(s: string): { text: string; raw: Buffer } {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return { text: s, raw: Buffer.from(s, 'latin1') };
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(s)) return { text: s, raw: Buffer.from(s, 'utf8') }; // not from the loader
  const raw = Buffer.from(s, 'latin1');
  return { text: raw.toString('utf8'), raw };
}

class Bad extends Error {}

/** Field accessors over the parsed object; throw Bad (caught below) on a type mismatch. */
class Fields {
  constructor(private readonly o: Record<string, unknown>) {}
  private get(k: string): unknown {
    if (!(k in this.o)) throw new Bad(`missing field ${k}`);
    return this.o[k];
  }
  num(k: string): number {
    const v = this.get(k);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Bad(`${k}: expected number`);
    return v;
  }
  bool(k: string): boolean {
    const v = this.get(k);
    if (typeof v !== 'boolean') throw new Bad(`${k}: expected boolean`);
    return v;
  }
  rawStr(k: string): string {
    const v = this.get(k);
    if (typeof v !== 'string') throw new Bad(`${k}: expected string`);
    return v;
  }
  str(k: string): string {
    return restoreBytes(this.rawStr(k)).text;
  }
  bytes(k: string): { text: string; raw: Buffer } {
    return restoreBytes(this.rawStr(k));
  }
  /** u64 values travel as decimal strings (beyond 2^53). */
  big(k: string): bigint {
    const v = this.get(k);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
    if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
    throw new Bad(`${k}: expected decimal integer string`);
  }
  bigOrNull(k: string): bigint | null {
    return this.get(k) === null ? null : this.big(k);
  }
  strOrNull(k: string): string | null {
    return this.get(k) === null ? null : this.str(k);
  }
  arr(k: string): unknown[] {
    const v = this.get(k);
    if (!Array.isArray(v)) throw new Bad(`${k}: expected array`);
    return v;
  }
  obj(k: string): Fields {
    const v = this.get(k);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Bad(`${k}: expected object`);
    return new Fields(v as Record<string, unknown>);
  }
  keys(): string[] {
    return Object.keys(this.o);
  }
}

const KINDS: EventKind[] = ['exec', 'exec_failed', 'exit', 'fork', 'output', 'output_end'];

function perKind(f: Fields): PerKind {
  // output kinds are absent from loaders built before output capture
  const opt = (k: string) => (f.keys().includes(k) ? f.num(k) : 0);
  return { exec: f.num('exec'), exec_failed: f.num('exec_failed'), exit: f.num('exit'), fork: f.num('fork'), output: opt('output'), output_end: opt('output_end') };
}

function times(f: Fields): Base {
  return { v: 1, tsBootNs: f.big('ts_boot_ns'), timeUnixNano: f.big('time_unix_nano') };
}

function execCommon(f: Fields): ExecCommon {
  const argvIn = f.arr('argv');
  const argv: string[] = [];
  const argvRaw: Buffer[] = [];
  for (const a of argvIn) {
    if (typeof a !== 'string') throw new Bad('argv: expected strings');
    const r = restoreBytes(a);
    argv.push(r.text);
    argvRaw.push(r.raw);
  }
  const filename = f.bytes('filename');
  const cwd = f.bytes('cwd');
  return {
    ...times(f),
    pid: f.num('pid'),
    tgid: f.num('tgid'),
    oldPid: f.num('old_pid'),
    ppid: f.num('ppid'),
    vpid: f.num('vpid'),
    uid: f.num('uid'),
    gid: f.num('gid'),
    euid: f.num('euid'),
    comm: f.str('comm'),
    filename: filename.text,
    filenameRaw: filename.raw,
    argv,
    argvRaw,
    argc: f.num('argc'),
    argsSize: f.num('args_size'),
    argvTruncated: f.bool('argv_truncated'),
    cwd: cwd.text,
    cwdRaw: cwd.raw,
    cwdTruncated: f.bool('cwd_truncated'),
    cgroupId: f.big('cgroup_id'),
    cgroupPath: f.str('cgroup_path'),
    memcgV1Id: f.bigOrNull('memcg_v1_id'),
    memcgV1Path: f.strOrNull('memcg_v1_path'),
    pidns: f.num('pidns'),
    mntns: f.num('mntns'),
    utsns: f.num('utsns'),
    nodename: f.str('nodename'),
    startBootNs: f.big('start_boot_ns'),
    flags: f.num('flags'),
  };
}

function build(type: string, f: Fields): BpfEvent {
  switch (type) {
    case 'exec':
      return {
        ...execCommon(f),
        type: 'exec',
        interp: f.str('interp'),
        exeName: f.str('exe_name'),
        ino: f.big('ino'),
        dev: f.num('dev'),
        devMajor: f.num('dev_major'),
        devMinor: f.num('dev_minor'),
      };
    case 'exec_failed':
      return { ...execCommon(f), type: 'exec_failed', errno: f.num('errno'), errnoName: f.str('errno_name') };
    case 'exit':
      return {
        ...times(f),
        type: 'exit',
        pid: f.num('pid'),
        tgid: f.num('tgid'),
        ppid: f.num('ppid'),
        comm: f.str('comm'),
        exitRaw: f.num('exit_raw'),
        exitCode: f.num('exit_code'),
        signal: f.num('signal'),
        coreDumped: f.bool('core_dumped'),
        startBootNs: f.big('start_boot_ns'),
        startUnixNano: f.big('start_unix_nano'),
        durationNs: f.num('duration_ns'),
      };
    case 'fork':
      return {
        ...times(f),
        type: 'fork',
        parentPid: f.num('parent_pid'),
        parentTgid: f.num('parent_tgid'),
        childTgid: f.num('child_tgid'),
        comm: f.str('comm'),
        childStartBootNs: f.big('child_start_boot_ns'),
      };
    case 'output':
      return {
        ...times(f),
        type: 'output',
        pid: f.num('pid'),
        tgid: f.num('tgid'),
        fd: f.num('fd'),
        writes: f.num('writes'),
        count: f.num('count'),
        startBootNs: f.big('start_boot_ns'),
        data: f.bytes('data').raw,
      };
    case 'output_end':
      return {
        ...times(f),
        type: 'output_end',
        pid: f.num('pid'),
        tgid: f.num('tgid'),
        startBootNs: f.big('start_boot_ns'),
        stdoutBytes: f.num('stdout_bytes'),
        stdoutDropped: f.num('stdout_dropped'),
        stderrBytes: f.num('stderr_bytes'),
        stderrDropped: f.num('stderr_dropped'),
      };
    case 'stats':
      return {
        ...times(f),
        type: 'stats',
        lost: perKind(f.obj('lost')),
        delivered: perKind(f.obj('delivered')),
        lostTotal: f.num('lost_total'),
        deliveredTotal: f.num('delivered_total'),
      };
    case 'hello': {
      const filters = f.obj('filters');
      const progs = f.obj('programs');
      const programs: Record<string, boolean> = {};
      for (const k of progs.keys()) programs[k] = progs.bool(k);
      const nums = (xs: unknown[], what: string): number[] =>
        xs.map((x) => {
          if (typeof x !== 'number') throw new Bad(`${what}: expected numbers`);
          return x;
        });
      return {
        v: 1,
        type: 'hello',
        loaderVersion: f.str('loader_version'),
        bpfVersion: f.num('bpf_version'),
        kernel: f.str('kernel'),
        pid: f.num('pid'),
        ncpus: f.num('ncpus'),
        ringbufBytes: f.num('ringbuf_bytes'),
        drainMs: f.num('drain_ms'),
        statsMs: f.num('stats_ms'),
        bootOffsetNs: f.big('boot_offset_ns'),
        programs,
        filters: {
          selfPids: nums(filters.arr('self_pids'), 'self_pids'),
          skipDescendants: filters.bool('skip_descendants'),
          hostnamePrefixes: filters.arr('hostname_prefixes').map((x) => {
            if (typeof x !== 'string') throw new Bad('hostname_prefixes: expected strings');
            return restoreBytes(x).text;
          }),
          cgroupIds: filters.arr('cgroup_ids').map((x) => {
            if (typeof x !== 'string' || !/^\d+$/.test(x)) throw new Bad('cgroup_ids: expected decimal strings');
            return BigInt(x);
          }),
        },
      };
    }
    case 'error':
      return { v: 1, type: 'error', message: f.str('message') };
    default:
      throw new Bad(`unknown type ${type}`);
  }
}

export function parseBpfLine(line: string): BpfEvent | ParseError {
  const fail = (message: string): ParseError => ({ type: 'parse_error', message, line });
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return fail(`invalid JSON: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return fail('not a JSON object');
  const rec = o as Record<string, unknown>;
  if (rec.v !== 1) return fail(`unsupported schema version ${String(rec.v)}`);
  if (typeof rec.type !== 'string') return fail('missing type');
  try {
    return build(rec.type, new Fields(rec));
  } catch (e) {
    if (e instanceof Bad) return fail(`${rec.type}: ${e.message}`);
    throw e;
  }
}

export { KINDS as EVENT_KINDS };
