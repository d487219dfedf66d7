// Python tracebacks and warnings from stripped stderr lines:
//   Traceback (most recent call last):
//     File "/ws/a.py", line 3, in <module>        frames; the innermost (last) is where it failed
//       print(y)
//   NameError: name 'y' is not defined          the exception line ends the traceback
// A SyntaxError or IndentationError of the main script has no "Traceback" header: `File "…", line N`, the
// source line, a caret, then the exception line. Chained exceptions give one diagnostic per traceback.
import { clip, type Diagnostic } from './types.ts';

const HEADER = /^Traceback \(most recent call last\):$/;
const FRAME = /^ {2}File "(?<file>.+)", line (?<line>\d+)(?:, in (?<fn>.+))?$/;
const EXCEPTION = /^(?<type>[A-Za-z_][\w.]*)(?::\s?(?<msg>.*))?$/;
const WARNING = /^(?<file>[^\s:][^:]*?):(?<line>\d+): (?<type>\w*Warning): (?<msg>.*)$/;

export function parsePythonOutput(lines: readonly string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let tb: { first: number; lines: string[]; frame?: { file: string; line: number; fn?: string } } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if (HEADER.test(line)) {
      tb = { first: i, lines: [line] };
      continue;
    }
    if ((m = FRAME.exec(line))) {
      tb ??= { first: i, lines: [] }; // a SyntaxError of the script itself: no header
      tb.lines.push(line);
      const g = m.groups!;
      tb.frame = { file: g.file!, line: Number(g.line), ...(g.fn ? { fn: g.fn } : {}) };
      continue;
    }
    if (tb && /^\s/.test(line)) {
      tb.lines.push(line); // source line, carets, "[Previous line repeated 996 more times]"
      continue;
    }
    if (tb && line !== '') {
      // The first unindented line after the frames is the exception.
      tb.lines.push(line);
      const e = EXCEPTION.exec(line);
      const f = tb.frame;
      out.push({
        severity: 'error', tool: 'python', message: e ? (e.groups!.msg ?? '') : line, ...(e ? { errorType: e.groups!.type! } : {}),
        ...(f ? { file: f.file, line: f.line, ...(f.fn ? { function: f.fn } : {}) } : {}),
        raw: clip(tb.lines.join('\n')), firstLine: tb.first,
      });
      tb = undefined;
      continue;
    }
    if ((m = WARNING.exec(line))) {
      const g = m.groups!;
      const raw = [line];
      if (lines[i + 1]?.startsWith('  ')) raw.push(lines[++i]!); // the source line the warnings module prints
      out.push({ severity: 'warning', tool: 'python', message: g.msg!, errorType: g.type!, file: g.file!, line: Number(g.line), raw: clip(raw.join('\n')), firstLine: i - raw.length + 1 });
    }
  }
  return out;
}

/** Whether a process's stderr looks like Python's (then the compiler formats are not tried on it). */
export function looksLikePython(lines: readonly string[]): boolean {
  return lines.some((l) => HEADER.test(l) || FRAME.test(l));
}
