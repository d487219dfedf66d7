// Follows processes from exec to exit: attributes each exec, inherits the context through forks (so a student
// shell's children stay attributed), filters what is not a student context, and hands attributed events on.
// The table is bounded; what falls out is counted.
import type { Host } from '../../core/component.ts';
import type { ExecEvent, ExecFailedEvent, ExitEvent, ForkEvent } from '../../receiver/exec/events.ts';
import { METRICS } from '../../telemetry/schema.ts';
import type { Attribution, Attributor } from '../attribution/attributor.ts';

export type ProcessEvent =
  | { kind: 'exec'; event: ExecEvent; attribution: Attribution }
  | { kind: 'exec_failed'; event: ExecFailedEvent; attribution: Attribution }
  | { kind: 'exit'; event: ExitEvent; attribution: Attribution }
  | { kind: 'fork'; event: ForkEvent; attribution: Attribution };

export interface ProcessSink {
  process(ev: ProcessEvent): void;
}

interface Tracked {
  attribution: Attribution;
  /** Whether this process exec'd something we reported (only those get an exit record). */
  reported: boolean;
}

/** A failed exec is held this long: a PATH search (execvp trying each directory) ends in a successful exec. */
const FAILED_EXEC_HOLD_MS = 250;

export class ProcessTracker {
  private readonly table = new Map<number, Tracked>();
  private readonly failed = new Map<number, { ev: ExecFailedEvent; attribution: Attribution; timer: NodeJS.Timeout }>();

  constructor(
    private readonly host: Host,
    private readonly attributor: Attributor,
    private readonly reportAll: boolean,
    private readonly maxProcesses: number,
    private readonly sinks: readonly ProcessSink[],
  ) {}

  handle(ev: ExecEvent | ExecFailedEvent | ExitEvent | ForkEvent): void {
    switch (ev.type) {
      case 'fork': {
        const parent = this.table.get(ev.parentTgid);
        if (parent) {
          this.track(ev.childTgid, { attribution: parent.attribution, reported: false });
          this.emit({ kind: 'fork', event: ev, attribution: parent.attribution });
        }
        return;
      }
      case 'exec':
      case 'exec_failed': {
        // A success after failures in the same process was a PATH search: the failures were not the student's.
        if (ev.type === 'exec') this.releaseFailed(ev.tgid, false);
        const inherited = this.table.get(ev.tgid)?.attribution ?? this.table.get(ev.ppid)?.attribution;
        let attribution = this.attributor.attribute(ev);
        // A child of a student process stays the student's even when its own cwd and host name say nothing.
        if (!attribution.student && inherited?.student) attribution = inherited;
        const report = attribution.student || this.reportAll;
        // Failed execs are counted when they are reported or dropped as a PATH search.
        if (ev.type === 'exec' || !report) this.host.metrics.inc(METRICS.PROCESS_EVENTS, { type: ev.type, outcome: report ? 'reported' : 'filtered' });
        if (ev.type === 'exec') this.track(ev.tgid, { attribution, reported: report || (this.table.get(ev.tgid)?.reported ?? false) });
        if (!report) return;
        if (ev.type === 'exec') this.emit({ kind: 'exec', event: ev, attribution });
        else this.holdFailed(ev, attribution);
        return;
      }
      case 'exit': {
        this.releaseFailed(ev.tgid, true);
        const t = this.table.get(ev.tgid);
        this.table.delete(ev.tgid);
        this.host.metrics.set(METRICS.PROCESSES_TRACKED, this.table.size);
        if (!t?.reported) {
          if (t) this.host.metrics.inc(METRICS.PROCESS_EVENTS, { type: 'exit', outcome: 'filtered' });
          return;
        }
        this.host.metrics.inc(METRICS.PROCESS_EVENTS, { type: 'exit', outcome: 'reported' });
        this.emit({ kind: 'exit', event: ev, attribution: t.attribution });
      }
    }
  }

  /** Keep only the last failure of a process until it either execs (dropped) or gives up (reported). */
  private holdFailed(ev: ExecFailedEvent, attribution: Attribution): void {
    // An earlier failure of the same process was one more step of its PATH search.
    this.releaseFailed(ev.tgid, false);
    const timer = setTimeout(() => this.releaseFailed(ev.tgid, true), FAILED_EXEC_HOLD_MS);
    timer.unref();
    this.failed.set(ev.tgid, { ev, attribution, timer });
  }

  /** A held failure ends: dropped (the process exec'd after all: a PATH search) or reported. */
  private releaseFailed(tgid: number, report: boolean): void {
    const f = this.failed.get(tgid);
    if (!f) return;
    clearTimeout(f.timer);
    this.failed.delete(tgid);
    this.host.metrics.inc(METRICS.PROCESS_EVENTS, { type: 'exec_failed', outcome: report ? 'reported' : 'filtered' });
    if (report) this.emit({ kind: 'exec_failed', event: f.ev, attribution: f.attribution });
  }

  /** Report failures still held (at shutdown). */
  flush(): void {
    for (const tgid of [...this.failed.keys()]) this.releaseFailed(tgid, true);
  }

  private track(tgid: number, t: Tracked): void {
    this.table.delete(tgid);
    this.table.set(tgid, t);
    if (this.table.size > this.maxProcesses) {
      // Oldest first: Map order is insertion order, and a re-exec re-inserts.
      const oldest = this.table.keys().next().value!;
      this.table.delete(oldest);
      this.host.metrics.inc(METRICS.PROCESS_TABLE_EVICTIONS);
    }
    this.host.metrics.set(METRICS.PROCESSES_TRACKED, this.table.size);
  }

  private emit(ev: ProcessEvent): void {
    for (const s of this.sinks) s.process(ev);
  }
}
