// Builds traces from process events: one span per compile, build, interpreter or student-program process,
// nested by the process tree (shells and other helpers are transparent), and a run of a binary joined to
// the compile that wrote it by the file's (dev, ino). Span ids are assigned at exec so a child can name a
// parent that has not ended; spans are emitted at exit.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { ExecEvent, ExecFailedEvent, ExitEvent, ForkEvent, OutputEndEvent, OutputEvent } from '../../receiver/exec/events.ts';
import { SpanOutput } from '../diagnostics/output.ts';
import type { SpanRecord } from '../../core/records.ts';
import { CORRELATE_ATTR as A } from './attributes.ts';
import { Classifier, execPath, type Identity } from './classify.ts';
import { DEFAULT_SOURCE_EXTENSIONS, parseCompileArgs } from './compile-args.ts';
import { OutputTable, type SpanRef } from './outputs.ts';
import { exitOutcome } from './spans.ts';
import type { CorrelatorInput, DropReason, ExecKind, FileId, ProcessContext, StatFn } from './types.ts';

export interface IdGenerator {
  /** 32 lowercase hex chars, not all zero. */
  traceId(): string;
  /** 16 lowercase hex chars, not all zero. */
  spanId(): string;
}

export interface TraceCorrelatorOptions {
  emit: (span: SpanRecord) => void;
  onDrop?: (reason: DropReason) => void;
  classifier?: Classifier;
  /** Identity of a compile output; default: statSync in the agent's own mount namespace. */
  stat?: StatFn;
  ids?: IdGenerator;
  /** Wall clock, Unix ns (used by shutdown() without an argument). */
  now?: () => bigint;
  /** Processes tracked at once (default 65,536); the oldest is evicted beyond. */
  maxProcesses?: number;
  /** Compile outputs remembered for the run join (default 4,096). */
  maxOutputs?: number;
  /** flush() ends spans of processes older than this without an exit (default 1 h). */
  maxAgeNs?: bigint;
  sourceExtensions?: readonly string[];
  /** Captured output kept per stream per span (default 16 KiB). */
  outputMaxBytes?: number;
}

type SpannedKind = Exclude<ExecKind, 'other'>;

interface OpenSpan extends SpanRef {
  readonly parentSpanId?: string;
  readonly start: bigint;
  kind: SpannedKind;
  name: string;
  /** The latest image: a shim chain collapses onto the real interpreter's exec. */
  exec: ExecEvent;
  context: ProcessContext;
  /** Top of the unbroken build/compile chain above (itself when none): compile outputs join runs to it. */
  buildRoot: OpenSpan;
  readonly extra: Attributes;
  readonly links: SpanRef[];
  /** On a build root: absolute paths of executables its compilers wrote. */
  outputs?: string[];
  /** Where this process's (and its children's) captured output is reported: the compiler span for toolchain
   * spans (cc1's errors, ld's undefined references belong to the gcc the student ran), else itself. */
  outputTo: OpenSpan;
  output?: SpanOutput;
  ended: boolean;
}

interface ProcNode {
  readonly tgid: number;
  /** With tgid, the process identity (pids are reused). */
  startBootNs?: bigint;
  /** The process's own span, from its first spanned exec on. */
  span?: OpenSpan;
  /** Nearest spanned ancestor when the process was created: its spans hang there. */
  inherited?: OpenSpan;
  lastSeen: bigint;
}

const MAX_BUILD_OUTPUTS = 64;

export function defaultStat(absPath: string): FileId | undefined {
  try {
    const s = fs.statSync(absPath, { bigint: true, throwIfNoEntry: false });
    return s ? { ino: s.ino, dev: Number(s.dev) } : undefined;
  } catch {
    return undefined;
  }
}

function randomHex(bytes: number): string {
  for (;;) {
    const b = randomBytes(bytes);
    if (b.some((x) => x !== 0)) return b.toString('hex');
  }
}

export const randomIds: IdGenerator = { traceId: () => randomHex(16), spanId: () => randomHex(8) };

export class TraceCorrelator {
  private readonly procs = new Map<number, ProcNode>();
  private readonly outputs: OutputTable;
  private readonly emitSpan: (span: SpanRecord) => void;
  private readonly drop: (reason: DropReason) => void;
  private readonly classifier: Classifier;
  private readonly stat: StatFn;
  private readonly ids: IdGenerator;
  private readonly now: () => bigint;
  private readonly maxProcesses: number;
  private readonly maxAgeNs: bigint;
  private readonly sourceExtensions: readonly string[];
  private readonly outputMaxBytes: number | undefined;
  /** Latest event time: the end given to spans evicted for room, whose true end is unknown. */
  private lastTime = 0n;

  constructor(opts: TraceCorrelatorOptions) {
    this.emitSpan = opts.emit;
    this.drop = opts.onDrop ?? (() => {});
    this.classifier = opts.classifier ?? new Classifier();
    this.stat = opts.stat ?? ((abs, context) => defaultStat(context?.hostPath ? context.hostPath(abs) : abs));
    this.ids = opts.ids ?? randomIds;
    this.now = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.maxProcesses = opts.maxProcesses ?? 65_536;
    this.maxAgeNs = opts.maxAgeNs ?? 3_600_000_000_000n;
    this.sourceExtensions = opts.sourceExtensions ?? DEFAULT_SOURCE_EXTENSIONS;
    this.outputMaxBytes = opts.outputMaxBytes;
    this.outputs = new OutputTable(opts.maxOutputs ?? 4_096, () => this.drop('output_table_full'));
  }

  handle(input: CorrelatorInput): void {
    if (input.event.timeUnixNano > this.lastTime) this.lastTime = input.event.timeUnixNano;
    switch (input.kind) {
      case 'fork':
        return this.onFork(input.event);
      case 'exec':
        return this.onExec(input.event, input.context);
      case 'exec_failed':
        return this.onExecFailed(input.event, input.context);
      case 'exit':
        return this.onExit(input.event);
      case 'output':
        return this.onOutput(input.event);
      case 'output_end':
        return this.onOutputEnd(input.event);
    }
  }

  /** Ends spans of processes tracked longer than the age limit: their exit was lost. */
  flush(nowUnixNano: bigint = this.now()): void {
    for (const node of [...this.procs.values()]) {
      const since = node.span?.start ?? node.lastSeen;
      if (nowUnixNano - since <= this.maxAgeNs) continue;
      this.retire(node, nowUnixNano);
      this.drop('process_expired');
    }
  }

  /** Emits the spans of processes still running, ended now and flagged exit-lost, and forgets everything. */
  shutdown(nowUnixNano: bigint = this.now()): void {
    for (const node of [...this.procs.values()]) this.retire(node, nowUnixNano);
  }

  /** Processes currently tracked. */
  get size(): number {
    return this.procs.size;
  }

  private onFork(ev: ForkEvent): void {
    const existing = this.procs.get(ev.childTgid);
    if (existing && existing.startBootNs === ev.childStartBootNs) return;
    if (existing) this.retire(existing, ev.timeUnixNano); // pid reused: the old process's exit was lost
    const parent = this.procs.get(ev.parentTgid);
    this.insert({ tgid: ev.childTgid, startBootNs: ev.childStartBootNs, inherited: spanOf(parent), lastSeen: ev.timeUnixNano });
  }

  private onExec(ev: ExecEvent, ctx: ProcessContext): void {
    let node = this.procs.get(ev.tgid);
    if (node && node.startBootNs !== undefined && node.startBootNs !== ev.startBootNs) {
      this.retire(node, ev.timeUnixNano);
      node = undefined;
    }
    if (node) {
      node.startBootNs = ev.startBootNs;
      node.lastSeen = ev.timeUnixNano;
      this.procs.delete(ev.tgid); // re-insert: the table evicts in least-recently-active order
      this.procs.set(ev.tgid, node);
    } else {
      // No fork seen (lost, or the process predates us): the exec's parent is the best guess.
      node = { tgid: ev.tgid, startBootNs: ev.startBootNs, inherited: spanOf(this.procs.get(ev.ppid)), lastSeen: ev.timeUnixNano };
      this.insert(node);
    }

    let id: Identity = this.classifier.identify(ev, ctx.inWorkspace);
    // By identity, not name: a binary moved out of the workspace or run by another path is still that build.
    const joined = (id.kind === 'run' || id.kind === 'other') && ev.ino !== 0n ? this.outputs.get({ ino: ev.ino, dev: ev.dev }) : undefined;
    if (joined) id = { kind: 'run', name: 'run' };
    // Shells, env, version-manager helpers: the process keeps whatever span it has (a shim chain in progress).
    if (id.kind === 'other') return;
    const kind = id.kind;

    const own = node.span && !node.span.ended ? node.span : undefined;
    if (own && own.kind === kind && kind !== 'run') {
      // One process, successive images of one tool (pyenv shim → bash → … → python3.12): one span on the last.
      own.name = id.name;
      own.exec = ev;
      own.context = ctx;
      return;
    }
    if (own) this.finish(own, ev.timeUnixNano, { [A.PROCESS_EXEC_REPLACED.name]: true }, { code: 'unset' });

    // What launched it: the image this process replaced, else the nearest spanned ancestor.
    const launcher = own ?? node.inherited;
    if (kind === 'toolchain' && !launcher) return; // cc1/as/ld outside any compile: not worth a root span

    const parent: SpanRef | undefined = joined ?? launcher;
    const links: SpanRef[] = [];
    // A joined run keeps its process-tree parent (a make recipe, a test script) as a link.
    if (joined && launcher && launcher.spanId !== joined.spanId) links.push({ traceId: launcher.traceId, spanId: launcher.spanId });
    const extra: Attributes = {};
    if (kind === 'run') extra[A.RUN_COMPILE_SEEN.name] = joined !== undefined;

    const span: OpenSpan = {
      traceId: parent?.traceId ?? this.ids.traceId(),
      spanId: this.ids.spanId(),
      ...(parent ? { parentSpanId: parent.spanId } : {}),
      start: ev.timeUnixNano,
      kind,
      name: id.name,
      exec: ev,
      context: ctx,
      buildRoot: undefined as unknown as OpenSpan, // set just below: it may be the span itself
      outputTo: undefined as unknown as OpenSpan, // likewise
      extra,
      links,
      ended: false,
    };
    const inBuild = (kind === 'compile' || kind === 'build') && launcher && !joined && (launcher.kind === 'compile' || launcher.kind === 'build');
    span.buildRoot = inBuild ? launcher.buildRoot : span;
    // A toolchain child (cc1, ld) or a compiler's own sub-invocation (`clang -cc1`) reports on the compiler run.
    span.outputTo = launcher && (kind === 'toolchain' || (kind === 'compile' && launcher.kind === 'compile')) ? launcher.outputTo : span;
    node.span = span;
  }

  private onExecFailed(ev: ExecFailedEvent, ctx: ProcessContext): void {
    // Only a student program that could not start (`./a.out` before compiling, a missing +x) is a span:
    // failed tool lookups along $PATH are noise.
    if (this.classifier.identify(ev, ctx.inWorkspace).kind !== 'run') return;
    const node = this.procs.get(ev.tgid);
    if (node) node.lastSeen = ev.timeUnixNano;
    const parent = node ? spanOf(node) : spanOf(this.procs.get(ev.ppid));
    const attributes: Attributes = {
      ...ctx.attributes,
      ...processAttributes(ev, path.posix.basename(ev.filename), 'run'),
      [A.EXEC_FAILED.name]: true,
      [A.ERROR_TYPE.name]: ev.errnoName,
    };
    this.emitSpan({
      traceId: parent?.traceId ?? this.ids.traceId(),
      spanId: this.ids.spanId(),
      ...(parent ? { parentSpanId: parent.spanId } : {}),
      name: 'run',
      startUnixNano: ev.timeUnixNano,
      endUnixNano: ev.timeUnixNano,
      attributes,
      status: { code: 'error', message: `exec failed: ${ev.errnoName}` },
      resource: ctx.resource,
    });
  }

  private onExit(ev: ExitEvent): void {
    const node = this.procs.get(ev.tgid);
    if (!node) return;
    if (node.startBootNs !== undefined && node.startBootNs !== ev.startBootNs) {
      // The exit of a process we never saw, reusing the pid of one whose exit we missed.
      this.retire(node, ev.timeUnixNano);
      return;
    }
    this.procs.delete(ev.tgid);
    const span = node.span;
    if (!span || span.ended) return;
    const outcome = exitOutcome(ev);
    if (outcome.success && span.kind === 'compile') this.recordOutput(span);
    this.finish(span, ev.timeUnixNano, outcome.attributes, outcome.status);
  }

  /** The open span a process's output goes to, when the process is one we follow (a student's). */
  private outputSpan(tgid: number, startBootNs: bigint): OpenSpan | undefined {
    const node = this.procs.get(tgid);
    if (!node || (node.startBootNs !== undefined && node.startBootNs !== startBootNs)) return undefined;
    const span = spanOf(node)?.outputTo;
    return span && !span.ended ? span : undefined;
  }

  private onOutput(ev: OutputEvent): void {
    const span = this.outputSpan(ev.tgid, ev.startBootNs);
    if (!span) return;
    span.output ??= new SpanOutput(this.outputMaxBytes);
    span.output.add(ev.fd, { tgid: ev.tgid, timeUnixNano: ev.timeUnixNano, data: ev.data });
  }

  private onOutputEnd(ev: OutputEndEvent): void {
    const span = this.outputSpan(ev.tgid, ev.startBootNs);
    if (!span) return;
    span.output ??= new SpanOutput(this.outputMaxBytes);
    span.output.dropped('stderr', ev.stderrDropped);
    span.output.dropped('stdout', ev.stdoutDropped);
  }

  /** A successful link: remember its executable so a later run of that file joins the build's trace. */
  private recordOutput(span: OpenSpan): void {
    const args = parseCompileArgs(span.exec.argv, this.sourceExtensions);
    if (!args.links || args.output === undefined) return;
    const abs = path.posix.resolve(span.exec.cwd || '/', args.output);
    const id = this.stat(abs, span.context);
    if (!id) return;
    const root = span.buildRoot;
    this.outputs.set(id, { traceId: root.traceId, spanId: root.spanId });
    if (root !== span && !root.ended) {
      root.outputs ??= [];
      if (root.outputs.length < MAX_BUILD_OUTPUTS && !root.outputs.includes(abs)) root.outputs.push(abs);
    }
  }

  private finish(span: OpenSpan, end: bigint, exitAttributes: Attributes, status: SpanRecord['status']): void {
    span.ended = true;
    const e = span.exec;
    const attributes: Attributes = {
      ...span.context.attributes,
      ...processAttributes(e, e.exeName || path.posix.basename(e.filename), span.kind),
      ...span.extra,
    };
    if (span.kind === 'compile') {
      const args = parseCompileArgs(e.argv, this.sourceExtensions);
      if (args.sources.length > 0) attributes[A.COMPILE_SOURCES.name] = [...args.sources];
      if (args.output !== undefined) attributes[A.COMPILE_OUTPUT.name] = args.output;
    }
    if (span.outputs?.length) attributes[A.BUILD_OUTPUTS.name] = [...span.outputs];
    const output = span.output?.summarize();
    if (output) Object.assign(attributes, output.attributes);
    Object.assign(attributes, exitAttributes);
    this.emitSpan({
      traceId: span.traceId,
      spanId: span.spanId,
      ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
      name: span.name,
      startUnixNano: span.start,
      // Clocks can step; a span never ends before it starts.
      endUnixNano: end > span.start ? end : span.start,
      attributes,
      status,
      resource: span.context.resource,
      ...(span.links.length ? { links: [...span.links] } : {}),
      ...(output?.events.length ? { events: output.events } : {}),
    });
  }

  /** Forgets a process whose exit we will not see; its open span ends now, flagged. */
  private retire(node: ProcNode, end: bigint): void {
    this.procs.delete(node.tgid);
    if (node.span && !node.span.ended) this.finish(node.span, end, { [A.PROCESS_EXIT_LOST.name]: true }, { code: 'unset' });
  }

  private insert(node: ProcNode): void {
    this.procs.set(node.tgid, node);
    while (this.procs.size > this.maxProcesses) {
      const oldest = this.procs.values().next().value!;
      this.retire(oldest, this.lastTime);
      this.drop('process_table_full');
    }
  }
}

/** The span a process's children hang under: its own, else what it inherited. */
function spanOf(node: ProcNode | undefined): OpenSpan | undefined {
  if (!node) return undefined;
  return node.span && !node.span.ended ? node.span : node.inherited;
}

function processAttributes(e: ExecEvent | ExecFailedEvent, executableName: string, kind: SpannedKind): Attributes {
  return {
    [A.PROCESS_EXECUTABLE_NAME.name]: executableName,
    [A.PROCESS_EXECUTABLE_PATH.name]: execPath(e),
    [A.PROCESS_COMMAND_ARGS.name]: [...e.argv],
    [A.PROCESS_PID.name]: e.tgid,
    [A.PROCESS_PARENT_PID.name]: e.ppid,
    [A.PROCESS_WORKING_DIRECTORY.name]: e.cwd,
    [A.EXEC_KIND.name]: kind,
  };
}
