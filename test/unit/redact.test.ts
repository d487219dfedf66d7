// The privacy step: keyed pseudonyms (checked against an independent HMAC implementation), key loading, the real
// ID replaced wherever it appears in records and spans, and secrets in argv, diagnostics and span events redacted
// and counted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../config/load.ts';
import { MetricsRegistry } from '../../core/metrics.ts';
import type { EventRecord, SpanRecord } from '../../core/records.ts';
import { Privacy } from '../../processors/redact/privacy.ts';
import { REDACTED, redactArgv, redactString, BUILTIN_RULES } from '../../processors/redact/patterns.ts';
import { loadPseudonymKey, pseudonym } from '../../processors/redact/pseudonym.ts';
import { EVENTS, METRICS } from '../../telemetry/schema.ts';

const KEY = 'course-site-secret-0123456789abcdef';
const ID = '202012180';

/** HMAC-SHA256 computed by Python's hmac module, not by the code under test. */
function pythonPseudonym(key: string, id: string): string {
  const hex = execFileSync('python3', ['-c', 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())', key, id], { encoding: 'utf8' }).trim();
  return 's_' + hex.slice(0, 16);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'jcw-redact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function privacy(over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = { JCODE_PSEUDONYM_KEY: KEY }) {
  const metrics = new MetricsRegistry();
  const cfg = validateConfig({ privacy: { pseudonymize: true, ...over } });
  return { p: Privacy.fromConfig(cfg.privacy, metrics, env), metrics, count: (kind: string) => metrics.get(METRICS.REDACTIONS, { kind }) };
}

describe('keyed pseudonyms', () => {
  it('are s_ + the first 16 hex digits of HMAC-SHA256(key, id), as computed independently by python3', () => {
    const expected = pythonPseudonym(KEY, ID);
    expect(expected).toMatch(/^s_[0-9a-f]{16}$/);
    expect(pseudonym(Buffer.from(KEY), ID)).toBe(expected);
    expect(pseudonym(Buffer.from(KEY), 'kim.minji')).toBe(pythonPseudonym(KEY, 'kim.minji'));
  });

  it('are the same for the same key on every node (a variable here, a mounted Secret file there) and differ by key', () => {
    const file = path.join(tmp, 'key');
    writeFileSync(file, KEY + '\n'); // kubectl create secret --from-file of a file ending in a newline
    const a = privacy({}, { JCODE_PSEUDONYM_KEY: KEY }).p.pseudonymOf(ID);
    const b = privacy({ key_file: file }, {}).p.pseudonymOf(ID);
    const c = privacy({}, { JCODE_PSEUDONYM_KEY: KEY + 'x' }).p.pseudonymOf(ID);
    expect(a).toBe(pythonPseudonym(KEY, ID));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('a missing, unreadable or short key stops the agent with a ConfigError naming where the key belongs', () => {
    expect(() => privacy({}, {})).toThrow(ConfigError);
    expect(() => privacy({}, {})).toThrow(/JCODE_PSEUDONYM_KEY/);
    expect(() => privacy({ key_env: 'MY_KEY' }, { JCODE_PSEUDONYM_KEY: KEY })).toThrow(/\$MY_KEY/);
    expect(() => privacy({ key_file: path.join(tmp, 'nope') }, { JCODE_PSEUDONYM_KEY: KEY })).toThrow(/privacy\.key_file .*nope/);
    expect(() => privacy({}, { JCODE_PSEUDONYM_KEY: 'short' })).toThrow(/at least 16/);
    expect(() => loadPseudonymKey({ keyEnv: 'K', keyFile: null }, { K: '\n' })).toThrow(ConfigError);
  });

  it('pseudonymisation off: IDs are left alone', () => {
    const metrics = new MetricsRegistry();
    const p = Privacy.fromConfig(validateConfig({}).privacy, metrics, {});
    const rec = p.record(saveRecord());
    expect(rec.attributes['edu.student.id']).toBe(ID);
    expect(p.pseudonymOf(ID)).toBeUndefined();
  });
});

function saveRecord(): EventRecord {
  return {
    event: EVENTS.FILE_SAVE,
    timestampMs: 1,
    body: `// ${ID}\nint main(void) { return 0; }\n`,
    attributes: { 'edu.course': 'os', 'edu.section': '1', 'edu.student.id': ID, 'edu.assignment': 'hw1', 'file.path': 'hw1/main.c', 'jcode.file.diff': `+// ${ID}\n`, 'jcode.file.sha256': 'ab'.repeat(32) },
  };
}

function execRecord(argv: string[]): EventRecord {
  return {
    event: EVENTS.PROCESS_EXEC,
    timestampMs: 1,
    body: '',
    attributes: {
      'edu.course': 'os', 'edu.section': '1', 'edu.student.id': ID, 'edu.assignment': 'hw1',
      'process.command_args': argv, 'process.working_directory': `/srv/ws/os-1-${ID}/hw1`, 'process.executable.path': `/srv/ws/os-1-${ID}/hw1/a.out`,
      'jcode.process.hostname': `jcode-os-1-${ID}-7d9f8-abcde`, 'process.pid': 42, 'jcode.process.executable.inode': '1202012180',
    },
    resource: { 'k8s.pod.name': `jcode-os-1-${ID}-7d9f8-abcde`, 'k8s.pod.uid': 'u-1', 'k8s.namespace.name': 'jcode-os-1' },
  };
}

describe('the real ID in records and spans', () => {
  it('is replaced in edu.student.id and as a whole token in paths, argv, host and pod names; course, section, numbers and content stay', () => {
    const { p, count } = privacy();
    const ps = pythonPseudonym(KEY, ID);
    const out = p.record(execRecord(['gcc', '-o', `/srv/ws/os-1-${ID}/hw1/a.out`, 'main.c', '-DX=1202012180']));
    expect(out.attributes).toMatchObject({
      'edu.course': 'os', 'edu.section': '1', 'edu.student.id': ps, 'edu.assignment': 'hw1',
      'process.command_args': ['gcc', '-o', `/srv/ws/os-1-${ps}/hw1/a.out`, 'main.c', '-DX=1202012180'],
      'process.working_directory': `/srv/ws/os-1-${ps}/hw1`, 'process.executable.path': `/srv/ws/os-1-${ps}/hw1/a.out`,
      'jcode.process.hostname': `jcode-os-1-${ps}-7d9f8-abcde`, 'process.pid': 42,
      // Part of a longer token: not the ID.
      'jcode.process.executable.inode': '1202012180',
    });
    expect(out.resource).toEqual({ 'k8s.pod.name': `jcode-os-1-${ps}-7d9f8-abcde`, 'k8s.pod.uid': 'u-1', 'k8s.namespace.name': 'jcode-os-1' });
    expect(out.attributes['edu.student.real_id']).toBeUndefined();
    expect(count('student_id')).toBe(6);
    // File content is the student's work: kept unless scrub_content.
    const save = p.record(saveRecord());
    expect(save.body).toContain(ID);
    expect(save.attributes['jcode.file.diff']).toContain(ID);
    expect(save.attributes['jcode.file.sha256']).toBe('ab'.repeat(32));
  });

  it('scrub_content replaces it inside bodies and diffs too; send_real_id adds edu.student.real_id', () => {
    const { p } = privacy({ scrub_content: true, send_real_id: true });
    const ps = pythonPseudonym(KEY, ID);
    const save = p.record(saveRecord());
    expect(save.body).toBe(`// ${ps}\nint main(void) { return 0; }\n`);
    expect(save.attributes['jcode.file.diff']).toBe(`+// ${ps}\n`);
    expect(save.attributes['edu.student.id']).toBe(ps);
    expect(save.attributes['edu.student.real_id']).toBe(ID);
  });

  it('spans: attributes, resource, name, status message, span events (diagnostics) and links', () => {
    const { p, count } = privacy();
    const ps = pythonPseudonym(KEY, ID);
    const span: SpanRecord = {
      traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'gcc', startUnixNano: 1n, endUnixNano: 2n,
      attributes: { 'edu.student.id': ID, 'process.command_args': ['gcc', 'main.c'], 'process.working_directory': `/home/${ID}/hw1` },
      status: { code: 'error', message: `/home/${ID}/hw1/main.c: failed` },
      resource: { 'k8s.pod.name': `code-server-${ID}` },
      events: [{ name: 'jcode.diagnostic', timeUnixNano: 1n, attributes: {
        'jcode.diagnostic.file': `/home/${ID}/hw1/main.c`,
        'jcode.diagnostic.message': 'undeclared identifier; export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      } }],
      links: [{ traceId: '3'.repeat(32), spanId: '4'.repeat(16), attributes: { 'process.working_directory': `/home/${ID}` } }],
    };
    const out = p.span(span);
    const text = JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(text).not.toContain(ID);
    expect(text).not.toContain('ghp_');
    expect(out.attributes['edu.student.id']).toBe(ps);
    expect(out.resource['k8s.pod.name']).toBe(`code-server-${ps}`);
    expect(out.status.message).toBe(`/home/${ps}/hw1/main.c: failed`);
    expect(out.events![0]!.attributes).toEqual({
      'jcode.diagnostic.file': `/home/${ps}/hw1/main.c`,
      'jcode.diagnostic.message': `undeclared identifier; export GITHUB_TOKEN=${REDACTED}`,
    });
    // Counted once, as the token it is (the NAME=value rule leaves an already redacted value alone).
    expect(count('token')).toBe(1);
    expect(count('password')).toBe(0);
    // The input is not modified (the caller may keep it).
    expect(span.attributes['edu.student.id']).toBe(ID);
  });
});

describe("the agent's own log", () => {
  it('real IDs in workspace paths become pseudonyms; other words that look like a-b-c stay', () => {
    const { p } = privacy();
    const ps = pythonPseudonym(KEY, ID);
    const lines: unknown[] = [];
    const inner = { debug: () => undefined, info: () => undefined, warn: (msg: string, f?: Record<string, unknown>) => lines.push({ msg, ...f }), error: () => undefined };
    const log = p.logger(inner, '/srv/ws', '{course}-{section}-{student}/{assignment}');
    log.warn('cannot read file', { path: `os-1-${ID}/hw1/x.c`, error: `EACCES: permission denied, open '/srv/ws/os-1-${ID}/hw1/x.c'`, loader: '/usr/lib/x86_64-linux-gnu/libbpf.so', n: 3 });
    expect(lines).toEqual([{ msg: 'cannot read file', path: `os-1-${ps}/hw1/x.c`, error: `EACCES: permission denied, open '/srv/ws/os-1-${ps}/hw1/x.c'`, loader: '/usr/lib/x86_64-linux-gnu/libbpf.so', n: 3 }]);
    // Off: the same logger object.
    const off = Privacy.fromConfig(validateConfig({}).privacy, undefined, {});
    expect(off.logger(inner, '/srv/ws', '{course}-{section}-{student}')).toBe(inner);
  });
});

describe('secret redaction', () => {
  const counted = () => {
    const c: Record<string, number> = {};
    return { c, count: (k: string, n: number) => (c[k] = (c[k] ?? 0) + n) };
  };

  it('built-in patterns: token formats, URL credentials, bearer tokens and Authorization headers, NAME=value', () => {
    const cases: [string, string, string][] = [
      ['git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x/y', `git clone https://${REDACTED}@github.com/x/y`, 'token'],
      ['AKIAIOSFODNN7EXAMPLE', REDACTED, 'token'],
      ['xoxb-1234567890-abcdefghij', REDACTED, 'token'],
      ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', REDACTED, 'token'],
      ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', REDACTED, 'token'],
      ['https://kim:hunter2@git.example.edu/repo.git', `https://kim:${REDACTED}@git.example.edu/repo.git`, 'url_credentials'],
      ['Authorization: Bearer abc.def.ghi', `Authorization: Bearer ${REDACTED}`, 'bearer'],
      ['bearer 0123456789abcdefXYZ', `bearer ${REDACTED}`, 'bearer'],
      ['--password=hunter2', `--password=${REDACTED}`, 'password'],
      ['PASSWORD=hunter2', `PASSWORD=${REDACTED}`, 'password'],
      ['-DAPI_KEY="s3cr3t value"', `-DAPI_KEY=${REDACTED}`, 'password'],
      ['db_password: hunter2', `db_password: ${REDACTED}`, 'password'],
      // Shell command lines (`bash -c "…"` is one argv element).
      ['gcc -o hw1 main.c && ./hw1 --password hunter2 STU-1', `gcc -o hw1 main.c && ./hw1 --password ${REDACTED} STU-1`, 'password'],
      ["mysql -u kim --token 'a b' db", `mysql -u kim --token ${REDACTED} db`, 'password'],
      ['sshpass -p hunter2 ssh lab', `sshpass -p ${REDACTED} ssh lab`, 'password'],
      ['mysql -h db -phunter2 grades', `mysql -h db -p${REDACTED} grades`, 'password'],
      ['redis-cli -h r -a hunter2 ping', `redis-cli -h r -a ${REDACTED} ping`, 'password'],
      ['curl -s -u kim:hunter2 https://x', `curl -s -u kim:${REDACTED} https://x`, 'password'],
    ];
    for (const [input, expected, kind] of cases) {
      const { c, count } = counted();
      expect(redactString(input, BUILTIN_RULES, count), input).toBe(expected);
      expect(c[kind], input).toBeGreaterThan(0);
    }
  });

  it('leaves ordinary compiler and program argv and messages alone', () => {
    for (const s of ['gcc -Wall -O2 -o hw1 main.c -lm', 'mkdir -p build && cd build', './prog --pass-count 3 --token-limit=5', 'python3 -m pytest -k test_token', "error: expected ';' before 'return'", 'mkdir -p build', 'https://example.edu/a@b', 'main.c:3:5: error: unknown type name token']) {
      const { c, count } = counted();
      expect(redactString(s, BUILTIN_RULES, count)).toBe(s);
      expect(c).toEqual({});
    }
  });

  it('argv: the argument after a secret-taking flag is redacted; -p only for the programs where it is a password', () => {
    const { c, count } = counted();
    expect(redactArgv(['mysql', '--password', 'hunter2', '-h', 'db'], BUILTIN_RULES, count)).toEqual(['mysql', '--password', REDACTED, '-h', 'db']);
    expect(redactArgv(['/usr/bin/sshpass', '-p', 'hunter2', 'ssh', 'lab'], BUILTIN_RULES, count)).toEqual(['/usr/bin/sshpass', '-p', REDACTED, 'ssh', 'lab']);
    expect(redactArgv(['curl', '-u', 'kim:hunter2', 'https://x'], BUILTIN_RULES, count)).toEqual(['curl', '-u', `kim:${REDACTED}`, 'https://x']);
    expect(redactArgv(['mkdir', '-p', 'hw1/build'], BUILTIN_RULES, count)).toEqual(['mkdir', '-p', 'hw1/build']);
    expect(c).toEqual({ password: 3 });
  });

  it('configured patterns are applied and counted as custom; a bad pattern is a ConfigError naming it', () => {
    const { p, count } = privacy({ redact_patterns: ['STU-[0-9]{4}'] });
    const out = p.record(execRecord(['./a.out', 'STU-1234', '--token=abc']));
    expect(out.attributes['process.command_args']).toEqual(['./a.out', REDACTED, `--token=${REDACTED}`]);
    expect(count('custom')).toBe(1);
    expect(count('password')).toBe(1);
    expect(() => privacy({ redact_patterns: ['(unclosed'] })).toThrow(/privacy\.redact_patterns\[0\]: "\(unclosed" is not a valid regular expression/);
    expect(() => privacy({ redact_patterns: ['x*'] })).toThrow(/matches the empty string/);
  });

  it('redact: false turns the built-in patterns off but keeps configured ones', () => {
    const { p } = privacy({ pseudonymize: false, redact: false, redact_patterns: ['hunter[0-9]'] }, {});
    const out = p.record(execRecord(['mysql', '--password', 'x', '--password=hunter2', '--token=abc']));
    expect(out.attributes['process.command_args']).toEqual(['mysql', '--password', 'x', `--password=${REDACTED}`, '--token=abc']);
    expect(out.attributes['edu.student.id']).toBe(ID);
  });
});
