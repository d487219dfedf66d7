// Time-ordered events → ProgSnap2 MainTable rows (one event may give several: a compile and its errors).
import type { CodeStates } from './codestates.ts';
import { sourceLocation } from './diagnostics.ts';
import type { ResearchEvent } from './events.ts';

/** MainTable columns, in the order written. `X-` columns are ours (README.txt describes them). */
export const MAIN_COLUMNS = [
  'EventType', 'EventID', 'Order', 'SubjectID', 'ToolInstances', 'CodeStateID', 'ServerTimestamp', 'ServerTimezone',
  'CourseID', 'CourseSectionID', 'TermID', 'AssignmentID', 'ParentEventID', 'CodeStateSection', 'DestinationCodeStateSection',
  'CompileResult', 'CompileMessageType', 'CompileMessageData', 'SourceLocation', 'ExecutionID', 'ExecutionResult',
  'X-TraceID', 'X-ExitCode', 'X-Signal', 'X-Errno', 'X-DurationMs', 'X-ExitLost', 'X-Language', 'X-ExceptionType', 'X-FileSha256', 'X-LinesAdded', 'X-LinesRemoved',
] as const;
export type Column = (typeof MAIN_COLUMNS)[number];

export interface Row {
  readonly cols: Partial<Record<Column, string>>;
  /** Event time in ms since the epoch (for the struggle metrics; the CSV has ServerTimestamp). */
  readonly timeMs: number;
}

/** Signals that mean the program was stopped (by the student or a limit), not that it crashed: ProgSnap2 `Timeout`. */
const STOPPED = new Set(['SIGINT', 'SIGTERM', 'SIGKILL', 'SIGXCPU', 'SIGHUP', 'SIGPIPE']);

/** ProgSnap2 Timestamp: ISO 8601 without a zone (the zone is in ServerTimezone), microseconds. */
export function progsnapTime(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  return `${iso}.${String((ns / 1000n) % 1_000_000n).padStart(6, '0')}`;
}

export interface RowOptions {
  readonly termId?: string;
}

/** Turns events in time order into rows with a strictly increasing Order. */
export class RowBuilder {
  private order = 0;

  constructor(private readonly codeStates: CodeStates, private readonly opts: RowOptions = {}) {}

  rows(ev: ResearchEvent): Row[] {
    const ns = BigInt(ev.t);
    const timeMs = Number(ns / 1000n) / 1000;
    const w = ev.who;
    const common = (): Partial<Record<Column, string>> => ({
      Order: String(++this.order), SubjectID: w.subject, ToolInstances: ev.tool,
      ServerTimestamp: progsnapTime(ns), ServerTimezone: '+0000',
      CourseID: w.course, CourseSectionID: w.course && w.section ? `${w.course}-${w.section}` : '', TermID: this.opts.termId ?? '', AssignmentID: w.assignment,
    });
    switch (ev.k) {
      case 'save':
      case 'delete':
      case 'rename': {
        this.codeStates.apply(ev);
        const type = ev.k === 'save' ? (ev.created ? 'File.Create' : 'File.Edit') : ev.k === 'delete' ? 'File.Delete' : 'File.Rename';
        const cols: Partial<Record<Column, string>> = { EventType: type, EventID: ev.id, ...common(), CodeStateID: this.codeStates.current(w) };
        if (ev.k === 'rename') {
          cols.CodeStateSection = ev.oldPath;
          cols.DestinationCodeStateSection = ev.path;
        } else cols.CodeStateSection = ev.path;
        if (ev.k !== 'delete' && ev.sha) cols['X-FileSha256'] = ev.sha;
        if (ev.k === 'save') {
          cols['X-LinesAdded'] = ev.added === undefined ? '' : String(ev.added);
          cols['X-LinesRemoved'] = ev.removed === undefined ? '' : String(ev.removed);
        }
        return [{ cols, timeMs }];
      }
      case 'compile': {
        const codeState = this.codeStates.current(w);
        const warned = ev.diags.some((d) => d.severity === 'warning');
        const result = ev.failed ? 'Error' : warned ? 'Warning' : 'Success';
        const out: Row[] = [{ timeMs, cols: { EventType: 'Compile', EventID: ev.id, ...common(), CodeStateID: codeState, CompileResult: result, ...this.process(ev) } }];
        ev.diags.forEach((d, i) => {
          out.push({
            timeMs,
            cols: {
              EventType: d.severity === 'error' ? 'Compile.Error' : 'Compile.Warning', EventID: `${ev.id}-d${i + 1}`, ...common(),
              CodeStateID: codeState, ParentEventID: ev.id, CodeStateSection: d.file ?? '',
              CompileMessageType: d.type, CompileMessageData: d.message, SourceLocation: sourceLocation(d), 'X-TraceID': ev.traceId,
            },
          });
        });
        return out;
      }
      case 'run': {
        const result = ev.exitLost ? '' : !ev.failed ? 'Success' : ev.signal && STOPPED.has(ev.signal) ? 'Timeout' : 'Error';
        return [{
          timeMs,
          cols: {
            EventType: 'Run.Program', EventID: ev.id, ...common(), CodeStateID: this.codeStates.current(w), ExecutionID: ev.id, ExecutionResult: result,
            ...this.process(ev), 'X-Errno': ev.errno ?? '', 'X-ExitLost': ev.exitLost ? 'true' : '', 'X-Language': ev.language, 'X-ExceptionType': ev.exception ?? '',
          },
        }];
      }
    }
  }

  private process(ev: ResearchEvent & { k: 'compile' | 'run' }): Partial<Record<Column, string>> {
    return {
      'X-TraceID': ev.traceId, 'X-ExitCode': ev.exitCode === undefined ? '' : String(ev.exitCode), 'X-Signal': ev.signal ?? '',
      'X-DurationMs': ev.durationMs.toFixed(3),
    };
  }
}
