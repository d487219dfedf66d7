// Connects the process tracker to the trace correlator, and enriches finished spans with what only the agent
// knows: the hashes of the saved source versions a compile or run used (the same hashes as the save records),
// and how a Python run was started.
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { Host } from '../../core/component.ts';
import type { SpanRecord } from '../../core/records.ts';
import { ATTR, METRICS } from '../../telemetry/schema.ts';
import type { OutputEndEvent, OutputEvent } from '../../receiver/exec/events.ts';
import type { ProcessEvent, ProcessSink } from '../process/tracker.ts';
import { TraceCorrelator } from './traces.ts';
import type { ProcessContext } from './types.ts';

export interface TraceSinkOptions {
  /** Real path of the workspaces root (as the agent sees it). */
  workspacesRoot: string;
  /** Path prefixes that count as the student's workspace inside a pod (its mount namespace). */
  podWorkspacePaths: readonly string[];
  /** The last saved hash of a file under the workspaces root, by absolute path. */
  sourceHash: (absPath: string) => string | undefined;
  emit: (span: SpanRecord) => void;
  /** How often spans of processes that never reported an exit are closed. */
  flushIntervalMs?: number;
  /** Captured output kept per stream per span. */
  outputMaxBytes?: number;
}

const under = (p: string, root: string) => p === root || p.startsWith(root.endsWith('/') ? root : root + '/');

export class TraceSink implements ProcessSink {
  private readonly correlator: TraceCorrelator;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly host: Host, private readonly o: TraceSinkOptions) {
    this.correlator = new TraceCorrelator({
      emit: (span) => this.emit(span),
      onDrop: (reason) => host.metrics.inc(METRICS.TRACE_DROPS, { reason }),
      ...(o.outputMaxBytes !== undefined ? { outputMaxBytes: o.outputMaxBytes } : {}),
    });
    this.timer = setInterval(() => this.correlator.flush(), o.flushIntervalMs ?? 60_000);
    this.timer.unref();
  }

  process(pe: ProcessEvent): void {
    if (pe.kind === 'exit' || pe.kind === 'fork') {
      this.correlator.handle({ kind: pe.kind, event: pe.event } as Parameters<TraceCorrelator['handle']>[0]);
      return;
    }
    const context = this.context(pe.attribution, pe.event.ppid);
    if (pe.kind === 'exec') this.correlator.handle({ kind: 'exec', event: pe.event, context });
    else this.correlator.handle({ kind: 'exec_failed', event: pe.event, context });
  }

  /** Captured stderr/stdout: goes to the span of the process (or of the compiler that ran it), if we follow it. */
  output(ev: OutputEvent | OutputEndEvent): void {
    if (ev.type === 'output') {
      this.host.metrics.inc(METRICS.PROCESS_OUTPUT_BYTES, { stream: ev.fd === 1 ? 'stdout' : 'stderr', outcome: 'captured' }, ev.data.length);
      this.correlator.handle({ kind: 'output', event: ev });
      return;
    }
    if (ev.stderrDropped) this.host.metrics.inc(METRICS.PROCESS_OUTPUT_BYTES, { stream: 'stderr', outcome: 'dropped' }, ev.stderrDropped);
    if (ev.stdoutDropped) this.host.metrics.inc(METRICS.PROCESS_OUTPUT_BYTES, { stream: 'stdout', outcome: 'dropped' }, ev.stdoutDropped);
    this.correlator.handle({ kind: 'output_end', event: ev });
  }

  /** End the spans of processes still running (marked exit-lost) and stop. */
  shutdown(): void {
    clearInterval(this.timer);
    this.correlator.shutdown();
  }

  private context(a: ProcessEvent['attribution'], ppid: number): ProcessContext {
    // A process attributed through its pod sees its own mount namespace: its workspace is under the pod's
    // home or project directories, and its files are reached through a live process of the pod (the parent
    // shell outlives the compile) at /proc/<pid>/root. One found through a local path shares the agent's view.
    const inPod = a.attributes[ATTR.JCODE_ATTRIBUTION.name] === 'hostname';
    const roots = inPod ? this.o.podWorkspacePaths : [this.o.workspacesRoot];
    const hostPath = inPod ? (p: string) => `/proc/${ppid}/root${p}` : undefined;
    return { resource: a.resource, attributes: a.attributes, workspaceRoot: roots[0], inWorkspace: (p) => roots.some((r) => under(p, r)), hostPath };
  }

  private emit(span: SpanRecord): void {
    const attrs: Attributes = { ...span.attributes };
    const kind = attrs[ATTR.JCODE_EXEC_KIND.name];
    const cwd = String(attrs[ATTR.PROCESS_WORKING_DIRECTORY.name] ?? '/');
    if (kind === 'interpret') Object.assign(attrs, pythonInvocation(attrs[ATTR.PROCESS_COMMAND_ARGS.name] as string[] | undefined));
    const sources = attrs[ATTR.JCODE_COMPILE_SOURCES.name] as string[] | undefined;
    if (sources?.length) attrs[ATTR.JCODE_SOURCE_SHA256.name] = sources.map((s) => this.o.sourceHash(path.resolve(cwd, s)) ?? '');
    if (typeof kind === 'string' && (METRICS.SPANS_EMITTED.labels.kind as readonly string[]).includes(kind)) this.host.metrics.inc(METRICS.SPANS_EMITTED, { kind });
    for (const e of span.events ?? []) {
      const severity = e.attributes[ATTR.JCODE_DIAGNOSTIC_SEVERITY.name];
      if (typeof severity === 'string' && (METRICS.DIAGNOSTICS.labels.severity as readonly string[]).includes(severity)) this.host.metrics.inc(METRICS.DIAGNOSTICS, { severity });
    }
    this.o.emit({ ...span, attributes: attrs });
  }
}

/** `python3 [opts] script.py …`, `python3 -m module`, `python3 -c code`: the script as a source, or the mode. */
export function pythonInvocation(argv: readonly string[] | undefined): Attributes {
  if (!argv) return {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-m') return { [ATTR.JCODE_PYTHON_MODE.name]: 'module' };
    if (a === '-c') return { [ATTR.JCODE_PYTHON_MODE.name]: 'command' };
    if (a === '-W' || a === '-X') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return { [ATTR.JCODE_COMPILE_SOURCES.name]: [a] };
  }
  return {};
}
