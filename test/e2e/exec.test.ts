// Exec capture end to end: the real eBPF program loaded in the kernel, real programs exec'd under it, the
// agent's exported OTLP records read back.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBpf } from '../helpers/bpf.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { readLogs, waitFor, type LogRow } from '../helpers/otlp.ts';

const run = requireBpf();
const BPF_SELFTEST = new URL('../../bpf/test/run.sh', import.meta.url).pathname;

describe.runIf(run)('exec capture (eBPF, real kernel)', () => {
  // The agent runs as its own process: it never reports itself or its descendants, and the test's programs
  // must not be among them.
  let agent: CliProc;
  let dir: string;
  let hw: string;
  const logs = () => readLogs(path.join(dir, 'out/logs.jsonl'));
  const t = {
    logs,
    waitForLog: (pred: (r: LogRow) => boolean, what: string) => waitFor(() => logs().find(pred), what, 20_000),
  };
  const metric = (s: string) => agent.metric(s);
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-exec-'));
    hw = path.join(dir, 'ws/os-1-202012180/hw1');
    mkdirSync(hw, { recursive: true });
    writeFileSync(path.join(dir, 'c.yaml'), 'output:\n  console: false\nexec:\n  drain_ms: 50\n');
    agent = startCli(['run', '--config', path.join(dir, 'c.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out'), '--http-port', '0']);
    await agent.ready();
    expect(await metric('jcode_watcher_receiver_up{receiver="exec"}'), agent.stderr.join('')).toBe(1);
  });
  afterAll(async () => {
    agent?.child.kill('SIGTERM');
    await agent?.exit;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sh = (script: string, cwd = hw) => spawnSync('/bin/sh', ['-c', script], { cwd, encoding: 'utf8' });
  const proc = (pred: (r: LogRow) => boolean, what: string) => t.waitForLog((r) => r.eventName.startsWith('jcode.process.') && pred(r), what);
  const byPid = (name: string, pid: number) => (r: LogRow) => r.eventName === name && r.attributes['process.pid'] === pid;

  it('reports a compile and a crashing run with argv, exit code and signal, attributed to the student', async () => {
    writeFileSync(path.join(hw, 'main.c'), 'int main(void) { int *p = 0; return *p; }\n');
    const r = sh('gcc -o hw1 main.c && echo $$');
    expect(r.status).toBe(0);
    const gcc = await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['process.executable.name'] === 'gcc', 'gcc exec');
    expect(gcc.attributes).toMatchObject({
      'process.command_args': ['gcc', '-o', 'hw1', 'main.c'], 'process.working_directory': hw, 'process.args_count': 4,
      'edu.course': 'os', 'edu.section': '1', 'edu.student.id': '202012180', 'edu.assignment': 'hw1', 'jcode.attribution': 'cwd',
    });
    const gccExit = await proc(byPid('jcode.process.exit', gcc.attributes['process.pid'] as number), 'gcc exit');
    expect(gccExit.attributes['process.exit.code']).toBe(0);
    await proc((r) => r.eventName === 'jcode.process.exec' && String(r.attributes['process.executable.path']).endsWith('/cc1'), 'cc1 under gcc');

    sh('./hw1');
    const runExec = await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['process.executable.path'] === './hw1', 'run exec');
    const runExit = await proc(byPid('jcode.process.exit', runExec.attributes['process.pid'] as number), 'run exit');
    expect(runExit.attributes['jcode.process.signal']).toBe('SIGSEGV');
    expect(runExit.attributes).not.toHaveProperty('process.exit.code');
    expect(runExec.attributes['jcode.process.executable.inode']).toBe(String(execFileSync('stat', ['-c', '%i', path.join(hw, 'hw1')], { encoding: 'utf8' }).trim()));
  });

  it('splits exit status into code and signal: exit 3, kill -9', async () => {
    const a = sh('exec sh -c "exit 3"');
    expect(a.status).toBe(3);
    await proc((r) => r.eventName === 'jcode.process.exit' && r.attributes['process.exit.code'] === 3, 'exit 3');
    sh('sleep 30 & p=$!; sleep 0.2; kill -9 $p; wait $p');
    const killed = await proc((r) => r.eventName === 'jcode.process.exit' && r.attributes['process.executable.name'] === 'sleep' && r.attributes['jcode.process.signal'] === 'SIGKILL', 'kill -9');
    expect(killed.attributes['jcode.process.duration']).toBeGreaterThan(0.1);
  });

  it('reports a failed exec of a missing program once, not the PATH search of a successful one', async () => {
    sh('./a.out; true');
    const f = await proc((r) => r.eventName === 'jcode.process.exec_failed' && r.attributes['process.executable.path'] === './a.out', 'failed exec');
    expect(f.attributes['jcode.process.errno']).toBe('ENOENT');
    sh('cc --version >/dev/null');
    await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['process.executable.name'] === 'cc', 'cc');
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.logs().filter((r) => r.eventName === 'jcode.process.exec_failed').map((r) => r.attributes['process.executable.path'])).toEqual(['./a.out']);
  });

  it('captures long argv explicitly truncated: 1,000 arguments and 100 KiB', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `a${i}`);
    spawnSync('/bin/true', many, { cwd: hw });
    const r1 = await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['process.args_count'] === 1001, '1,000 arguments');
    expect((r1.attributes['process.command_args'] as string[]).slice(1)).toEqual(many);
    spawnSync('/bin/true', ['x'.repeat(100 * 1024)], { cwd: hw });
    const r2 = await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['jcode.process.args_truncated'] === true, '100 KiB argv');
    expect(r2.attributes['jcode.process.args_size']).toBe(100 * 1024 + 1 + '/bin/true'.length + 1);
  });

  it('attributes a process in a pod-like UTS namespace by its jcode-… host name', async () => {
    const r = spawnSync('unshare', ['-u', 'sh', '-c', 'hostname jcode-ds-2-s777-5f7d9 && /bin/echo from-pod'], { cwd: '/', encoding: 'utf8' });
    expect(r.stdout).toContain('from-pod');
    const e = await proc((r) => r.eventName === 'jcode.process.exec' && r.attributes['jcode.process.hostname'] === 'jcode-ds-2-s777-5f7d9' && r.attributes['process.executable.name'] === 'echo', 'pod exec');
    expect(e.attributes).toMatchObject({ 'edu.course': 'ds', 'edu.section': '2', 'edu.student.id': 's777', 'jcode.attribution': 'hostname' });
  });

  it('does not report processes outside any student context', async () => {
    const marker = `outside-${Date.now()}`;
    spawnSync('/bin/echo', [marker], { cwd: '/tmp' });
    sh(`/bin/echo inside-${marker}`);
    await proc((r) => (r.attributes['process.command_args'] as string[] | undefined)?.[1] === `inside-${marker}`, 'the inside echo');
    expect(t.logs().some((r) => (r.attributes['process.command_args'] as string[] | undefined)?.[1] === marker)).toBe(false);
    expect(await metric('jcode_watcher_process_events_total{type="exec",outcome="filtered"}')).toBeGreaterThan(0);
  });

  it('survives a 5-second fork+exec storm: every exec delivered or counted as lost', async () => {
    const accounted = async () => (await metric('jcode_watcher_bpf_events_total{type="exec"}')) + (await metric('jcode_watcher_bpf_events_lost_total{type="exec"}'));
    const before = await accounted();
    const storm = () => new Promise<number>((resolve) => {
      const c = spawn('/bin/bash', ['-c', 'n=0; end=$((SECONDS+5)); while [ $SECONDS -lt $end ]; do /bin/true; n=$((n+1)); done; echo $n'], { cwd: hw });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => resolve(Number(out.trim())));
    });
    const counts = await Promise.all([storm(), storm()]);
    const execs = counts[0]! + counts[1]!;
    expect(execs).toBeGreaterThan(1000);
    // The loader prints cumulative stats every second.
    await waitFor(async () => (await accounted()) - before >= execs || undefined, 'stats to account for every exec', 20_000);
    expect((await agent.get('/healthz')).status).toBe(200);
    const lost = await metric('jcode_watcher_bpf_events_lost_total{type="exec"}');
    const seen = await waitFor(() => {
      const n = logs().filter((r) => r.eventName === 'jcode.process.exec' && r.attributes['process.executable.path'] === '/bin/true' && r.attributes['process.working_directory'] === hw).length;
      return n + lost >= execs ? n : undefined;
    }, 'every exec reported or counted lost', 30_000);
    expect(seen).toBeGreaterThan(0);
    // Bounded: the agent's resident memory after the storm.
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${await agentPid()}/status`, 'utf8'))![1]) * 1024;
    expect(rss).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  /** The Node process that runs the agent (bin/jcode-watcher.mjs spawns it). */
  const agentPid = () => Number(execFileSync('pgrep', ['-P', String(agent.child.pid), '-f', 'cli/main.ts'], { encoding: 'utf8' }).trim().split('\n')[0]);

  it('restarts a loader that dies, and counts it', async () => {
    const loader = Number(execFileSync('pgrep', ['-P', String(await agentPid()), '-f', 'jcw-exec'], { encoding: 'utf8' }).trim());
    process.kill(loader, 'SIGKILL');
    await waitFor(async () => (await metric('jcode_watcher_bpf_loader_restarts_total')) === 1 && (await metric('jcode_watcher_receiver_up{receiver="exec"}')) === 1 || undefined, 'restart', 20_000);
    sh('/bin/echo after-restart');
    await proc((r) => (r.attributes['process.command_args'] as string[] | undefined)?.[1] === 'after-restart', 'an exec after the restart');
  });
});

describe.runIf(run)('the eBPF program itself (bpf/test/run.sh)', () => {
  it('passes its real-kernel checks: threads, namespaces, argv limits, exit status, loss accounting', () => {
    const r = spawnSync('bash', [BPF_SELFTEST], { encoding: 'utf8', timeout: 180_000 });
    const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout);
    expect(summary, r.stdout.slice(-2000) + r.stderr.slice(-2000)).not.toBeNull();
    expect(Number(summary![2]), r.stdout.slice(-3000)).toBe(0);
    expect(r.status).toBe(0);
  }, 200_000);
});
