// Compiler and interpreter diagnostics end to end: the real agent (CLI subprocess) with the real eBPF program
// captures what real gcc, clang and python3 write to stderr, and the exported spans carry `jcode.diagnostic`
// events with the line; a crash carries its explanation; a 100 MiB stderr flood is capped without stalling.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBpf } from '../helpers/bpf.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { attrs, waitFor } from '../helpers/otlp.ts';

interface SpanEventRow {
  name: string;
  time: bigint;
  attributes: Record<string, unknown>;
}
interface Span {
  traceId: string;
  spanId: string;
  name: string;
  start: bigint;
  end: bigint;
  attributes: Record<string, unknown>;
  events: SpanEventRow[];
}

function readSpans(file: string): Span[] {
  if (!existsSync(file)) return [];
  const out: Span[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const req = JSON.parse(line) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    for (const ss of req.resourceSpans.flatMap((rs) => rs.scopeSpans)) {
      for (const s of ss.spans) {
        const events = ((s.events as Record<string, unknown>[] | undefined) ?? []).map((e) => ({ name: e.name as string, time: BigInt(e.timeUnixNano as string), attributes: attrs(e.attributes as never[]) }));
        out.push({
          traceId: s.traceId as string, spanId: s.spanId as string, name: s.name as string, start: BigInt(s.startTimeUnixNano as string),
          end: BigInt(s.endTimeUnixNano as string), attributes: attrs(s.attributes as never[]), events,
        });
      }
    }
  }
  return out;
}

const run = requireBpf();
const MiB = 1024 * 1024;

describe.runIf(run)('diagnostics on compile and run spans (real kernel, real compilers)', () => {
  let agent: CliProc;
  let dir: string;
  const spans = () => readSpans(path.join(dir, 'out/traces.jsonl'));
  const student = (id: string) => {
    const d = path.join(dir, 'ws', `os-1-${id}`, 'hw1');
    mkdirSync(d, { recursive: true });
    return d;
  };
  const sh = (cwd: string, script: string) => spawnSync('/bin/bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const span = (pred: (s: Span) => boolean, what: string, ms = 20_000) => waitFor(() => spans().find(pred), what, ms);
  const inDir = (d: string) => (s: Span) => s.attributes['process.working_directory'] === d;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-diag-e2e-'));
    mkdirSync(path.join(dir, 'ws'));
    writeFileSync(path.join(dir, 'c.yaml'), 'output:\n  console: false\nexec:\n  drain_ms: 50\n  records: false\n');
    agent = startCli(['run', '--config', path.join(dir, 'c.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out'), '--http-port', '0']);
    await agent.ready();
    expect(await agent.metric('jcode_watcher_receiver_up{receiver="exec"}')).toBe(1);
  });
  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a gcc compile error: events on the exported gcc span with line and column, counts, the stripped text', async () => {
    const d = student('gccerr');
    writeFileSync(path.join(d, 'main.c'), '#include <stdio.h>\nint main(void)\n{\n  int unused;\n  printf("%d\\n", x);\n  return 0\n}\n');
    // As in a code-server terminal: colours on, stderr not even looked at by the student's shell.
    expect(sh(d, 'gcc -Wall -fdiagnostics-color=always -o main main.c 2>/dev/null').status).toBe(1);
    const gcc = await span((s) => inDir(d)(s) && s.name === 'gcc', 'gcc span');
    expect(gcc.attributes).toMatchObject({ 'jcode.diagnostic.error_count': 2, 'jcode.diagnostic.warning_count': 1, 'error.type': '1' });
    const diag = gcc.events.filter((e) => e.name === 'jcode.diagnostic').map((e) => e.attributes);
    expect(diag.find((a) => String(a['jcode.diagnostic.message']).includes('undeclared'))).toMatchObject({
      'jcode.diagnostic.severity': 'error', 'jcode.diagnostic.file': 'main.c', 'jcode.diagnostic.line': 5, 'jcode.diagnostic.column': 18,
      'jcode.diagnostic.function': 'main', 'jcode.diagnostic.tool': 'compiler',
    });
    expect(diag.find((a) => /expected .;. before .}. token/.test(String(a['jcode.diagnostic.message'])))).toMatchObject({ 'jcode.diagnostic.line': 6 });
    expect(diag.find((a) => a['jcode.diagnostic.severity'] === 'warning')).toMatchObject({ 'jcode.diagnostic.flag': '-Wunused-variable', 'jcode.diagnostic.line': 4 });
    // Written by cc1, a child: reported on the compile span the student ran, not on cc1's.
    const cc1 = spans().find((s) => s.traceId === gcc.traceId && s.name === 'cc1');
    expect(cc1?.events ?? []).toHaveLength(0);
    expect(String(gcc.attributes['jcode.process.stderr'])).toContain("main.c:5:18: error: ‘x’ undeclared");
    expect(String(gcc.attributes['jcode.process.stderr'])).not.toContain('\x1b');
    for (const e of gcc.events) expect(e.time >= gcc.start && e.time <= gcc.end).toBe(true);
  });

  it('a linker error (undefined reference) from ld, and clang on the same mistake', async () => {
    const d = student('linkerr');
    writeFileSync(path.join(d, 'main.c'), 'int helper(int);\nint main(void)\n{\n  return helper(1);\n}\n');
    expect(sh(d, 'gcc main.c 2>/dev/null; clang -o m2 main.c 2>/dev/null').status).not.toBe(0);
    for (const name of ['gcc', 'clang']) {
      // The driver the student ran, not clang's own `clang -cc1` child.
      const s = await span((x) => inDir(d)(x) && x.name === name && !(x.attributes['process.command_args'] as string[]).includes('-cc1'), `${name} span`);
      const undef = s.events.map((e) => e.attributes).find((a) => a['jcode.diagnostic.tool'] === 'linker');
      expect(undef, `${name}: ${String(s.attributes['jcode.process.stderr'])}`).toMatchObject({ 'jcode.diagnostic.error_type': 'undefined_reference', 'jcode.diagnostic.function': 'main', 'jcode.diagnostic.file': 'main.c' });
      expect(undef!['jcode.diagnostic.message']).toBe("undefined reference to `helper'");
    }
  });

  it('python3: NameError and IndentationError tracebacks on the interpreter span', async () => {
    const d = student('pyerr');
    writeFileSync(path.join(d, 'name.py'), 'def total(xs):\n    return sum(xs) + bonus\n\nprint(total([1, 2]))\n');
    writeFileSync(path.join(d, 'indent.py'), 'for i in range(3):\nprint(i)\n');
    sh(d, 'python3 name.py 2>/dev/null; python3 indent.py 2>/dev/null');
    const srcIs = (f: string) => (s: Span) => inDir(d)(s) && s.name === 'python3' && (s.attributes['jcode.compile.sources'] as string[] | undefined)?.[0] === f;
    const name = await span(srcIs('name.py'), 'python3 name.py');
    expect(name.events.map((e) => e.attributes).find((a) => a['jcode.diagnostic.error_type'] === 'NameError')).toMatchObject({
      'jcode.diagnostic.message': "name 'bonus' is not defined", 'jcode.diagnostic.line': 2, 'jcode.diagnostic.function': 'total', 'jcode.diagnostic.file': path.join(d, 'name.py'),
    });
    const ind = await span(srcIs('indent.py'), 'python3 indent.py');
    expect(ind.events.map((e) => e.attributes).find((a) => a['jcode.diagnostic.error_type'] === 'IndentationError')).toMatchObject({ 'jcode.diagnostic.line': 2 });
    expect(ind.attributes['jcode.diagnostic.error_count']).toBe(1);
  });

  it('a crash is explained on its run span; a clean run has no stderr attributes', async () => {
    const d = student('crash');
    writeFileSync(path.join(d, 'div.c'), '#include <stdlib.h>\nint main(int argc, char **argv)\n{\n  return 10 / (argc - 1);\n}\n');
    expect(sh(d, 'gcc -o div div.c && ./div; ./div ok').status).toBe(10);
    const fpe = await span((s) => inDir(d)(s) && s.name === 'run' && s.attributes['jcode.process.signal'] === 'SIGFPE', 'SIGFPE run');
    expect(fpe.attributes['jcode.process.signal.description']).toMatch(/division by zero/);
    const gcc = await span((s) => inDir(d)(s) && s.name === 'gcc', 'clean gcc');
    expect(gcc.attributes).not.toHaveProperty('jcode.process.stderr');
    expect(gcc.events).toHaveLength(0);
  });

  it('100 MiB written to stderr is capped in the kernel: counted, nothing stalls, later errors still arrive', async () => {
    const d = student('flood');
    // A student program that prints 100 MiB of errors (1 KiB lines, one write each), run by the interpreter.
    writeFileSync(path.join(d, 'flood.py'), 'import sys\nline = "E" * 1023 + "\\n"\nfor _ in range(100 * 1024):\n    sys.stderr.write(line)\n');
    const t0 = process.hrtime.bigint();
    expect(sh(d, '/usr/bin/python3 flood.py 2>/dev/null').status).toBe(0);
    const floodMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const flood = await span((s) => inDir(d)(s) && s.name === 'python3' && (s.attributes['jcode.compile.sources'] as string[] | undefined)?.[0] === 'flood.py', 'flood span');
    expect(flood.attributes['jcode.process.stderr_truncated']).toBe(true);
    expect(Number(flood.attributes['jcode.process.stderr_dropped_bytes'])).toBe(100 * MiB - 16 * 1024);
    expect(String(flood.attributes['jcode.process.stderr']).length).toBe(16 * 1024);
    expect(await agent.metric('jcode_watcher_process_output_bytes_total{stream="stderr",outcome="dropped"}')).toBeGreaterThanOrEqual(100 * MiB - 16 * 1024);
    expect(await agent.metric('jcode_watcher_bpf_events_lost_total{type="output"}')).toBe(0);
    // The agent kept up: a compile error right after the flood is on its span.
    writeFileSync(path.join(d, 'after.c'), 'int main(void) { return y; }\n');
    sh(d, 'gcc after.c 2>/dev/null');
    const after = await span((s) => inDir(d)(s) && s.name === 'gcc', 'compile after the flood', 10_000);
    expect(after.events.some((e) => e.attributes['jcode.diagnostic.line'] === 1)).toBe(true);
    console.log(`100 MiB stderr flood under the agent: ${floodMs.toFixed(0)} ms`);
  });
});
