// Struggle metrics per student and assignment, computed from ProgSnap2 rows in Order (the same rows the
// export writes), one pass, keeping per student only the last compile and counters:
//
// - Error Quotient (Jadud, ICER 2006), as ProgSnap2Analysis's eq.py scores it: for each pair of consecutive
//   compiles, +8 if both failed, +3 more if their error-type sets share a type; each pair ÷ 11; EQ = mean over
//   the n−1 pairs. ≤ 1 compile: undefined. A failed compile without diagnostics has an empty type set (the
//   +3 cannot be earned: EQ is then a lower bound, and `compiles_with_diagnostics` says so).
// - Watwin (Watson, Li, Godwin 2013), pinned as ProgSnap2Analysis's watwin.py: pairs whose code state did not
//   change score 0; a pair whose first compile failed scores, if the second failed too, +4 same first message,
//   +4 a shared error type, +2 same first error line; and always a time penalty against the student's mean M
//   and population SD of such resolve times (over all the student's assignments): < M−SD +1, > M+SD +25,
//   else +15. Watwin = Σ ÷ 35 ÷ (n−1). Undefined without diagnostics when there were failures.
// - Repeated Error Density (Becker 2016): maximal runs of failed compiles sharing an error type with the run's
//   first; a run of k compiles gives r = k−1 and adds r²/(r+1). Undefined without diagnostics when there
//   were failures.
// - Time on task: the sum of gaps between consecutive events (saves, compiles, runs) no longer than the gap
//   threshold; a longer gap starts a new session.
import type { Row } from './rows.ts';

export interface StruggleOptions {
  /** Gaps up to this count as work; longer ones are breaks (default 5 minutes). */
  readonly gapMs: number;
}

export interface StruggleResult {
  readonly subject: string;
  readonly course: string;
  readonly section: string;
  readonly assignment: string;
  readonly events: number;
  readonly compiles: number;
  readonly failedCompiles: number;
  readonly compilesWithDiagnostics: number;
  readonly runs: number;
  readonly failedRuns: number;
  readonly eq?: number;
  readonly watwin?: number;
  readonly red?: number;
  readonly activeSeconds: number;
  readonly sessions: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

interface Compile {
  readonly id: string;
  readonly failed: boolean;
  readonly codeState: string;
  readonly timeMs: number;
  readonly types: Set<string>;
  firstMessage?: string;
  firstLine?: string;
}

interface Acc {
  readonly subject: string;
  readonly course: string;
  readonly section: string;
  readonly assignment: string;
  events: number;
  compiles: number;
  failedCompiles: number;
  withDiagnostics: number;
  runs: number;
  failedRuns: number;
  prev?: Compile;
  pending?: Compile;
  eqSum: number;
  eqPairs: number;
  /** Watwin pairs with a failing first compile and changed code: score without the time part, and the time. */
  watwin: { base: number; dt: number }[];
  red: number;
  runTypes?: Set<string>;
  runRepeats: number;
  firstMs: number;
  lastMs: number;
  activeMs: number;
  sessions: number;
}

const shares = (a: Set<string>, b: Set<string>) => {
  for (const x of a) if (b.has(x)) return true;
  return false;
};

export class StruggleMetrics {
  private readonly accs = new Map<string, Acc>();

  constructor(private readonly opts: StruggleOptions) {}

  add(row: Row): void {
    const c = row.cols;
    const key = [c.SubjectID, c.CourseID, c.CourseSectionID, c.AssignmentID].join('\0');
    let a = this.accs.get(key);
    if (!a) {
      const section = c.CourseSectionID && c.CourseID && c.CourseSectionID.startsWith(`${c.CourseID}-`) ? c.CourseSectionID.slice(c.CourseID.length + 1) : c.CourseSectionID ?? '';
      a = {
        subject: c.SubjectID ?? '', course: c.CourseID ?? '', section, assignment: c.AssignmentID ?? '', events: 0, compiles: 0, failedCompiles: 0,
        withDiagnostics: 0, runs: 0, failedRuns: 0, eqSum: 0, eqPairs: 0, watwin: [], red: 0, runRepeats: 0, firstMs: row.timeMs, lastMs: row.timeMs,
        activeMs: 0, sessions: 1,
      };
      this.accs.set(key, a);
    }
    if (c.EventType === 'Compile.Error') {
      const p = a.pending;
      if (!p || p.id !== c.ParentEventID || !c.CompileMessageType) return;
      if (p.types.size === 0) {
        a.withDiagnostics++;
        p.firstMessage = c.CompileMessageData;
        p.firstLine = c.SourceLocation?.split(':')[1];
      }
      p.types.add(c.CompileMessageType);
      return;
    }
    if (c.EventType === 'Compile.Warning') return;
    this.timeOnTask(a, row.timeMs);
    if (c.EventType === 'Compile') {
      if (a.pending) this.finish(a, a.pending);
      a.pending = { id: c.EventID ?? '', failed: c.CompileResult === 'Error', codeState: c.CodeStateID ?? '', timeMs: row.timeMs, types: new Set() };
      a.compiles++;
      if (c.CompileResult === 'Error') a.failedCompiles++;
    } else if (c.EventType === 'Run.Program') {
      a.runs++;
      if (c.ExecutionResult === 'Error') a.failedRuns++;
    }
  }

  private timeOnTask(a: Acc, t: number): void {
    a.events++;
    if (a.events === 1) return;
    const gap = t - a.lastMs;
    if (gap <= this.opts.gapMs) a.activeMs += Math.max(0, gap);
    else a.sessions++;
    a.lastMs = Math.max(a.lastMs, t);
  }

  /** A compile whose error rows are all in: pair it with the previous one. */
  private finish(a: Acc, cur: Compile): void {
    const prev = a.prev;
    if (prev) {
      a.eqPairs++;
      if (prev.failed && cur.failed) a.eqSum += (8 + (shares(prev.types, cur.types) ? 3 : 0)) / 11;
      if (prev.failed && prev.codeState !== cur.codeState) {
        let base = 0;
        if (cur.failed) {
          if (prev.firstMessage !== undefined && prev.firstMessage === cur.firstMessage) base += 4;
          if (shares(prev.types, cur.types)) base += 4;
          if (prev.firstLine && prev.firstLine === cur.firstLine) base += 2;
        }
        a.watwin.push({ base, dt: (cur.timeMs - prev.timeMs) / 1000 });
      }
    }
    // RED: a failed compile sharing a type with the current run's first one extends the run; anything else ends it.
    if (a.runTypes && cur.failed && shares(a.runTypes, cur.types)) a.runRepeats++;
    else {
      a.red += (a.runRepeats * a.runRepeats) / (a.runRepeats + 1);
      a.runTypes = cur.failed && cur.types.size > 0 ? cur.types : undefined;
      a.runRepeats = 0;
    }
    a.prev = cur;
  }

  results(): StruggleResult[] {
    for (const a of this.accs.values()) {
      if (a.pending) this.finish(a, a.pending);
      a.pending = undefined;
      a.red += (a.runRepeats * a.runRepeats) / (a.runRepeats + 1);
      a.runRepeats = 0;
      a.runTypes = undefined;
    }
    // Watwin's M and SD: per student, over every resolve time of theirs.
    const times = new Map<string, number[]>();
    for (const a of this.accs.values()) {
      const list = times.get(a.subject) ?? [];
      for (const p of a.watwin) list.push(p.dt);
      times.set(a.subject, list);
    }
    const stats = new Map<string, { m: number; sd: number }>();
    for (const [s, list] of times) {
      const m = list.length ? list.reduce((x, y) => x + y, 0) / list.length : 0;
      const sd = list.length ? Math.sqrt(list.reduce((x, y) => x + (y - m) ** 2, 0) / list.length) : 0;
      stats.set(s, { m, sd });
    }
    const out: StruggleResult[] = [];
    for (const a of this.accs.values()) {
      const defined = a.compiles > 1;
      const needsDiagnostics = a.failedCompiles > 0 && a.withDiagnostics === 0;
      const { m, sd } = stats.get(a.subject)!;
      let ww = 0;
      for (const p of a.watwin) ww += p.base + (p.dt < m - sd ? 1 : p.dt > m + sd ? 25 : 15);
      out.push({
        subject: a.subject, course: a.course, section: a.section, assignment: a.assignment, events: a.events,
        compiles: a.compiles, failedCompiles: a.failedCompiles, compilesWithDiagnostics: a.withDiagnostics, runs: a.runs, failedRuns: a.failedRuns,
        eq: defined ? a.eqSum / a.eqPairs : undefined,
        watwin: defined && !needsDiagnostics ? ww / 35 / (a.compiles - 1) : undefined,
        red: defined && !needsDiagnostics ? a.red : undefined,
        activeSeconds: a.activeMs / 1000, sessions: a.events > 0 ? a.sessions : 0, firstMs: a.firstMs, lastMs: a.lastMs,
      });
    }
    return out.sort((x, y) => (x.course + x.assignment + x.subject < y.course + y.assignment + y.subject ? -1 : 1));
  }
}
