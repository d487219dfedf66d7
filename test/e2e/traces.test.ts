// Compile → run traces from real gcc, g++, make and python3 runs under the real eBPF program, read back from
// the embedded default's traces.jsonl.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBpf } from '../helpers/bpf.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { attrs, readLogs, waitFor } from '../helpers/otlp.ts';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  start: bigint;
  end: bigint;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  status: number;
}

function readSpans(file: string): Span[] {
  if (!existsSync(file)) return [];
  const out: Span[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const req = JSON.parse(line) as { resourceSpans: { resource: { attributes: never[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    for (const rs of req.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          out.push({
            traceId: s.traceId as string, spanId: s.spanId as string, parentSpanId: (s.parentSpanId as string) || undefined, name: s.name as string,
            start: BigInt(s.startTimeUnixNano as string), end: BigInt(s.endTimeUnixNano as string),
            attributes: attrs(s.attributes as never[]), resource: attrs(rs.resource.attributes), status: ((s.status as { code?: number }) ?? {}).code ?? 0,
          });
        }
      }
    }
  }
  return out;
}

const ERROR = 2;
const run = requireBpf();

describe.runIf(run)('compile → run traces (real kernel, real compilers)', () => {
  let agent: CliProc;
  let dir: string;
  const ws = () => path.join(dir, 'ws');
  const spans = () => readSpans(path.join(dir, 'out/traces.jsonl'));
  const student = (id: string, hw = 'hw1') => {
    const d = path.join(ws(), `os-1-${id}`, hw);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const sh = (cwd: string, script: string) => spawnSync('/bin/bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, PATH: process.env.PATH } });
  const span = (pred: (s: Span) => boolean, what: string) => waitFor(() => spans().find(pred), what, 20_000);
  const inDir = (d: string) => (s: Span) => s.attributes['process.working_directory'] === d;
  let before: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-traces-'));
    // Built before the agent starts: its runs have no compile to join.
    before = student('old');
    writeFileSync(path.join(before, 'old.c'), 'int main(void) { return 0; }\n');
    execFileSync('gcc', ['-o', 'old', 'old.c'], { cwd: before });
    writeFileSync(path.join(dir, 'c.yaml'), 'output:\n  console: false\nfiles:\n  debounce_ms: 100\nexec:\n  drain_ms: 50\n  records: false\n');
    agent = startCli(['run', '--config', path.join(dir, 'c.yaml'), '--workspaces', ws(), '--output', path.join(dir, 'out'), '--http-port', '0']);
    await agent.ready();
    expect(await agent.metric('jcode_watcher_receiver_up{receiver="exec"}')).toBe(1);
  });
  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a multi-file compile is one root with toolchain children, its sources and their saved hashes', async () => {
    const d = student('multi');
    writeFileSync(path.join(d, 'main.c'), 'int add(int, int);\nint main(void) { return add(1, 2) - 3; }\n');
    writeFileSync(path.join(d, 'add.c'), 'int add(int a, int b) { return a + b; }\n');
    // The saves are recorded first, so the compile can name the exact versions.
    await waitFor(() => readLogs(path.join(dir, 'out/logs.jsonl')).filter((r) => String(r.attributes['file.path']).startsWith('hw1/') && r.attributes['edu.student.id'] === 'multi').length === 2 || undefined, 'saves');
    const saves = readLogs(path.join(dir, 'out/logs.jsonl'));
    const hash = (f: string) => saves.find((r) => r.attributes['edu.student.id'] === 'multi' && r.attributes['file.path'] === `hw1/${f}`)!.attributes['jcode.file.sha256'];
    expect(sh(d, 'gcc -Wall -o prog main.c add.c && ./prog').status).toBe(0);
    const root = await span((s) => inDir(d)(s) && s.name === 'gcc', 'gcc span');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({
      'jcode.exec.kind': 'compile', 'process.exit.code': 0, 'jcode.compile.sources': ['main.c', 'add.c'], 'jcode.compile.output': 'prog',
      'jcode.source.sha256': [hash('main.c'), hash('add.c')], 'edu.student.id': 'multi', 'edu.assignment': 'hw1',
    });
    expect(root.status).not.toBe(ERROR);
    const runSpan = await span((s) => s.traceId === root.traceId && s.name === 'run', 'run child');
    expect(runSpan.parentSpanId).toBe(root.spanId);
    expect(runSpan.attributes).toMatchObject({ 'jcode.exec.kind': 'run', 'jcode.run.compile_seen': true, 'process.exit.code': 0 });
    const children = spans().filter((s) => s.traceId === root.traceId && s.attributes['jcode.exec.kind'] === 'toolchain').map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['cc1', 'as', 'collect2', 'ld']));
    for (const c of spans().filter((s) => s.traceId === root.traceId)) expect(c.start).toBeGreaterThanOrEqual(root.start);
  });

  it('a compile error is an ERROR root; the fixed compile and its run are a new trace', async () => {
    const d = student('fix');
    writeFileSync(path.join(d, 'main.c'), 'int main(void) { return x; }\n');
    expect(sh(d, 'gcc -o fixed main.c 2>/dev/null').status).toBe(1);
    const bad = await span((s) => inDir(d)(s) && s.name === 'gcc', 'failed compile');
    expect(bad.status).toBe(ERROR);
    expect(bad.attributes).toMatchObject({ 'process.exit.code': 1, 'error.type': '1' });
    writeFileSync(path.join(d, 'main.c'), 'int main(void) { return 0; }\n');
    expect(sh(d, 'gcc -o fixed main.c && ./fixed').status).toBe(0);
    const good = await span((s) => inDir(d)(s) && s.name === 'gcc' && s.traceId !== bad.traceId, 'fixed compile');
    expect(good.status).not.toBe(ERROR);
    const r = await span((s) => s.traceId === good.traceId && s.name === 'run', 'run of the fixed binary');
    expect(r.parentSpanId).toBe(good.spanId);
    expect(spans().some((s) => s.traceId === bad.traceId && s.name === 'run')).toBe(false);
  });

  it('g++ then ./a.out < input.txt; two runs are two run spans in one trace; a segfault and a SIGKILL are errors', async () => {
    const d = student('cpp');
    writeFileSync(path.join(d, 'main.cpp'), '#include <iostream>\n#include <csignal>\nint main(){int n; std::cin>>n; if(n==11){int*p=nullptr; return *p;} if(n==9){for(;;){}} std::cout<<n*2<<"\\n"; return 0;}\n');
    writeFileSync(path.join(d, 'input.txt'), '21\n');
    expect(sh(d, 'g++ main.cpp && ./a.out < input.txt').stdout).toBe('42\n');
    const root = await span((s) => inDir(d)(s) && s.name === 'g++', 'g++ span');
    expect(root.attributes['jcode.compile.output']).toBe('a.out');
    sh(d, 'echo 11 | ./a.out');
    const p = spawn('/bin/bash', ['-c', 'echo 9 | exec ./a.out'], { cwd: d });
    await new Promise((r) => setTimeout(r, 300));
    sh(d, 'pkill -9 -f "^./a.out$" || pkill -9 a.out');
    await new Promise((r) => p.on('close', r));
    const runs = await waitFor(() => {
      const rs = spans().filter((s) => s.traceId === root.traceId && s.name === 'run');
      return rs.length >= 3 ? rs : undefined;
    }, 'three runs in the g++ trace');
    for (const r of runs) expect(r.parentSpanId).toBe(root.spanId);
    const segv = runs.find((r) => r.attributes['jcode.process.signal'] === 'SIGSEGV')!;
    expect(segv.status).toBe(ERROR);
    expect(segv.attributes['error.type']).toBe('SIGSEGV');
    expect(segv.attributes).not.toHaveProperty('process.exit.code');
    const killed = runs.find((r) => r.attributes['jcode.process.signal'] === 'SIGKILL')!;
    expect(killed.status).toBe(ERROR);
    expect(killed.end - killed.start).toBeGreaterThan(100_000_000n);
    expect(runs.filter((r) => r.attributes['process.exit.code'] === 0)).toHaveLength(1);
  });

  it('make → gcc → ld, then ./prog: one trace rooted at make', async () => {
    const d = student('make');
    writeFileSync(path.join(d, 'prog.c'), 'int main(void) { return 0; }\n');
    writeFileSync(path.join(d, 'Makefile'), 'prog: prog.c\n\tgcc -o prog prog.c\n');
    expect(sh(d, 'make -s && ./prog').status).toBe(0);
    const root = await span((s) => inDir(d)(s) && s.name === 'make', 'make span');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes['jcode.exec.kind']).toBe('build');
    const gcc = await span((s) => s.traceId === root.traceId && s.name === 'gcc', 'gcc under make');
    expect(gcc.parentSpanId).toBe(root.spanId);
    const r = await span((s) => s.traceId === root.traceId && s.name === 'run', 'run of the make output');
    expect(r.parentSpanId).toBe(root.spanId);
  });

  it('python: a shim chain is one python3 span; an exception is an error; a shebang script and -c are kept', async () => {
    const d = student('py');
    writeFileSync(path.join(d, 'boom.py'), 'print(1 / 0)\n');
    writeFileSync(path.join(d, 'run.py'), '#!/usr/bin/env python3\nprint("ok")\n', { mode: 0o755 });
    expect(sh(d, 'python3 boom.py 2>/dev/null').status).toBe(1);
    const boom = await span((s) => inDir(d)(s) && s.name === 'python3' && (s.attributes['jcode.compile.sources'] as string[] | undefined)?.[0] === 'boom.py', 'python3 boom.py');
    expect(boom.parentSpanId).toBeUndefined();
    expect(boom.status).toBe(ERROR);
    expect(boom.attributes).toMatchObject({ 'jcode.exec.kind': 'interpret', 'process.exit.code': 1 });
    expect(spans().filter((s) => s.traceId === boom.traceId)).toHaveLength(1);
    expect(sh(d, './run.py').stdout).toBe('ok\n');
    await span((s) => inDir(d)(s) && s.name === 'python3' && (s.attributes['process.command_args'] as string[]).some((a) => a.endsWith('run.py')), 'shebang script');
    sh(d, 'python3 -c "print(2)"');
    await span((s) => inDir(d)(s) && s.attributes['jcode.python.mode'] === 'command', 'python3 -c');
  });

  it('a binary built before the agent started runs in a trace of its own, marked; a failed exec is an error span', async () => {
    sh(before, './old; ./missing-binary 2>/dev/null; true');
    const r = await span((s) => inDir(before)(s) && s.name === 'run' && !s.attributes['jcode.exec.failed'], 'run of the old binary');
    expect(r.parentSpanId).toBeUndefined();
    expect(r.attributes['jcode.run.compile_seen']).toBe(false);
    const f = await span((s) => inDir(before)(s) && s.attributes['jcode.exec.failed'] === true, 'failed exec');
    expect(f.status).toBe(ERROR);
    expect(f.attributes['error.type']).toBe('ENOENT');
  });

  it('two students compiling at the same moment are never cross-linked', async () => {
    const a = student('twoA');
    const b = student('twoB');
    for (const d of [a, b]) writeFileSync(path.join(d, 'm.c'), 'int main(void) { return 0; }\n');
    await Promise.all([a, b].map((d) => new Promise((r) => spawn('/bin/bash', ['-c', 'gcc -o m m.c && ./m'], { cwd: d }).on('close', r))));
    for (const [d, id] of [[a, 'twoA'], [b, 'twoB']] as const) {
      const root = await span((s) => inDir(d)(s) && s.name === 'gcc', `gcc of ${id}`);
      await span((s) => s.traceId === root.traceId && s.name === 'run', `run of ${id}`);
      for (const s of spans().filter((s) => s.traceId === root.traceId)) expect(s.attributes['edu.student.id']).toBe(id);
    }
  });

  it('in a pod (own UTS and mount namespaces), the run joins its compile through the pod\'s view of the files', async () => {
    // /home here is a tmpfs only the "pod" sees: the agent must reach the binary through /proc/<pid>/root of the
    // compile's parent, the student's shell (alive, as a terminal's shell is).
    const r = spawnSync('unshare', ['-m', '-u', '--propagation', 'private', 'sh', '-c',
      'hostname jcode-os-1-777-7f9c && mount -t tmpfs tmpfs /home && mkdir -p /home/coder/hw4 && cd /home/coder/hw4 && printf "int main(void){return 3;}\\n" > m.c && gcc -o m m.c && ./m; echo rc=$?; sleep 1'], { encoding: 'utf8' });
    expect(r.stdout).toContain('rc=3');
    const gcc = await span((s) => s.name === 'gcc' && s.attributes['process.working_directory'] === '/home/coder/hw4', 'gcc in the pod');
    expect(gcc.attributes).toMatchObject({ 'edu.student.id': '777', 'jcode.attribution': 'hostname' });
    const runSpan = await span((s) => s.traceId === gcc.traceId && s.name === 'run', 'the run joined to the pod compile');
    expect(runSpan.parentSpanId).toBe(gcc.spanId);
    expect(runSpan.attributes).toMatchObject({ 'process.exit.code': 3, 'error.type': '3', 'edu.course': 'os', 'edu.student.id': '777' });
  });

  it('a compiler still running at shutdown gets a span ending at shutdown, marked', async () => {
    const d = student('slow');
    // cc1 waits for its source on a pipe that stays open.
    const hold = spawn('/bin/bash', ['-c', 'sleep 30 | gcc -x c -o never -'], { cwd: d });
    await new Promise((r) => setTimeout(r, 700));
    agent.child.kill('SIGTERM');
    expect((await agent.exit).code).toBe(0);
    hold.kill('SIGKILL');
    sh(d, 'pkill -f "gcc -x c -o never" || true');
    const s = readSpans(path.join(dir, 'out/traces.jsonl')).find((s) => inDir(d)(s) && s.name === 'gcc');
    expect(s?.attributes['jcode.process.exit_lost']).toBe(true);
  });
});
