// Raw process events as log records (`jcode.process.exec`, `.exec_failed`, `.exit`), tagged with the pod's
// resource and the student's attributes: what the kernel saw, before any trace is built.
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { constants } from 'node:os';
import type { Consumer } from '../../core/component.ts';
import type { EventRecord } from '../../core/records.ts';
import { ATTR, EVENTS } from '../../telemetry/schema.ts';
import type { ProcessEvent, ProcessSink } from './tracker.ts';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

const ms = (ns: bigint) => Number(ns / 1000n) / 1000;

export class ProcessRecords implements ProcessSink {
  constructor(private readonly next: Consumer<EventRecord>) {}

  process(pe: ProcessEvent): void {
    const a: Attributes = { ...pe.attribution.attributes };
    const ev = pe.event;
    switch (pe.kind) {
      case 'fork':
        return;
      case 'exec':
      case 'exec_failed': {
        const e = pe.event;
        Object.assign(a, {
          [ATTR.PROCESS_PID.name]: e.tgid,
          [ATTR.PROCESS_PARENT_PID.name]: e.ppid,
          [ATTR.PROCESS_EXECUTABLE_NAME.name]: path.posix.basename(e.filename),
          [ATTR.PROCESS_EXECUTABLE_PATH.name]: e.filename,
          [ATTR.PROCESS_COMMAND_ARGS.name]: e.argv,
          [ATTR.PROCESS_WORKING_DIRECTORY.name]: e.cwd,
          [ATTR.JCODE_PROCESS_HOSTNAME.name]: e.nodename,
        });
        if (pe.kind === 'exec') {
          Object.assign(a, {
            [ATTR.PROCESS_VPID.name]: pe.event.vpid,
            [ATTR.PROCESS_ARGS_COUNT.name]: pe.event.argc,
            [ATTR.JCODE_PROCESS_ARGS_SIZE.name]: pe.event.argsSize,
            [ATTR.PROCESS_USER_ID.name]: pe.event.euid,
            [ATTR.PROCESS_LINUX_CGROUP.name]: pe.event.cgroupPath,
            [ATTR.JCODE_PROCESS_EXE_INODE.name]: String(pe.event.ino),
            [ATTR.JCODE_PROCESS_EXE_DEVICE.name]: pe.event.dev,
          });
          if (pe.event.argvTruncated) a[ATTR.JCODE_PROCESS_ARGS_TRUNCATED.name] = true;
        } else {
          a[ATTR.JCODE_PROCESS_ERRNO.name] = pe.event.errnoName;
        }
        break;
      }
      case 'exit': {
        const e = pe.event;
        Object.assign(a, {
          [ATTR.PROCESS_PID.name]: e.tgid,
          [ATTR.PROCESS_PARENT_PID.name]: e.ppid,
          [ATTR.PROCESS_EXECUTABLE_NAME.name]: e.comm,
          [ATTR.JCODE_PROCESS_DURATION.name]: e.durationNs / 1e9,
        });
        // A signal death is never an exit code: a segfault is SIGSEGV, not "exit 0".
        if (e.signal) a[ATTR.JCODE_PROCESS_SIGNAL.name] = signalName(e.signal);
        else a[ATTR.PROCESS_EXIT_CODE.name] = e.exitCode;
        if (e.coreDumped) a[ATTR.JCODE_PROCESS_CORE_DUMPED.name] = true;
        break;
      }
    }
    const event = pe.kind === 'exec' ? EVENTS.PROCESS_EXEC : pe.kind === 'exec_failed' ? EVENTS.PROCESS_EXEC_FAILED : EVENTS.PROCESS_EXIT;
    this.next.consume({ event, timestampMs: ms(ev.timeUnixNano), body: '', attributes: a, resource: pe.attribution.resource });
  }
}
