// A one-line human summary per event on stdout (time, student, assignment, file, +/- lines).
import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR } from '../telemetry/schema.ts';

export function summarize(eventName: string, a: Record<string, unknown>, time: Date): string {
  const who = a[ATTR.EDU_STUDENT_ID.name] === undefined ? '(node)' : `${a[ATTR.EDU_COURSE.name]}-${a[ATTR.EDU_SECTION.name]}/${a[ATTR.EDU_STUDENT_ID.name]}`;
  const hw = a[ATTR.EDU_ASSIGNMENT.name] ?? '-';
  if (eventName.startsWith('jcode.process.')) return summarizeProcess(eventName.slice('jcode.process.'.length), a, time, who, String(hw));
  const file = JSON.stringify(a[ATTR.FILE_PATH.name]);
  const what = eventName.replace(/^jcode\.file\./, '');
  const flags = ['binary', 'truncated', 'symlink', 'diff_truncated'].filter((f) => a[`jcode.file.${f}`] === true);
  let detail = '';
  if (what === 'save') detail = ` +${a[ATTR.JCODE_FILE_LINES_ADDED.name] ?? 0}/-${a[ATTR.JCODE_FILE_LINES_REMOVED.name] ?? 0}`;
  if (what === 'rename') detail = ` from ${JSON.stringify(a[ATTR.JCODE_FILE_OLD_PATH.name])}`;
  const by = a[ATTR.JCODE_FILE_DETECTED_BY.name] === 'scan' ? ' (scan)' : '';
  return `${time.toISOString()} ${what.padEnd(6)} ${who} ${hw} ${file}${detail}${flags.length ? ` [${flags.join(',')}]` : ''}${by}`;
}

export class ConsoleSummaryProcessor implements LogRecordProcessor {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}
  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    const [s, ns] = record.hrTime;
    this.write(summarize(record.eventName ?? '', record.attributes as Record<string, unknown>, new Date(s * 1000 + ns / 1e6)));
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function summarizeProcess(what: string, a: Record<string, unknown>, time: Date, who: string, hw: string): string {
  const pid = `[${a[ATTR.PROCESS_PID.name]}]`;
  const args = (a[ATTR.PROCESS_COMMAND_ARGS.name] as string[] | undefined)?.map((s) => (/[\s"']/.test(s) ? JSON.stringify(s) : s)).join(' ') ?? '';
  let detail: string;
  if (what === 'exit') {
    const sig = a[ATTR.JCODE_PROCESS_SIGNAL.name];
    const dur = Number(a[ATTR.JCODE_PROCESS_DURATION.name] ?? 0).toFixed(3);
    detail = `${a[ATTR.PROCESS_EXECUTABLE_NAME.name]} ${sig ? `killed by ${sig}` : `exit ${a[ATTR.PROCESS_EXIT_CODE.name]}`} after ${dur}s`;
  } else if (what === 'exec_failed') {
    detail = `${args.slice(0, 200)} failed: ${a[ATTR.JCODE_PROCESS_ERRNO.name]}`;
  } else {
    detail = args.slice(0, 200);
  }
  return `${time.toISOString()} ${what.padEnd(6)} ${who} ${hw} ${pid} ${detail}`;
}
