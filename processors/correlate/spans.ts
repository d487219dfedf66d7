// Turns a process's exit into span status and attributes (OTel CLI-span conventions).
import { constants } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import type { ExitEvent } from '../../receiver/exec/events.ts';
import type { SpanRecord } from '../../core/records.ts';
import { describeSignal } from '../diagnostics/signals.ts';
import { CORRELATE_ATTR as A } from './attributes.ts';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

export interface ExitOutcome {
  readonly attributes: Attributes;
  readonly status: SpanRecord['status'];
  /** Exited normally with code 0. */
  readonly success: boolean;
}

/**
 * error.type: the signal name for a kill (`SIGSEGV`), else the exit code as a string (`1`). Both are low
 * cardinality (≤ 64 signals, ≤ 255 codes) and are what a student or dashboard filters by; an `exit_` prefix
 * would add nothing since the attribute only appears on failed spans alongside process.exit.code.
 * Success leaves the status unset, as the conventions ask.
 */
export function exitOutcome(ev: ExitEvent): ExitOutcome {
  const attributes: Attributes = {};
  if (ev.coreDumped) attributes[A.PROCESS_CORE_DUMPED.name] = true;
  if (ev.signal !== 0) {
    const sig = signalName(ev.signal);
    attributes[A.PROCESS_SIGNAL.name] = sig;
    attributes[A.ERROR_TYPE.name] = sig;
    const description = describeSignal(sig);
    if (description) attributes[A.PROCESS_SIGNAL_DESCRIPTION.name] = description;
    return { attributes, status: { code: 'error', message: `killed by ${sig}` }, success: false };
  }
  attributes[A.PROCESS_EXIT_CODE.name] = ev.exitCode;
  if (ev.exitCode !== 0) {
    attributes[A.ERROR_TYPE.name] = String(ev.exitCode);
    return { attributes, status: { code: 'error', message: `exit code ${ev.exitCode}` }, success: false };
  }
  return { attributes, status: { code: 'unset' }, success: true };
}
