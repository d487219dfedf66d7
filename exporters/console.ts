// A one-line human summary per event on stdout (time, student, assignment, file, +/- lines).
import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { ATTR } from '../telemetry/schema.ts';

export function summarize(eventName: string, a: Record<string, unknown>, time: Date): string {
  const who = `${a[ATTR.EDU_COURSE.name]}-${a[ATTR.EDU_SECTION.name]}/${a[ATTR.EDU_STUDENT_ID.name]}`;
  const hw = a[ATTR.EDU_ASSIGNMENT.name] ?? '-';
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
