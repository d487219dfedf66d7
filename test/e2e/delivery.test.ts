// Nothing lost: a Collector outage is bridged by the disk spool, and a SIGKILLed agent reports at its next
// start what it had not safely exported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpSink, type OtlpSink } from '../fakes/otlp-grpc-sink.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { readLogs, waitFor } from '../helpers/otlp.ts';
import { freePort } from '../helpers/ports.ts';


let dir = '';
const procs: CliProc[] = [];
let sink: OtlpSink | undefined;
afterEach(async () => {
  for (const p of procs.splice(0)) p.child.kill('SIGKILL');
  await sink?.stop();
  sink = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(): { ws: string; args: string[] } {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-deliv-'));
  const ws = path.join(dir, 'ws');
  mkdirSync(path.join(ws, 'os-1-9/hw1'), { recursive: true });
  writeFileSync(path.join(dir, 'c.yaml'), 'output:\n  console: false\nfiles:\n  debounce_ms: 100\nexec:\n  enabled: false\n');
  return { ws, args: ['run', '--config', path.join(dir, 'c.yaml'), '--workspaces', ws, '--output', path.join(dir, 'out'), '--http-port', '0'] };
}

describe('delivery', () => {
  it('spools while the Collector is down and delivers every save exactly once when it is back', async () => {
    const { ws, args } = setup();
    const port = await freePort();
    const agent = startCli(args, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
    procs.push(agent);
    await agent.ready();
    const N = 200;
    for (let i = 0; i < N; i++) writeFileSync(path.join(ws, `os-1-9/hw1/f${i}.c`), `// marker-${i}-end\n`);
    await waitFor(async () => (await agent.metric('jcode_watcher_export_spooled_total{signal="logs"}')) >= N || undefined, 'saves spooled', 30_000);
    await waitFor(async () => (await agent.metric('jcode_watcher_export_retries_total{signal="logs"}')) >= 1 || undefined, 'a failed send, retried');
    expect(await agent.metric('jcode_watcher_export_sent_total{signal="logs"}')).toBe(0);
    expect(await agent.metric('jcode_watcher_export_spool_bytes{signal="logs"}')).toBeGreaterThan(0);

    sink = await startOtlpSink(port);
    await waitFor(async () => (await agent.metric('jcode_watcher_export_spool_bytes{signal="logs"}')) === 0 || undefined, 'the spool to drain', 60_000);
    const all = Buffer.concat(sink.requests.logs).toString('latin1');
    for (let i = 0; i < N; i++) expect(all.split(`marker-${i}-end`).length - 1, `save ${i}`).toBe(1);
    expect(await agent.metric('jcode_watcher_export_sent_total{signal="logs"}')).toBeGreaterThanOrEqual(N);
    expect(await agent.metric('jcode_watcher_export_dropped_total{signal="logs",reason="spool_full"}')).toBe(0);
  }, 120_000);

  it('keeps spooled batches across a restart and replays them', async () => {
    const { ws, args } = setup();
    const port = await freePort();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` };
    const first = startCli(args, { env });
    procs.push(first);
    await first.ready();
    writeFileSync(path.join(ws, 'os-1-9/hw1/kept.c'), '// kept-across-restart\n');
    await waitFor(async () => (await first.metric('jcode_watcher_export_spooled_total{signal="logs"}')) >= 1 || undefined, 'spooled');
    first.child.kill('SIGTERM');
    await first.exit;
    sink = await startOtlpSink(port);
    const second = startCli(args, { env });
    procs.push(second);
    await second.ready();
    await waitFor(() => Buffer.concat(sink!.requests.logs).toString('latin1').includes('kept-across-restart') || undefined, 'the replay', 30_000);
  }, 90_000);

  it('after a SIGKILL mid-stream and a restart, no saved state is missing', async () => {
    const { ws, args } = setup();
    const first = startCli(args);
    procs.push(first);
    await first.ready();
    const N = 300;
    const finals = new Map<string, string>();
    for (let i = 0; i < N; i++) {
      const f = `f${i % 60}.c`;
      const content = `// ${f} version ${i}\n`;
      writeFileSync(path.join(ws, 'os-1-9/hw1', f), content);
      finals.set(`hw1/${f}`, content);
      if (i === 200) first.child.kill('SIGKILL');
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 30));
    }
    await first.exit;
    const second = startCli(args);
    procs.push(second);
    await second.ready();
    const logs = path.join(dir, 'out/logs.jsonl');
    await waitFor(() => {
      const bodies = new Map<string, Set<string>>();
      for (const r of readLogs(logs)) {
        const k = String(r.attributes['file.path']);
        if (!bodies.has(k)) bodies.set(k, new Set());
        bodies.get(k)!.add(r.body);
      }
      return [...finals].every(([k, v]) => bodies.get(k)?.has(v)) || undefined;
    }, 'every final state in the output', 30_000);
  }, 90_000);
});
