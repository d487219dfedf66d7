// Pseudonymous students end to end. The agent runs as users run it (CLI process) with privacy.pseudonymize and
// the key in a file (as a mounted Kubernetes Secret); a student saves, compiles and runs (real eBPF) with secrets
// on the command line. The real student ID must appear in no exported output: the JSON-lines files, the OTLP
// disk spool (filled while the Collector is away), what an OTLP receiver gets, the console summary; the
// pseudonym (computed here with python3's hmac) must. Then the shipped Collector config with the real Collector:
// the Analytics API route gets the real ID (privacy.send_real_id), Jaeger gets only allow-listed attributes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpSink, type OtlpSink } from '../fakes/otlp-grpc-sink.ts';
import { requireBpf } from '../helpers/bpf.ts';
import { startCli, type CliProc } from '../helpers/cli.ts';
import { readLogs, waitFor } from '../helpers/otlp.ts';
import { freePort } from '../helpers/ports.ts';
import { BUILD_TIMEOUT_MS, fail, provisionStack, startStack, stopStack, type Stack } from '../helpers/stack.ts';

const ID = '202012180';
const KEY = 'site-secret-for-tests-7f3a9c0d2e1b4a56';
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const bpf = requireBpf();

function pythonPseudonym(key: string, id: string): string {
  const hex = execFileSync('python3', ['-c', 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())', key, id], { encoding: 'utf8' }).trim();
  return 's_' + hex.slice(0, 16);
}
const PSEUDO = pythonPseudonym(KEY, ID);

/** Every regular file under dir (recursively), except the node-local snapshot store. */
function files(dir: string, skip = 'snapshots'): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => !f.split(path.sep).includes(skip))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('pseudonymous students and redaction in the agent', () => {
  let dir = '';
  let agent: CliProc;
  let sink: OtlpSink | undefined;
  let sinkPort = 0;
  const hw = () => path.join(dir, 'ws', `os-1-${ID}`, 'hw1');
  const out = () => path.join(dir, 'out');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-privacy-'));
    mkdirSync(hw(), { recursive: true });
    mkdirSync(path.join(dir, 'secret'));
    // As `kubectl create secret generic --from-file` of a file ending in a newline writes it.
    writeFileSync(path.join(dir, 'secret', 'pseudonym-key'), KEY + '\n');
    // The Collector is away at first: batches wait in the spool.
    sinkPort = await freePort();
    writeFileSync(path.join(dir, 'agent.yaml'), [
      'output:', '  console: true', '  metrics_interval_s: 1',
      'files:', '  debounce_ms: 100',
      'exec:', `  enabled: ${bpf}`, '  drain_ms: 50',
      'otlp:', `  endpoint: http://127.0.0.1:${sinkPort}`,
      'privacy:', '  pseudonymize: true', `  key_file: ${path.join(dir, 'secret', 'pseudonym-key')}`, "  redact_patterns: ['STU-[0-9]+']", '',
    ].join('\n'));
    agent = startCli(['run', '--config', path.join(dir, 'agent.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', out(), '--http-port', '0'], { env: { JCODE_PSEUDONYM_KEY: '' } });
    await agent.ready();
  }, 60_000);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await sink?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without a key the agent does not start: exit 2 and a message saying where the key goes', async () => {
    writeFileSync(path.join(dir, 'nokey.yaml'), 'privacy:\n  pseudonymize: true\n');
    const p = startCli(['run', '--config', path.join(dir, 'nokey.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out-nokey'), '--http-port', '0'], { env: { JCODE_PSEUDONYM_KEY: '' } });
    const { code } = await p.exit;
    expect(code).toBe(2);
    expect(p.stderr.join('')).toMatch(/privacy\.pseudonymize is on but no key is set: put the pseudonym key in \$JCODE_PSEUDONYM_KEY or a file named by privacy\.key_file/);
  });

  it('saves, compiles and runs leave the node with the pseudonym only, in every output; secrets are redacted', async () => {
    writeFileSync(path.join(hw(), 'main.c'), '#include <stdio.h>\nint main(int argc, char **argv) { printf("%d\\n", argc); return 0; }\n');
    const save = await waitFor(() => readLogs(path.join(out(), 'logs.jsonl')).find((r) => r.eventName === 'jcode.file.save' && r.attributes['file.path'] === 'hw1/main.c'), 'the save record');
    expect(save.attributes).toMatchObject({ 'edu.course': 'os', 'edu.section': '1', 'edu.student.id': PSEUDO, 'edu.assignment': 'hw1' });
    expect(save.attributes['edu.student.real_id']).toBeUndefined();

    if (bpf) {
      const r = spawnSync('/bin/bash', ['-c', `gcc '-DAPI_KEY="${TOKEN}"' -o hw1 main.c && ./hw1 --password hunter2 STU-1234`], { cwd: hw(), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const tf = path.join(out(), 'traces.jsonl');
      const t = await waitFor(() => existsSync(tf) && readFileSync(tf, 'utf8').includes('"name":"run"') && readFileSync(tf, 'utf8'), 'the run span', 20_000);
      expect(t).toContain(PSEUDO);
      // The workspace directory inside cwd, argv and executable paths carries the pseudonym.
      expect(t).toContain(`os-1-${PSEUDO}/hw1`);
      for (const secret of [TOKEN, 'hunter2', 'STU-1234']) expect(t).not.toContain(secret);
      expect(t).toContain('[REDACTED]');
      expect(await agent.metric('jcode_watcher_redactions_total{kind="password"}')).toBeGreaterThanOrEqual(2);
      expect(await agent.metric('jcode_watcher_redactions_total{kind="token"}')).toBeGreaterThanOrEqual(1);
      expect(await agent.metric('jcode_watcher_redactions_total{kind="custom"}')).toBeGreaterThanOrEqual(1);
    }
    expect(await agent.metric('jcode_watcher_redactions_total{kind="student_id"}')).toBeGreaterThan(0);

    // 1. The spool, while the Collector is away.
    const spool = path.join(out(), 'spool');
    const spooled = await waitFor(() => {
      const all = files(spool).map((f) => readFileSync(f));
      const buf = Buffer.concat(all);
      return buf.includes(PSEUDO) && (!bpf || buf.includes('[REDACTED]')) ? all : undefined;
    }, 'batches in the spool');
    for (const b of spooled) {
      expect(b.includes(ID)).toBe(false);
      expect(b.includes('hunter2')).toBe(false);
    }

    // 2. What a Collector receives once it is back.
    sink = await startOtlpSink(sinkPort);
    const received = await waitFor(() => {
      const logs = Buffer.concat(sink!.requests.logs);
      const traces = Buffer.concat(sink!.requests.traces);
      return logs.includes(PSEUDO) && (!bpf || traces.includes(PSEUDO)) ? [...sink!.requests.logs, ...sink!.requests.traces, ...sink!.requests.metrics] : undefined;
    }, 'the OTLP receiver to get the spooled batches', 90_000);
    expect(Buffer.concat(received).includes(ID)).toBe(false);

    // 3. After a clean stop: every file the agent exported, and its console summary.
    agent.child.kill('SIGTERM');
    expect((await agent.exit).code).toBe(0);
    const all = Buffer.concat([...sink.requests.logs, ...sink.requests.traces, ...sink.requests.metrics]);
    expect(all.includes(ID)).toBe(false);
    const exported = files(out());
    expect(exported.map((f) => path.relative(out(), f))).toEqual(expect.arrayContaining(['logs.jsonl', 'metrics.jsonl', ...(bpf ? ['traces.jsonl'] : [])]));
    for (const f of exported) {
      const b = readFileSync(f);
      expect(b.includes(ID), `${path.relative(out(), f)} contains the real student ID`).toBe(false);
      // The secrets, also where they sat inside one argv element (`bash -c "… --password hunter2 …"`).
      for (const secret of [TOKEN, 'hunter2', 'STU-1234']) expect(b.includes(secret), `${path.relative(out(), f)} contains ${secret}`).toBe(false);
    }
    for (const secret of [TOKEN, 'hunter2', 'STU-1234']) expect(all.includes(secret), `the OTLP receiver got ${secret}`).toBe(false);
    expect(readFileSync(path.join(out(), 'logs.jsonl'), 'utf8')).toContain(PSEUDO);
    const stdout = agent.stdout.join('');
    expect(stdout).toContain(`os-1/${PSEUDO}`);
    expect(stdout).not.toContain(ID);
    // The agent's own log (stderr, shipped by the cluster's log collector) too.
    expect(agent.stderr.join('')).not.toContain(ID);
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------------------
// The Collector side: per-route allow-lists in otel-collector-config.yaml, with the real Collector.

const CI = process.env.CI === 'true';

describe('per-route allow-lists in the shipped Collector config', () => {
  let dir = '';
  let stack: Stack | undefined;
  let agent: CliProc | undefined;
  let missing: string | undefined;
  const service = `jcw-privacy-${process.pid}`;
  const hw = () => path.join(dir, 'ws', `os-1-${ID}`, 'hw1');

  beforeAll(async () => {
    const { bins, error } = await provisionStack();
    if (!bins) {
      if (CI) throw new Error(error);
      missing = error;
      return;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-privacy-col-'));
    stack = await startStack(dir, bins);
    mkdirSync(hw(), { recursive: true });
    writeFileSync(path.join(dir, 'agent.yaml'), `output:\n  console: false\nfiles:\n  debounce_ms: 100\nexec:\n  enabled: ${bpf}\n  drain_ms: 50\nprivacy:\n  pseudonymize: true\n  send_real_id: true\n`);
    agent = startCli(['run', '--config', path.join(dir, 'agent.yaml'), '--workspaces', path.join(dir, 'ws'), '--output', path.join(dir, 'out'), '--http-port', '0'], {
      env: { JCODE_PSEUDONYM_KEY: KEY, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${stack.port.grpc}`, OTEL_SERVICE_NAME: service },
    });
    await agent.ready();
  }, BUILD_TIMEOUT_MS * 2);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await stopStack(stack);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  type KV = { key: string; value: Record<string, unknown> };
  type JSpan = { name: string; attributes?: KV[]; events?: { name: string; attributes?: KV[] }[] };
  type JResourceSpans = { resource?: { attributes?: KV[] }; scopeSpans: { spans: JSpan[] }[] };
  async function jaegerTraces(svc: string, until: (rs: JResourceSpans[]) => boolean): Promise<{ rs: JResourceSpans[]; text: string }> {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const q = `http://127.0.0.1:${stack!.port.jHttp}/api/v3/traces?query.service_name=${encodeURIComponent(svc)}`
      + `&query.start_time_min=${encodeURIComponent(iso(now - 600_000))}&query.start_time_max=${encodeURIComponent(iso(now + 60_000))}&query.num_traces=50&query.search_depth=50`;
    return waitFor(async () => {
      const r = await fetch(q);
      if (r.status !== 200) return undefined;
      const text = await r.text();
      const rs = (JSON.parse(text) as { result?: { resourceSpans?: JResourceSpans[] } }).result?.resourceSpans ?? [];
      return until(rs) ? { rs, text } : undefined;
    }, fail(`traces in Jaeger (${q})`)(stack!.jaeger), 60_000);
  }
  const keys = (kvs: KV[] | undefined) => (kvs ?? []).map((kv) => kv.key);
  const str = (kvs: KV[] | undefined, k: string) => (kvs ?? []).find((kv) => kv.key === k)?.value.stringValue;

  it('the Analytics API gets the real ID (privacy.send_real_id); Jaeger gets the pseudonym and never edu.student.real_id', async (ctx) => {
    if (missing) return ctx.skip(missing);
    writeFileSync(path.join(hw(), 'main.c'), 'int main(void) { return 0; }\n');
    const snap = await waitFor(() => stack!.fake.of('snapshot').find((c) => c.filename === 'main.c'), fail('the snapshot call')(stack!.collector), 60_000);
    expect(snap).toMatchObject({ classDiv: 'os-1', hwName: 'hw1', studentId: Number(ID) });
    // Locally, on the node, the extra attribute is there (that is what the Collector routes on).
    const local = readLogs(path.join(dir, 'out', 'logs.jsonl')).find((r) => r.eventName === 'jcode.file.save')!;
    expect(local.attributes).toMatchObject({ 'edu.student.id': PSEUDO, 'edu.student.real_id': ID });
    if (!bpf) return;
    expect(spawnSync('/bin/bash', ['-c', 'gcc -o hw1 main.c && ./hw1'], { cwd: hw() }).status).toBe(0);
    const build = await waitFor(() => stack!.fake.of('build').find((c) => c.hwName === 'hw1'), 'the build call', 60_000);
    expect(build.studentId).toBe(Number(ID));
    const { rs, text } = await jaegerTraces(service, (r) => r.flatMap((x) => x.scopeSpans.flatMap((s) => s.spans)).some((s) => s.name === 'run'));
    const spans = rs.flatMap((x) => x.scopeSpans.flatMap((s) => s.spans));
    for (const s of spans) {
      expect(str(s.attributes, 'edu.student.id')).toBe(PSEUDO);
      expect(keys(s.attributes)).not.toContain('edu.student.real_id');
    }
    expect(text).not.toContain(ID);
  }, 180_000);

  it('Jaeger gets only allow-listed attributes: pod labels and unknown attributes naming the student are removed', async (ctx) => {
    if (missing) return ctx.skip(missing);
    // What k8s_attributes adds in a cluster (it needs an API server, so it is off in tests): a pod label with
    // the student's ID. Sent over OTLP/HTTP to the same Collector.
    const svc = `${service}-labels`;
    const t = BigInt(Date.now()) * 1_000_000n;
    const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const body = {
      resourceSpans: [{
        resource: { attributes: [kv('service.name', svc), kv('k8s.pod.uid', 'uid-1'), kv('k8s.pod.label.student', ID), kv('k8s.pod.annotation.owner', `${ID}@example.edu`)] },
        scopeSpans: [{ scope: { name: 'test' }, spans: [{
          traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'gcc', kind: 1,
          startTimeUnixNano: String(t), endTimeUnixNano: String(t + 1_000_000n),
          attributes: [kv('edu.course', 'os'), kv('edu.student.id', PSEUDO), kv('edu.student.real_id', ID), kv('jcode.exec.kind', 'compile'), kv('user.email', `${ID}@example.edu`)],
          events: [{ timeUnixNano: String(t), name: 'jcode.diagnostic', attributes: [kv('jcode.diagnostic.message', 'expected ;'), kv('edu.student.real_id', ID), kv('enduser.id', ID)] }],
        }, {
          // No span events: the span-level allow-list must still apply (statements grouped per context).
          traceId: '5b8efff798038103d269b633813fc60c', spanId: 'fff19b7ec3c1b175', parentSpanId: 'eee19b7ec3c1b174', name: 'run', kind: 1,
          startTimeUnixNano: String(t), endTimeUnixNano: String(t + 1_000_000n),
          attributes: [kv('edu.student.id', PSEUDO), kv('edu.student.real_id', ID), kv('jcode.exec.kind', 'run'), kv('user.name', ID)],
        }] }],
      }],
    };
    const r = await fetch(`http://127.0.0.1:${stack!.port.http}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    const { rs, text } = await jaegerTraces(svc, (x) => x.flatMap((r) => r.scopeSpans.flatMap((ss) => ss.spans)).length === 2);
    const all = rs.flatMap((r) => r.scopeSpans.flatMap((ss) => ss.spans));
    for (const r of rs) {
      expect(keys(r.resource?.attributes)).toEqual(expect.arrayContaining(['service.name', 'k8s.pod.uid']));
      expect(keys(r.resource?.attributes).filter((k) => k.startsWith('k8s.pod.label') || k.startsWith('k8s.pod.annotation'))).toEqual([]);
    }
    const gcc = all.find((s) => s.name === 'gcc')!;
    expect(keys(gcc.attributes).sort()).toEqual(['edu.course', 'edu.student.id', 'jcode.exec.kind']);
    expect(keys(gcc.events?.[0]?.attributes)).toEqual(['jcode.diagnostic.message']);
    const runSpan = all.find((s) => s.name === 'run')!;
    expect(keys(runSpan.attributes).sort()).toEqual(['edu.student.id', 'jcode.exec.kind']);
    expect(text).not.toContain(ID);
  }, 120_000);
});
