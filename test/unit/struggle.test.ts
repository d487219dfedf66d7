// Struggle metrics on small compile streams whose values are worked out by hand below.
import { describe, expect, it } from 'vitest';
import type { Row } from '../../research/rows.ts';
import { StruggleMetrics, type StruggleResult } from '../../research/struggle.ts';
import { parseDuration, reportCsv } from '../../research/report.ts';
import { renderReportMetrics } from '../../research/prometheus.ts';

interface Err {
  type: string;
  msg?: string;
  line?: number;
}
type Step = { t: number; ok: true; state?: string } | { t: number; errs: Err[]; state?: string } | { t: number; save: true } | { t: number; run: 'Success' | 'Error' };

const who = (subject: string, assignment = 'hw1') => ({ SubjectID: subject, CourseID: 'os', CourseSectionID: 'os-1', AssignmentID: assignment });

/** Rows as the export writes them: a Compile, then its Compile.Error rows (ParentEventID = the compile). */
function rows(steps: Step[], subject = 's1', assignment = 'hw1'): Row[] {
  const out: Row[] = [];
  steps.forEach((s, i) => {
    const timeMs = s.t * 1000;
    const id = `${subject}-${assignment}-${i}`;
    if ('save' in s) return out.push({ timeMs, cols: { EventType: 'File.Edit', EventID: id, ...who(subject, assignment), CodeStateID: `cs${i}` } });
    if ('run' in s) return out.push({ timeMs, cols: { EventType: 'Run.Program', EventID: id, ...who(subject, assignment), ExecutionResult: s.run } });
    const failed = 'errs' in s;
    // Each compile sees changed code unless the step pins a state.
    out.push({ timeMs, cols: { EventType: 'Compile', EventID: id, ...who(subject, assignment), CompileResult: failed ? 'Error' : 'Success', CodeStateID: s.state ?? `cs${i}` } });
    if (failed) {
      s.errs.forEach((e, j) => out.push({
        timeMs,
        cols: {
          EventType: 'Compile.Error', EventID: `${id}-d${j}`, ...who(subject, assignment), ParentEventID: id, CompileMessageType: e.type,
          CompileMessageData: e.msg ?? e.type, SourceLocation: e.line ? `Text:${e.line}:1` : '',
        },
      }));
    }
    return undefined;
  });
  return out;
}

function metrics(all: Row[], gapMs = 5 * 60_000): StruggleResult[] {
  const m = new StruggleMetrics({ gapMs });
  for (const r of all) m.add(r);
  return m.results();
}

const one = (all: Row[]) => metrics(all)[0]!;
const A = [{ type: 'A' }], B = [{ type: 'B' }];
const ok = (t: number) => ({ t, ok: true as const });
const fail = (t: number, errs: Err[]) => ({ t, errs });

describe('Error Quotient (Jadud) and RED (Becker)', () => {
  it('ok, ok: EQ 0, RED 0', () => {
    // One pair, neither failed: 0/11. No errors: RED 0.
    const r = one(rows([ok(0), ok(10)]));
    expect(r.eq).toBe(0);
    expect(r.red).toBe(0);
  });

  it('A, B: EQ 8/11 = 0.7273 (both failed, no shared type), RED 0', () => {
    const r = one(rows([fail(0, A), fail(10, B)]));
    expect(r.eq).toBeCloseTo(8 / 11, 10);
    expect(r.red).toBe(0);
  });

  it('A, A, B: EQ (11/11 + 8/11)/2 = 0.8636, RED 1²/2 = 0.5', () => {
    const r = one(rows([fail(0, A), fail(10, A), fail(20, B)]));
    expect(r.eq).toBeCloseTo((1 + 8 / 11) / 2, 10);
    expect(r.eq!.toFixed(4)).toBe('0.8636');
    expect(r.red).toBe(0.5);
  });

  it('A, A, A: EQ 1, RED 2²/3 = 1.3333 (one run of three: r = 2)', () => {
    const r = one(rows([fail(0, A), fail(10, A), fail(20, A)]));
    expect(r.eq).toBe(1);
    expect(r.red).toBeCloseTo(4 / 3, 10);
  });

  it('A, A, ok, B, B: EQ (1 + 0 + 0 + 1)/4 = 0.5, RED 0.5 + 0.5 = 1', () => {
    const r = one(rows([fail(0, A), fail(10, A), ok(20), fail(30, B), fail(40, B)]));
    expect(r.eq).toBe(0.5);
    expect(r.red).toBe(1);
  });

  it('A, A, A, A, ok: EQ (1+1+1+0)/4 = 0.75, RED 3²/4 = 2.25', () => {
    const r = one(rows([fail(0, A), fail(10, A), fail(20, A), fail(30, A), ok(40)]));
    expect(r.eq).toBe(0.75);
    expect(r.red).toBe(2.25);
  });

  it('type sets: any shared type earns the +3, and a run continues while the first compile\'s types recur', () => {
    // EQ pairs: {A,B}→{B,C} share B: 11/11; {B,C}→{C} share C: 11/11 → EQ 1.
    // RED: the run starts at {A,B}; {B,C} shares B (r=1); {C} shares nothing with {A,B}, the run's first, so the
    // run ends: 1²/2 = 0.5; {C} starts a run of its own, r=0 → RED 0.5.
    const r = one(rows([fail(0, [{ type: 'A' }, { type: 'B' }]), fail(10, [{ type: 'B' }, { type: 'C' }]), fail(20, [{ type: 'C' }])]));
    expect(r.eq).toBe(1);
    expect(r.red).toBe(0.5);
  });

  it('a single compile has no EQ; pairs never cross assignments', () => {
    // hw1: A (1 compile) → undefined. hw2: A, A → 1. Were they paired across hw1→hw2 the hw2 EQ would differ.
    const res = metrics([...rows([fail(0, A)], 's1', 'hw1'), ...rows([fail(5, A), fail(10, A)], 's1', 'hw2')]);
    expect(res.find((r) => r.assignment === 'hw1')!.eq).toBeUndefined();
    expect(res.find((r) => r.assignment === 'hw2')!.eq).toBe(1);
  });

  it('without diagnostics: EQ counts failures only (a lower bound), Watwin and RED are undefined', () => {
    // fail, fail, ok with no Compile.Error rows: pairs 8/11 and 0 → EQ 4/11 = 0.3636.
    const r = one(rows([fail(0, []), fail(10, []), ok(20)]));
    expect(r.eq).toBeCloseTo(4 / 11, 10);
    expect(r.compilesWithDiagnostics).toBe(0);
    expect(r.watwin).toBeUndefined();
    expect(r.red).toBeUndefined();
  });
});

describe('Watwin (Watson, Li, Godwin)', () => {
  it('scores message, type, line and time against the student\'s mean and SD', () => {
    // c1 t=0 A "m1" line 3 ✗ → c2 t=10 A "m1" line 3 ✗ → c3 t=40 B "m2" line 7 ✗ → c4 t=100 ✓ (code changes each time)
    // Pairs with a failing first compile and their resolve times: (c1,c2) 10 s, (c2,c3) 30 s, (c3,c4) 60 s.
    //   M = (10 + 30 + 60)/3 = 33.333 s; SD (population) = sqrt((23.333² + 3.333² + 26.667²)/3) = sqrt(422.22) = 20.548 s
    //   M − SD = 12.785, M + SD = 53.882
    // (c1,c2): same message +4, same type +4, same line +2; 10 < 12.785 → +1          = 11
    // (c2,c3): different message, type and line: 0; 12.785 ≤ 30 ≤ 53.882 → +15         = 15
    // (c3,c4): second compile succeeded: time only; 60 > 53.882 → +25                  = 25
    // Watwin = (11 + 15 + 25) / 35 / (4 − 1) = 51/105 = 0.485714
    // EQ = (11/11 + 8/11 + 0)/3 = 0.575758; RED: A,A r=1 → 0.5, then B alone → 0.5
    const r = one(rows([
      fail(0, [{ type: 'A', msg: 'm1', line: 3 }]), fail(10, [{ type: 'A', msg: 'm1', line: 3 }]),
      fail(40, [{ type: 'B', msg: 'm2', line: 7 }]), ok(100),
    ]));
    expect(r.watwin).toBeCloseTo(51 / 105, 10);
    expect(r.eq).toBeCloseTo((1 + 8 / 11) / 3, 10);
    expect(r.red).toBe(0.5);
  });

  it('a pair whose code did not change scores 0 but still counts in n − 1', () => {
    // c1 ✗ A (state X) → c2 ✗ A (state X, unchanged: pruned, 0) → c3 ✓ (state Y)
    // Only (c2,c3) is scored: one resolve time, so M = 20, SD = 0; 20 is within [M−SD, M+SD] → +15.
    // Watwin = 15 / 35 / 2 = 0.214286
    const r = one(rows([{ t: 0, errs: A, state: 'X' }, { t: 10, errs: A, state: 'X' }, { t: 30, ok: true, state: 'Y' }]));
    expect(r.watwin).toBeCloseTo(15 / 70, 10);
  });
});

describe('time on task', () => {
  it('sums gaps up to the threshold; a longer gap starts a new session', () => {
    // Events at 0, 60, 120, 1000, 1100 s with a 5 min gap: 60 + 60 + (880 > 300: break) + 100 = 220 s, 2 sessions.
    const r = one(rows([{ t: 0, save: true }, ok(60), { t: 120, run: 'Success' }, { t: 1000, save: true }, { t: 1100, run: 'Error' }]));
    expect(r.activeSeconds).toBe(220);
    expect(r.sessions).toBe(2);
    expect(r.runs).toBe(2);
    expect(r.failedRuns).toBe(1);
    // With a 15 min gap the 880 s pause counts: 1100 s, 1 session.
    const wide = metrics(rows([{ t: 0, save: true }, ok(60), { t: 120, run: 'Success' }, { t: 1000, save: true }, { t: 1100, run: 'Error' }]), 15 * 60_000)[0]!;
    expect(wide.activeSeconds).toBe(1100);
    expect(wide.sessions).toBe(1);
  });

  it('parses --gap durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('120')).toBe(120_000);
    expect(parseDuration('five')).toBeUndefined();
  });
});

describe('report outputs', () => {
  const res = metrics([...rows([fail(0, A), fail(10, A)], 's1'), ...rows([ok(0), ok(10)], 's2')]);

  it('CSV has one row per student and assignment', () => {
    const lines = reportCsv(res).trim().split('\r\n');
    expect(lines[0]).toBe('subject,course,section,assignment,compiles,failed_compiles,compiles_with_diagnostics,runs,failed_runs,eq,watwin,red,active_seconds,sessions,first,last');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual(['s1,os,1,hw1', 's2,os,1,hw1']);
    expect(lines[1]!.split(',')[9]).toBe('1.0000');
  });

  it('Prometheus aggregates have course and assignment labels only, never a student', () => {
    const text = renderReportMetrics(res);
    expect(text).not.toMatch(/s1|s2|subject|student_id/);
    // Two students' EQ (1 and 0): count 2, sum 1; the le="0.1" bucket holds the 0.
    expect(text).toContain('jcode_watcher_report_error_quotient_ratio_count{course="os",assignment="hw1"} 2');
    expect(text).toContain('jcode_watcher_report_error_quotient_ratio_sum{course="os",assignment="hw1"} 1');
    expect(text).toContain('jcode_watcher_report_error_quotient_ratio_bucket{course="os",assignment="hw1",le="0.1"} 1');
    expect(text).toContain('jcode_watcher_report_students{course="os",assignment="hw1"} 2');
  });
});
