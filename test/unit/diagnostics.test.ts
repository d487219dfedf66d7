// Diagnostics parsed from the real stderr of real gcc, g++, clang and python3 runs (the same bytes the kernel
// captures), ANSI colours included; and the explanations of crash signals.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSignal, looksLikePython, parseCompilerOutput, parsePythonOutput, stripAnsi, type Diagnostic } from '../../processors/diagnostics/index.ts';
import { SpanOutput } from '../../processors/diagnostics/output.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-diag-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a real tool in `dir` on a file with `source`; returns its stderr lines (colours stripped). */
function stderrOf(cmd: string[], file: string, source: string, opts: { colour?: boolean } = {}): string[] {
  writeFileSync(path.join(dir, file), source);
  // Python from the system, not a version-manager shim (its own noise is not what is under test here).
  const env = { ...process.env, LC_ALL: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' };
  const args = opts.colour ? [...cmd.slice(1), '-fdiagnostics-color=always', file] : [...cmd.slice(1), file];
  const r = spawnSync(cmd[0]!, args, { cwd: dir, encoding: 'utf8', env });
  expect(r.status, `${cmd.join(' ')} should fail`).not.toBe(0);
  return stripAnsi(r.stderr).split('\n');
}
const PY = ['/usr/bin/python3'];
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error' || d.severity === 'fatal');

describe('gcc / g++ / clang diagnostics (real compilers)', () => {
  it('gcc: an undeclared identifier, with its function, line and column; the note that follows is a note', () => {
    const ds = parseCompilerOutput(stderrOf(['gcc', '-c'], 'undecl.c', 'int main(void)\n{\n  return x;\n}\n'));
    const e = errors(ds)[0]!;
    expect(e).toMatchObject({ severity: 'error', tool: 'compiler', file: 'undecl.c', line: 3, column: 10, function: 'main' });
    expect(e.message).toMatch(/x.* undeclared/);
    expect(e.raw).toContain('return x;'); // the source excerpt and caret stay with it
    expect(ds.find((d) => d.severity === 'note')?.message).toMatch(/reported only once/);
  });

  it('gcc with colours (a terminal): the same diagnostics after stripping', () => {
    const ds = parseCompilerOutput(stderrOf(['gcc', '-c'], 'semi.c', 'int main(void)\n{\n  int a = 1\n  return a;\n}\n', { colour: true }));
    expect(errors(ds)).toHaveLength(1);
    // gcc reports a missing semicolon where the next token starts.
    expect(errors(ds)[0]).toMatchObject({ file: 'semi.c', line: 4, column: 3, function: 'main' });
    expect(errors(ds)[0]!.message).toMatch(/expected .,. or .;. before .return./);
    expect(errors(ds)[0]!.raw).not.toContain('\x1b');
  });

  it('gcc: warnings carry their -W flag (also -Werror=… as -W…)', () => {
    const ds = parseCompilerOutput(stderrOf(['gcc', '-Wall', '-Werror=implicit-function-declaration', '-c'], 'warn.c', 'int main(void)\n{\n  int unused = 3;\n  return g();\n}\n'));
    expect(ds.find((d) => d.flag === '-Wunused-variable')).toMatchObject({ severity: 'warning', line: 3, file: 'warn.c' });
    const implicit = ds.find((d) => d.flag === '-Wimplicit-function-declaration')!;
    expect(implicit).toMatchObject({ severity: 'error', line: 4 });
    expect(implicit.message).not.toContain('[-W');
  });

  it('g++: a type mismatch, in ‘int main()’, with the multi-line excerpt kept in raw', () => {
    const ds = parseCompilerOutput(stderrOf(['g++', '-c'], 'types.cpp', '#include <string>\nint main()\n{\n  std::string s = 5;\n  int n = "a";\n  return n;\n}\n'));
    const es = errors(ds);
    expect(es.map((e) => e.line)).toEqual([4, 5]);
    expect(es[0]!.message).toMatch(/conversion from .int. to non-scalar type/);
    expect(es[1]).toMatchObject({ flag: '-fpermissive', function: 'int main()' });
    expect(es[1]!.raw).toContain('const char*');
  });

  it('clang: undeclared identifier and missing semicolon; the summary line is not a diagnostic', () => {
    const ds = parseCompilerOutput(stderrOf(['clang', '-c'], 'cl.c', 'int main(void)\n{\n  int a = 1;\n  a = 2\n  return y;\n}\n'));
    const es = errors(ds);
    expect(es.map((e) => [e.line, e.column])).toEqual([[4, 8], [5, 10]]);
    expect(es[0]!.message).toBe("expected ';' after expression");
    expect(es[0]!.raw).toContain('a = 2'); // clang's excerpt and fix-it stay with it
    expect(es[1]!.message).toBe("use of undeclared identifier 'y'");
    expect(ds.some((d) => /generated/.test(d.message))).toBe(false);
  });

  it('a linker error: undefined reference, in function main, and the driver summaries (gcc and clang)', () => {
    for (const cc of ['gcc', 'clang']) {
      const ds = parseCompilerOutput(stderrOf([cc], `link-${cc}.c`, 'int foo(void);\nint main(void)\n{\n  return foo();\n}\n'));
      const undef = ds.find((d) => d.tool === 'linker')!;
      expect(undef).toMatchObject({ severity: 'error', errorType: 'undefined_reference', file: `link-${cc}.c`, function: 'main' });
      expect(undef.message).toBe("undefined reference to `foo'");
      expect(ds.find((d) => d.tool === 'driver')!.message).toMatch(cc === 'gcc' ? /ld returned 1 exit status/ : /linker command failed/);
    }
  });

  it('with -g the linker gives the line; a missing library is library_not_found; a missing file is fatal', () => {
    const ds = parseCompilerOutput(stderrOf(['gcc', '-g'], 'lineinfo.c', 'int foo(void);\nint main(void)\n{\n  return foo();\n}\n'));
    expect(ds.find((d) => d.tool === 'linker')).toMatchObject({ line: 4, errorType: 'undefined_reference' });
    expect(parseCompilerOutput(stderrOf(['gcc', '-lnosuchlib_jcw'], 'ok.c', 'int main(void) { return 0; }\n')).find((d) => d.tool === 'linker')).toMatchObject({ errorType: 'library_not_found' });
    const missing = spawnSync('gcc', ['nosuchfile.c'], { cwd: dir, encoding: 'utf8' });
    const fatal = parseCompilerOutput(missing.stderr.split('\n'));
    expect(fatal[0]).toMatchObject({ severity: 'fatal', tool: 'driver' });
    expect(fatal[0]!.message).toMatch(/nosuchfile\.c: No such file or directory/);
  });
});

describe('Python tracebacks (real python3)', () => {
  it('NameError: type, message, innermost frame file, line and function', () => {
    const lines = stderrOf(PY, 'name.py', 'def f():\n    return y\n\nf()\n');
    expect(looksLikePython(lines)).toBe(true);
    const [d] = parsePythonOutput(lines);
    expect(d).toMatchObject({ severity: 'error', tool: 'python', errorType: 'NameError', message: "name 'y' is not defined", file: path.join(dir, 'name.py'), line: 2, function: 'f' });
    expect(d!.raw).toMatch(/^Traceback/);
  });

  it('ZeroDivisionError at module level', () => {
    const [d] = parsePythonOutput(stderrOf(PY, 'zero.py', 'a = 1\nb = 0\nprint(a / b)\n'));
    expect(d).toMatchObject({ errorType: 'ZeroDivisionError', message: 'division by zero', line: 3, function: '<module>' });
  });

  it('IndentationError and SyntaxError (no Traceback header, caret format)', () => {
    const [ind] = parsePythonOutput(stderrOf(PY, 'indent.py', 'if True:\nprint(1)\n'));
    expect(ind).toMatchObject({ errorType: 'IndentationError', line: 2, file: path.join(dir, 'indent.py') });
    expect(ind!.message).toMatch(/expected an indented block/);
    const [syn] = parsePythonOutput(stderrOf(PY, 'syntax.py', 'x = 1\nprint(x\n'));
    expect(syn).toMatchObject({ errorType: 'SyntaxError', line: 2 });
    expect(syn!.raw).toContain('^');
  });

  it('RecursionError: one diagnostic with the repeated frames kept in raw', () => {
    const ds = parsePythonOutput(stderrOf(PY, 'rec.py', 'def f(n):\n    return f(n + 1)\n\nf(0)\n'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ errorType: 'RecursionError', line: 2, function: 'f' });
    expect(ds[0]!.message).toMatch(/maximum recursion depth exceeded/);
    expect(ds[0]!.raw).toMatch(/Previous line repeated \d+ more times/);
  });

  it('chained exceptions give one diagnostic per traceback; warnings are warnings', () => {
    const src = 'import warnings\nwarnings.warn("careful")\ntry:\n    {}["k"]\nexcept KeyError:\n    raise ValueError("bad key")\n';
    const ds = parsePythonOutput(stderrOf(PY, 'chain.py', src));
    expect(ds.map((d) => [d.severity, d.errorType])).toEqual([['warning', 'UserWarning'], ['error', 'KeyError'], ['error', 'ValueError']]);
    expect(ds[2]).toMatchObject({ message: 'bad key', line: 6 });
  });
});

describe('span output', () => {
  it('joins writes split mid-line and mid-character, keeps each diagnostic at its write time, counts severities', () => {
    const out = new SpanOutput(1024);
    const bytes = Buffer.from('m.c: In function ‘main’:\nm.c:3:10: error: ‘x’ undeclared\n    3 |   return x;\nm.c:2:7: warning: unused variable ‘y’ [-Wunused-variable]\n');
    const cut = bytes.indexOf(Buffer.from('‘x')) + 1; // inside the 3-byte quote character
    out.add(2, { tgid: 7, timeUnixNano: 100n, data: bytes.subarray(0, cut) });
    out.add(2, { tgid: 7, timeUnixNano: 200n, data: bytes.subarray(cut) });
    out.add(2, { tgid: 8, timeUnixNano: 300n, data: Buffer.from('collect2: error: ld returned 1 exit status\n') });
    const s = out.summarize();
    expect(s.events.map((e) => [e.timeUnixNano, e.attributes['jcode.diagnostic.severity'], e.attributes['jcode.diagnostic.line']])).toEqual([[100n, 'error', 3], [200n, 'warning', 2], [300n, 'error', undefined]]);
    expect(s.events[0]!.attributes['jcode.diagnostic.message']).toBe('‘x’ undeclared');
    expect(s.attributes).toMatchObject({ 'jcode.diagnostic.error_count': 2, 'jcode.diagnostic.warning_count': 1, 'jcode.diagnostic.note_count': 0 });
    expect(s.attributes['jcode.process.stderr']).toContain('collect2: error');
    expect(s.attributes).not.toHaveProperty('jcode.process.stderr_truncated');
  });

  it('is bounded per span and says so; bytes cut in the kernel are reported; stdout only when given', () => {
    const out = new SpanOutput(10);
    out.add(2, { tgid: 1, timeUnixNano: 1n, data: Buffer.from('0123456789abcdef') });
    out.dropped('stderr', 1000);
    const s = out.summarize();
    expect(s.attributes).toMatchObject({ 'jcode.process.stderr': '0123456789', 'jcode.process.stderr_truncated': true, 'jcode.process.stderr_dropped_bytes': 1000 });
    expect(s.attributes).not.toHaveProperty('jcode.process.stdout');
  });
});

describe('signals', () => {
  it('explains the crashes students meet', () => {
    expect(describeSignal('SIGSEGV')).toMatch(/invalid memory access/);
    expect(describeSignal('SIGFPE')).toMatch(/division by zero/);
    expect(describeSignal('SIGABRT')).toMatch(/assertion/);
    expect(describeSignal('SIGKILL')).toMatch(/time or memory limit/);
    expect(describeSignal('SIGBUS')).toBeDefined();
    expect(describeSignal('SIGWINCH')).toBeUndefined();
  });
});
