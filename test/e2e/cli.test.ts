// The `jcode-watcher` command as users run it: a separate process, its HTTP endpoint, signals, exit codes.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { readLogs, waitFor } from '../helpers/otlp.ts';

async function get(port: number, p: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: r.status, text: await r.text() };
}

let dir = '';
let proc: CliProc | undefined;
afterEach(() => {
  proc?.child.kill('SIGKILL');
  proc = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-cli-'));
  return dir;
}

describe('jcode-watcher run', () => {
  it('serves /healthz, /readyz and /metrics, and on SIGTERM flushes a pending save and exits 0', async () => {
    const d = tmp();
    mkdirSync(path.join(d, 'ws/os-1-42/hw1'), { recursive: true });
    writeFileSync(path.join(d, 'c.yaml'), 'files:\n  debounce_ms: 5000\n  max_wait_ms: 10000\n');
    proc = startCli(['run', '--config', path.join(d, 'c.yaml'), '--workspaces', path.join(d, 'ws'), '--output', path.join(d, 'out'), '--http-port', '0'], {
      env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,k8s.cluster.name=lab', OTEL_SERVICE_NAME: 'jcw-test' },
    });
    const port = await proc.port();
    expect((await get(port, '/healthz')).status).toBe(200);
    await waitFor(async () => (await get(port, '/readyz')).status === 200, 'ready');
    await waitFor(async () => (await get(port, '/readyz')).status === 200 || undefined, 'readyz');
    const metrics = (await get(port, '/metrics')).text;
    expect(metrics).toMatch(/^# HELP jcode_watcher_/m);
    expect(metrics).toContain('jcode_watcher_receiver_up{receiver="files"} 1');
    for (const line of metrics.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^jcode_watcher_[a-z_]+(\{[^}]*\})? \S+$/);

    // With a 5 s debounce the save is still pending when SIGTERM arrives: the agent must flush it.
    writeFileSync(path.join(d, 'ws/os-1-42/hw1/main.c'), 'int main(void) { return 0; }\n');
    await waitFor(async () => /jcode_watcher_pending_files [1-9]/.test((await get(port, '/metrics')).text) || undefined, 'the save to be pending');
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exit;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const logs = readLogs(path.join(d, 'out/logs.jsonl'));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ eventName: 'jcode.file.save', body: 'int main(void) { return 0; }\n' });
    expect(logs[0]!.resource).toMatchObject({ 'service.name': 'jcw-test', 'deployment.environment.name': 'test', 'k8s.cluster.name': 'lab' });
    expect(proc.stdout.join('')).toMatch(/save\s+os-1\/42 hw1 "hw1\/main.c" \+1\/-0/);
  });

  it('stops with exit code 2 and a message naming the key for a wrong config', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'bad.yaml'), 'files:\n  debounce_ms: soon\n');
    proc = startCli(['run', '--config', path.join(d, 'bad.yaml'), '--workspaces', d]);
    expect((await proc.exit).code).toBe(2);
    expect(proc.stderr.join('')).toContain('files.debounce_ms: expected an integer from 0 to 60000, got "soon"');
    proc = startCli(['run', '--bogus']);
    expect((await proc.exit).code).toBe(2);
    expect(proc.stderr.join('')).toMatch(/Unknown option '--bogus'/);
  });

  it('keeps working without privileges: unreadable files and directories are counted, not fatal', async () => {
    const d = tmp();
    chmodSync(d, 0o755);
    mkdirSync(path.join(d, 'ws/os-1-5/hw1'), { recursive: true });
    mkdirSync(path.join(d, 'ws/os-1-5/locked'));
    writeFileSync(path.join(d, 'ws/os-1-5/hw1/secret.c'), 'no\n', { mode: 0o600 });
    writeFileSync(path.join(d, 'ws/os-1-5/locked/x.c'), 'no\n');
    chmodSync(path.join(d, 'ws/os-1-5/locked'), 0o700);
    writeFileSync(path.join(d, 'ws/os-1-5/hw1/open.c'), 'yes\n', { mode: 0o644 });
    mkdirSync(path.join(d, 'out'), { mode: 0o777 });
    chmodSync(path.join(d, 'out'), 0o777);
    proc = startCli(['run', '--workspaces', path.join(d, 'ws'), '--output', path.join(d, 'out'), '--http-port', '0'], { uid: 65534, gid: 65534, cwd: d });
    const port = await proc.port();
    await waitFor(async () => (await get(port, '/readyz')).status === 200 || undefined, 'ready');
    const logs = await waitFor(() => readLogs(path.join(d, 'out/logs.jsonl')).filter((l) => l.attributes['file.path'] === 'hw1/open.c').length > 0 || undefined, 'the readable file');
    expect(logs).toBe(true);
    const metrics = (await get(port, '/metrics')).text;
    expect(Number(/jcode_watcher_file_skipped_total\{reason="permission_denied"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    // Without CAP_BPF the exec receiver says why, and file capture goes on.
    expect(proc.stderr.join('')).toMatch(/exec capture cannot run on this node: .*missing capability CAP_BPF.*continuing with file capture only/);
    expect(metrics).toContain('jcode_watcher_receiver_up{receiver="exec"} 0');
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
    expect(readLogs(path.join(d, 'out/logs.jsonl')).map((l) => l.attributes['file.path'])).toEqual(['hw1/open.c']);
  });
});
