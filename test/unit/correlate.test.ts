import { describe, it, expect, beforeEach } from 'vitest';
import { Buffer } from 'node:buffer';
import type { ExecEvent, ExecFailedEvent, ExitEvent, ForkEvent } from '../../receiver/exec/events.ts';
import type { SpanRecord } from '../../core/records.ts';
import { TraceCorrelator } from '../../processors/correlate/traces.ts';
import type { DropReason, FileId, ProcessContext } from '../../processors/correlate/types.ts';

const WS = '/home/s/ws/hw1';
const T0 = 1_795_544_112_000_000_000n;

/** A small simulated machine: a clock, pids, a filesystem of inodes, and the events a run of commands makes. */
class World {
  readonly spans: SpanRecord[] = [];
  readonly drops: DropReason[] = [];
  readonly files = new Map<string, FileId>();
  readonly corr: TraceCorrelator;
  readonly context: ProcessContext = {
    resource: { 'k8s.pod.name': 'jcode-os-1-alice', 'container.id': 'c'.repeat(64) },
    attributes: { 'edu.course': 'os', 'edu.student.id': 'alice' },
    workspaceRoot: '/home/s/ws',
    inWorkspace: (p) => p.startsWith('/home/s/ws/'),
  };
  private time = T0;
  private nextPid = 1000;
  private nextIno = 5000n;
  private ids = 0;
  private readonly starts = new Map<number, bigint>();
  private readonly parents = new Map<number, number>();

  constructor(opts: { maxProcesses?: number; maxAgeNs?: bigint } = {}) {
    this.corr = new TraceCorrelator({
      emit: (s) => this.spans.push(s),
      onDrop: (r) => this.drops.push(r),
      stat: (p) => this.files.get(p),
      ids: {
        traceId: () => (++this.ids).toString(16).padStart(32, '0'),
        spanId: () => (++this.ids).toString(16).padStart(16, '0'),
      },
      now: () => this.time,
      ...opts,
    });
  }

  tick(ns = 1_000_000n): bigint {
    this.time += ns;
    return this.time;
  }

  /** gcc unlinks and recreates its output: a new inode every time. */
  writeFile(p: string): FileId {
    const id = { ino: this.nextIno++, dev: 65024 };
    this.files.set(p, id);
    return id;
  }

  shell(): number {
    const pid = this.nextPid++;
    this.starts.set(pid, this.tick());
    this.parents.set(pid, 1);
    return pid;
  }

  /** A process whose fork event was lost. */
  adopt(pid: number, parent: number): void {
    this.starts.set(pid, this.tick());
    this.parents.set(pid, parent);
  }

  fork(parent: number): number {
    const child = this.nextPid++;
    const t = this.tick();
    this.starts.set(child, t);
    this.parents.set(child, parent);
    const ev: ForkEvent = { v: 1, type: 'fork', tsBootNs: t, timeUnixNano: t, parentPid: parent, parentTgid: parent, childTgid: child, comm: 'x', childStartBootNs: t };
    this.corr.handle({ kind: 'fork', event: ev });
    return child;
  }

  private common(pid: number, filename: string, argv: string[], cwd: string) {
    const t = this.tick();
    return {
      v: 1 as const, tsBootNs: t, timeUnixNano: t, pid, tgid: pid, oldPid: pid, ppid: this.parents.get(pid) ?? 1, vpid: pid,
      uid: 1000, gid: 1000, euid: 1000, comm: filename.split('/').pop()!.slice(0, 15), filename, filenameRaw: Buffer.from(filename),
      argv, argvRaw: argv.map((a) => Buffer.from(a)), argc: argv.length, argsSize: 0, argvTruncated: false, cwd, cwdRaw: Buffer.from(cwd),
      cwdTruncated: false, cgroupId: 1n, cgroupPath: '/', memcgV1Id: null, memcgV1Path: null, pidns: 1, mntns: 1, utsns: 1,
      nodename: 'jcode-os-1-alice', startBootNs: this.starts.get(pid) ?? 0n, flags: 0,
    };
  }

  exec(pid: number, filename: string, argv: string[], o: { exe?: string; interp?: string; cwd?: string; file?: FileId } = {}): void {
    const file = o.file ?? this.files.get(filename.startsWith('/') ? filename : `${o.cwd ?? WS}/${filename.replace(/^\.\//, '')}`) ?? { ino: 100n, dev: 2049 };
    const ev: ExecEvent = {
      ...this.common(pid, filename, argv, o.cwd ?? WS), type: 'exec',
      interp: o.interp ?? filename, exeName: o.exe ?? filename.split('/').pop()!, ino: file.ino, dev: file.dev, devMajor: 0, devMinor: 0,
    };
    this.corr.handle({ kind: 'exec', event: ev, context: this.context });
  }

  execFailed(pid: number, filename: string, argv: string[], errnoName = 'ENOENT'): void {
    const ev: ExecFailedEvent = { ...this.common(pid, filename, argv, WS), type: 'exec_failed', errno: 2, errnoName };
    this.corr.handle({ kind: 'exec_failed', event: ev, context: this.context });
  }

  exit(pid: number, o: { code?: number; signal?: number; core?: boolean } = {}): void {
    const t = this.tick();
    const code = o.code ?? 0;
    const signal = o.signal ?? 0;
    const start = this.starts.get(pid) ?? 0n;
    const ev: ExitEvent = {
      v: 1, type: 'exit', tsBootNs: t, timeUnixNano: t, pid, tgid: pid, ppid: this.parents.get(pid) ?? 1, comm: 'x',
      exitRaw: (code << 8) | signal | (o.core ? 0x80 : 0), exitCode: code, signal, coreDumped: o.core ?? false,
      startBootNs: start, startUnixNano: start, durationNs: Number(t - start),
    };
    this.corr.handle({ kind: 'exit', event: ev });
  }

  /** fork + exec + exit of a toolchain program under `parent`. */
  tool(parent: number, filename: string, exe: string, code = 0, body?: (pid: number) => void): number {
    const pid = this.fork(parent);
    this.exec(pid, filename, [filename.split('/').pop()!, '-quiet'], { exe });
    body?.(pid);
    this.exit(pid, { code });
    return pid;
  }

  /** What `gcc <args>` does from `parent`: cc1, as, collect2 → ld, output written, exit. */
  gcc(parent: number, args: string[], o: { fail?: boolean; output?: string; cwd?: string } = {}): number {
    const pid = this.fork(parent);
    this.exec(pid, '/usr/bin/gcc', ['gcc', ...args], { exe: 'x86_64-linux-gnu-gcc-12', cwd: o.cwd });
    if (o.fail) {
      this.tool(pid, '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'cc1', 1);
      this.exit(pid, { code: 1 });
      return pid;
    }
    this.tool(pid, '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'cc1');
    this.tool(pid, '/usr/bin/as', 'x86_64-linux-gnu-as');
    this.tool(pid, '/usr/lib/gcc/x86_64-linux-gnu/12/collect2', 'collect2', 0, (c2) => {
      this.tool(c2, '/usr/bin/ld', 'x86_64-linux-gnu-ld.bfd');
      this.writeFile(o.output ?? `${WS}/a.out`);
    });
    this.exit(pid);
    return pid;
  }

  /** `./prog` from `parent`, ending as `exit` says. */
  run(parent: number, filename: string, exit: { code?: number; signal?: number; core?: boolean } = {}, file?: FileId): number {
    const pid = this.fork(parent);
    this.exec(pid, filename, [filename], file ? { file } : {});
    this.exit(pid, exit);
    return pid;
  }

  named(name: string): SpanRecord[] {
    return this.spans.filter((s) => s.name === name);
  }

  one(name: string): SpanRecord {
    const s = this.named(name);
    expect(s).toHaveLength(1);
    return s[0]!;
  }
}

let w: World;
beforeEach(() => {
  w = new World();
});

describe('TraceCorrelator: compile and run', () => {
  it('gcc -o hw1 main.c, then ./hw1: one trace, toolchain under gcc, the run under the compile root', () => {
    const sh = w.shell();
    w.gcc(sh, ['-Wall', '-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    w.run(sh, './hw1');

    const gcc = w.one('gcc');
    expect(gcc.parentSpanId).toBeUndefined();
    expect(gcc.status.code).toBe('unset');
    expect(gcc.attributes).toMatchObject({
      'jcode.exec.kind': 'compile',
      'process.executable.name': 'x86_64-linux-gnu-gcc-12',
      'process.executable.path': '/usr/bin/gcc',
      'process.command_args': ['gcc', '-Wall', '-o', 'hw1', 'main.c'],
      'process.working_directory': WS,
      'process.exit.code': 0,
      'jcode.compile.sources': ['main.c'],
      'jcode.compile.output': 'hw1',
      'edu.student.id': 'alice',
    });
    expect(typeof gcc.attributes['process.pid']).toBe('number');
    expect(gcc.resource).toEqual(w.context.resource);
    expect(gcc.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(gcc.spanId).toMatch(/^[0-9a-f]{16}$/);

    for (const name of ['cc1', 'as', 'collect2']) {
      const s = w.one(name);
      expect(s.parentSpanId).toBe(gcc.spanId);
      expect(s.traceId).toBe(gcc.traceId);
      expect(s.attributes['jcode.exec.kind']).toBe('toolchain');
    }
    const ld = w.one('ld');
    expect(ld.parentSpanId).toBe(w.one('collect2').spanId);
    expect(ld.attributes['process.executable.name']).toBe('x86_64-linux-gnu-ld.bfd');

    const run = w.one('run');
    expect(run.traceId).toBe(gcc.traceId);
    expect(run.parentSpanId).toBe(gcc.spanId);
    expect(run.status.code).toBe('unset');
    expect(run.attributes).toMatchObject({ 'jcode.exec.kind': 'run', 'jcode.run.compile_seen': true, 'process.exit.code': 0, 'process.executable.path': `${WS}/hw1` });
    expect(run.links).toBeUndefined();
    // The run starts after the compile span ended: allowed, and the ids were fixed at exec.
    expect(run.startUnixNano > gcc.endUnixNano).toBe(true);
    expect(new Set(w.spans.map((s) => s.traceId)).size).toBe(1);
    // Children end before their parents, and every span is emitted once.
    expect(w.spans.map((s) => s.name)).toEqual(['cc1', 'as', 'ld', 'collect2', 'gcc', 'run']);
    expect(w.corr.size).toBe(0); // exited processes are forgotten (the shell was never seen)
  });

  it('a run killed by SIGSEGV is an error with the signal name', () => {
    const sh = w.shell();
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    w.run(sh, './hw1', { signal: 11, core: true });
    const run = w.one('run');
    expect(run.status).toEqual({ code: 'error', message: 'killed by SIGSEGV' });
    expect(run.attributes).toMatchObject({ 'jcode.process.signal': 'SIGSEGV', 'error.type': 'SIGSEGV', 'jcode.process.core_dumped': true });
    expect(run.attributes['process.exit.code']).toBeUndefined();
    expect(run.parentSpanId).toBe(w.one('gcc').spanId);
  });

  it('a non-zero exit is an error with the code as error.type', () => {
    const sh = w.shell();
    w.gcc(sh, ['main.c']);
    w.run(sh, './a.out', { code: 3 });
    const run = w.one('run');
    expect(run.status.code).toBe('error');
    expect(run.attributes).toMatchObject({ 'process.exit.code': 3, 'error.type': '3' });
    expect(run.attributes['jcode.process.signal']).toBeUndefined();
    // No -o: a linking compile writes a.out.
    expect(w.one('gcc').attributes['jcode.compile.output']).toBe('a.out');
    expect(run.parentSpanId).toBe(w.one('gcc').spanId);
  });

  it('two runs of one binary: two run spans in the compile trace', () => {
    const sh = w.shell();
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    w.run(sh, './hw1');
    w.run(sh, './hw1', { code: 1 });
    const gcc = w.one('gcc');
    const runs = w.named('run');
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.traceId === gcc.traceId && r.parentSpanId === gcc.spanId)).toBe(true);
    expect(runs[0]!.spanId).not.toBe(runs[1]!.spanId);
  });

  it('a recompile to the same path starts a new trace for the next run', () => {
    const sh = w.shell();
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    w.run(sh, './hw1');
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    w.run(sh, './hw1');
    const [g1, g2] = w.named('gcc');
    const [r1, r2] = w.named('run');
    expect(g1!.traceId).not.toBe(g2!.traceId);
    expect(r1!.traceId).toBe(g1!.traceId);
    expect(r2!.traceId).toBe(g2!.traceId);
    expect(r2!.parentSpanId).toBe(g2!.spanId);
  });

  it('a moved binary (same inode) run by absolute path outside the workspace still joins', () => {
    const sh = w.shell();
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { output: `${WS}/hw1` });
    const id = w.files.get(`${WS}/hw1`)!;
    w.files.delete(`${WS}/hw1`);
    w.files.set('/tmp/renamed', id); // mv hw1 /tmp/renamed
    w.run(sh, '/tmp/renamed', {}, id);
    const run = w.one('run');
    expect(run.parentSpanId).toBe(w.one('gcc').spanId);
    expect(run.attributes['jcode.run.compile_seen']).toBe(true);
    expect(run.attributes['process.executable.path']).toBe('/tmp/renamed');
  });

  it('a failed compile is an error and its stale output does not join', () => {
    const sh = w.shell();
    w.writeFile(`${WS}/hw1`); // built before the agent started
    w.gcc(sh, ['-o', 'hw1', 'main.c'], { fail: true });
    w.run(sh, './hw1');
    const gcc = w.one('gcc');
    expect(gcc.status.code).toBe('error');
    expect(gcc.attributes).toMatchObject({ 'process.exit.code': 1, 'error.type': '1' });
    expect(w.one('cc1').status.code).toBe('error');
    const run = w.one('run');
    expect(run.traceId).not.toBe(gcc.traceId);
    expect(run.parentSpanId).toBeUndefined();
    expect(run.attributes['jcode.run.compile_seen']).toBe(false);
  });

  it('gcc --version claims no output even when an a.out exists', () => {
    const sh = w.shell();
    w.writeFile(`${WS}/a.out`);
    const pid = w.fork(sh);
    w.exec(pid, '/usr/bin/gcc', ['gcc', '--version'], { exe: 'x86_64-linux-gnu-gcc-12' });
    w.exit(pid);
    w.run(sh, './a.out');
    expect(w.one('run').attributes['jcode.run.compile_seen']).toBe(false);
    expect(w.one('gcc').attributes['jcode.compile.output']).toBeUndefined();
  });

  it('a workspace run with no compile seen is a trace of its own', () => {
    const sh = w.shell();
    w.writeFile(`${WS}/old`);
    w.run(sh, './old');
    const run = w.one('run');
    expect(run.parentSpanId).toBeUndefined();
    expect(run.attributes).toMatchObject({ 'jcode.run.compile_seen': false, 'jcode.exec.kind': 'run' });
  });

  it('exec_failed of ./a.out is a zero-length error span; a failed $PATH lookup is not', () => {
    const sh = w.shell();
    const pid = w.fork(sh);
    w.execFailed(pid, '/usr/local/sbin/gcc', ['gcc', 'main.c']);
    w.execFailed(pid, './a.out', ['./a.out']);
    w.exit(pid, { code: 127 });
    const s = w.one('run');
    expect(w.spans).toHaveLength(1);
    expect(s.startUnixNano).toBe(s.endUnixNano);
    expect(s.status.code).toBe('error');
    expect(s.attributes).toMatchObject({ 'error.type': 'ENOENT', 'jcode.exec.failed': true, 'jcode.exec.kind': 'run', 'process.executable.path': `${WS}/a.out` });
    expect(s.resource).toEqual(w.context.resource);
  });

  it('tolerates a lost fork: the exec ppid finds the parent', () => {
    const sh = w.shell();
    const py = w.fork(sh);
    w.exec(py, '/usr/bin/python3', ['python3', 'grade.py'], { exe: 'python3.11' });
    w.writeFile(`${WS}/old`);
    w.adopt(9999, py); // no fork event for 9999
    w.exec(9999, './old', ['./old']);
    w.exit(9999);
    w.exit(py);
    expect(w.one('run').parentSpanId).toBe(w.one('python3').spanId);
  });
});

describe('TraceCorrelator: builds', () => {
  it('make → sh → gcc → ld, then ./prog: one trace rooted at make', () => {
    const sh = w.shell();
    const make = w.fork(sh);
    w.exec(make, '/usr/bin/make', ['make'], { exe: 'make' });
    const recipe = w.fork(make);
    w.exec(recipe, '/bin/sh', ['/bin/sh', '-c', 'gcc -o prog main.c util.c'], { exe: 'dash' });
    w.gcc(recipe, ['-o', 'prog', 'main.c', 'util.c'], { output: `${WS}/prog` });
    w.exit(recipe);
    w.exit(make);
    w.run(sh, './prog');

    const mk = w.one('make');
    const gcc = w.one('gcc');
    expect(mk.parentSpanId).toBeUndefined();
    expect(mk.attributes['jcode.exec.kind']).toBe('build');
    expect(mk.attributes['jcode.build.outputs']).toEqual([`${WS}/prog`]);
    expect(gcc.parentSpanId).toBe(mk.spanId);
    expect(gcc.attributes['jcode.compile.sources']).toEqual(['main.c', 'util.c']);
    expect(w.one('ld').traceId).toBe(mk.traceId);
    const run = w.one('run');
    expect(run.parentSpanId).toBe(mk.spanId);
    expect(new Set(w.spans.map((s) => s.traceId))).toEqual(new Set([mk.traceId]));
    expect(w.spans.some((s) => s.name === 'sh' || s.name === 'dash')).toBe(false);
  });

  it('a python run under make is a child of make; alone it is its own trace', () => {
    const sh = w.shell();
    const make = w.fork(sh);
    w.exec(make, '/usr/bin/make', ['make', 'test'], { exe: 'make' });
    const py = w.fork(make);
    w.exec(py, '/usr/bin/python3', ['python3', 'test.py'], { exe: 'python3.11' });
    w.exit(py);
    w.exit(make);
    const py2 = w.fork(sh);
    w.exec(py2, '/usr/bin/python3', ['python3', 'other.py'], { exe: 'python3.11' });
    w.exit(py2);
    const [a, b] = w.named('python3');
    expect(a!.parentSpanId).toBe(w.one('make').spanId);
    expect(b!.parentSpanId).toBeUndefined();
    expect(b!.traceId).not.toBe(a!.traceId);
  });

  it('a run of a binary built by an earlier make joins that make, with a link to the current make', () => {
    const sh = w.shell();
    const make = w.fork(sh);
    w.exec(make, '/usr/bin/make', ['make'], { exe: 'make' });
    w.gcc(make, ['-o', 'prog', 'main.c'], { output: `${WS}/prog` });
    w.exit(make);
    const make2 = w.fork(sh);
    w.exec(make2, '/usr/bin/make', ['make', 'run'], { exe: 'make' });
    w.run(make2, './prog');
    w.exit(make2);
    const [m1, m2] = w.named('make');
    const run = w.one('run');
    expect(run.parentSpanId).toBe(m1!.spanId);
    expect(run.links).toEqual([{ traceId: m2!.traceId, spanId: m2!.spanId }]);
  });
});

describe('TraceCorrelator: interpreters', () => {
  it('a pyenv shim chain in one pid is one span named after the real interpreter', () => {
    const sh = w.shell();
    const pid = w.fork(sh);
    const shim = '/home/s/.pyenv/shims/python3';
    w.exec(pid, shim, ['/usr/bin/env', 'bash', shim, 's.py'], { exe: 'env', interp: '/usr/bin/env' });
    w.exec(pid, '/usr/bin/bash', ['bash', shim, 's.py'], { exe: 'bash' });
    const sub = w.fork(pid); // $(pyenv-version-name) and friends
    w.exec(sub, '/home/s/.pyenv/libexec/pyenv-version-name', ['/usr/bin/env', 'bash', '/home/s/.pyenv/libexec/pyenv-version-name'], { exe: 'env', interp: '/usr/bin/env' });
    w.exit(sub);
    w.exec(pid, '/home/s/.pyenv/libexec/pyenv', ['/usr/bin/env', 'bash', '/home/s/.pyenv/libexec/pyenv', 'exec', 'python3', 's.py'], { exe: 'env', interp: '/usr/bin/env' });
    w.exec(pid, '/usr/bin/bash', ['bash', '/home/s/.pyenv/libexec/pyenv', 'exec', 'python3', 's.py'], { exe: 'bash' });
    w.exec(pid, '/home/s/.pyenv/libexec/pyenv-exec', ['/usr/bin/env', 'bash', '/home/s/.pyenv/libexec/pyenv-exec', 'python3', 's.py'], { exe: 'env', interp: '/usr/bin/env' });
    w.exec(pid, '/usr/bin/bash', ['bash', '/home/s/.pyenv/libexec/pyenv-exec', 'python3', 's.py'], { exe: 'bash' });
    const real = '/home/s/.pyenv/versions/3.12.1/bin/python3';
    w.exec(pid, real, [real, 's.py'], { exe: 'python3.12' });
    w.exit(pid);

    expect(w.spans).toHaveLength(1);
    const s = w.one('python3');
    expect(s.parentSpanId).toBeUndefined();
    expect(s.attributes).toMatchObject({
      'jcode.exec.kind': 'interpret',
      'process.executable.name': 'python3.12',
      'process.executable.path': real,
      'process.command_args': [real, 's.py'],
      'process.exit.code': 0,
    });
    // The span covers the whole launch, from the shim's exec.
    expect(s.endUnixNano - s.startUnixNano > 8_000_000n).toBe(true);
  });

  it('a #!/usr/bin/env python3 script in the workspace is an interpreter span, not a run', () => {
    const sh = w.shell();
    const pid = w.fork(sh);
    w.exec(pid, './s.py', ['/usr/bin/env', 'python3', './s.py', 'a'], { exe: 'env', interp: '/usr/bin/env' });
    w.exec(pid, '/usr/bin/python3', ['python3', './s.py', 'a'], { exe: 'python3.11' });
    w.exit(pid, { code: 2 });
    expect(w.spans).toHaveLength(1);
    const s = w.one('python3');
    expect(s.status.code).toBe('error');
    expect(s.attributes['jcode.exec.kind']).toBe('interpret');
  });

  it('a student program exec from python ends the python span and hangs the run under it', () => {
    const sh = w.shell();
    const pid = w.fork(sh);
    w.exec(pid, '/usr/bin/python3', ['python3', 'runner.py'], { exe: 'python3.11' });
    w.writeFile(`${WS}/hw1`);
    w.exec(pid, './hw1', ['./hw1']); // os.execv
    w.exit(pid);
    const py = w.one('python3');
    const run = w.one('run');
    expect(py.attributes['jcode.process.exec_replaced']).toBe(true);
    expect(run.parentSpanId).toBe(py.spanId);
  });
});

describe('TraceCorrelator: bounds and lost exits', () => {
  it('flush ends spans older than the limit, flagged, and counts them', () => {
    w = new World({ maxAgeNs: 1_000_000_000n });
    const sh = w.shell();
    const pid = w.fork(sh);
    w.exec(pid, '/usr/bin/python3', ['python3'], { exe: 'python3.11' });
    const t = w.tick(5_000_000_000n);
    w.corr.flush(t);
    const s = w.one('python3');
    expect(s.attributes['jcode.process.exit_lost']).toBe(true);
    expect(s.status.code).toBe('unset');
    expect(s.endUnixNano).toBe(t);
    expect(w.drops).toEqual(['process_expired']);
    expect(w.corr.size).toBe(0);
    w.exit(pid); // a late exit is ignored
    expect(w.spans).toHaveLength(1);
  });

  it('shutdown emits open spans as ended now with exit_lost', () => {
    const sh = w.shell();
    const make = w.fork(sh);
    w.exec(make, '/usr/bin/make', ['make'], { exe: 'make' });
    const gcc = w.fork(make);
    w.exec(gcc, '/usr/bin/gcc', ['gcc', 'main.c'], { exe: 'x86_64-linux-gnu-gcc-12' });
    const t = w.tick();
    w.corr.shutdown(t);
    expect(w.spans.map((s) => s.name).sort()).toEqual(['gcc', 'make']);
    expect(w.spans.every((s) => s.attributes['jcode.process.exit_lost'] === true && s.endUnixNano === t)).toBe(true);
    expect(w.corr.size).toBe(0);
  });

  it('the process table is capped; an evicted open span is emitted, and the drop counted', () => {
    w = new World({ maxProcesses: 4 });
    const sh = w.shell();
    const py = w.fork(sh);
    w.exec(py, '/usr/bin/python3', ['python3'], { exe: 'python3.11' });
    for (let i = 0; i < 5; i++) w.fork(sh);
    expect(w.corr.size).toBe(4);
    expect(w.drops).toEqual(['process_table_full', 'process_table_full']);
    expect(w.one('python3').attributes['jcode.process.exit_lost']).toBe(true);
  });

  it('a reused pid does not inherit the old process span', () => {
    const sh = w.shell();
    const pid = w.fork(sh);
    w.exec(pid, '/usr/bin/make', ['make'], { exe: 'make' });
    // The make's exit was lost; the pid comes back as a new process from the shell.
    const ev: ForkEvent = { v: 1, type: 'fork', tsBootNs: 1n, timeUnixNano: w.tick(), parentPid: sh, parentTgid: sh, childTgid: pid, comm: 'bash', childStartBootNs: 42n };
    w.corr.handle({ kind: 'fork', event: ev });
    expect(w.one('make').attributes['jcode.process.exit_lost']).toBe(true);
  });
});
