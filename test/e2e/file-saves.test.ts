// File-save capture end to end: real inotify on real files in temporary directories; every assertion reads
// the exported OTLP JSON back, as a user's tooling would.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR, METRICS } from '../../telemetry/schema.ts';
import { startTestAgent, type TestAgent } from '../helpers/agent.ts';
import { waitFor } from '../helpers/otlp.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function write(t: TestAgent, rel: string, content: string | Buffer): string {
  const abs = path.join(t.ws, rel);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  return abs;
}

let t: TestAgent | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
}, 240_000); // the 100,000-file test removes a big tree

describe.each(['parcel', 'chokidar'] as const)('saves with the %s watcher', (watcher) => {
  it('reports a save with student attributes, content and hash, then a diff for the next save', async () => {
    t = await startTestAgent({ files: { watcher } });
    mkdirSync(path.join(t.ws, 'os-1-202012180/hw1/src'), { recursive: true });
    await waitFor(() => t!.agent.metrics.get(METRICS.WATCH_EVENTS) > 0, 'the directory events');
    await t.agent.settle();
    write(t, 'os-1-202012180/hw1/src/main.c', 'int main(void) {\n  return 0;\n}\n');
    const first = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/src/main.c', 'first save');
    expect(first.eventName).toBe('jcode.file.save');
    expect(first.body).toBe('int main(void) {\n  return 0;\n}\n');
    expect(first.attributes).toMatchObject({
      'edu.course': 'os', 'edu.section': '1', 'edu.student.id': '202012180', 'edu.assignment': 'hw1',
      'file.name': 'main.c', 'file.extension': 'c', 'file.size': 31, 'jcode.file.detected_by': 'watch',
      'jcode.file.sha256': sha('int main(void) {\n  return 0;\n}\n'), 'jcode.file.lines_added': 3, 'jcode.file.lines_removed': 0,
    });
    expect(first.attributes['jcode.file.diff']).toBeUndefined();
    expect(first.resource['service.name']).toBe('jcode-watcher');

    write(t, 'os-1-202012180/hw1/src/main.c', 'int main(void) {\n  return 1;\n}\n');
    const second = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/src/main.c' && r.attributes['jcode.file.version'] === 2, 'second save');
    expect(second.attributes['jcode.file.previous_sha256']).toBe(first.attributes['jcode.file.sha256']);
    expect(second.attributes['jcode.file.lines_added']).toBe(1);
    expect(second.attributes['jcode.file.lines_removed']).toBe(1);
    expect(second.attributes['jcode.file.diff']).toContain('-  return 0;\n+  return 1;');
    expect(String(second.attributes['jcode.file.diff'])).toMatch(/^--- a\/hw1\/src\/main.c\n\+\+\+ b\/hw1\/src\/main.c\n@@ -1,3 \+1,3 @@/);
  });

  it('settles a burst of writes to one file into one record with the final content', async () => {
    t = await startTestAgent({ files: { watcher, debounce_ms: 300 } });
    for (let i = 0; i < 20; i++) write(t, 'os-1-7/hw2/a.py', `print(${i})\n`);
    await t.waitForLog((r) => r.body === 'print(19)\n', 'final content');
    await t.agent.settle();
    expect(t.saves('hw2/a.py')).toHaveLength(1);
  });
});

describe('what a save becomes', () => {
  it('emits nothing for a save with unchanged content, and counts it', async () => {
    t = await startTestAgent();
    const abs = write(t, 'os-1-1/hw1/a.c', 'x\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/a.c', 'first save');
    writeFileSync(abs, 'x\n');
    await waitFor(() => t!.agent.metrics.get(METRICS.FILE_UNCHANGED) === 1, 'unchanged counter');
    await t.agent.settle();
    expect(t.saves('hw1/a.c')).toHaveLength(1);
  });

  it('attributes a file outside any assignment to its student, and ignores and counts unmatched directories', async () => {
    t = await startTestAgent();
    write(t, 'cs-2-abc-77/notes.py', 'pass\n');
    write(t, 'not_a_workspace/hw1/x.c', 'int x;\n');
    const r = await t.waitForLog((r) => r.attributes['file.path'] === 'notes.py', 'top-level file');
    expect(r.attributes).toMatchObject({ 'edu.course': 'cs', 'edu.section': '2', 'edu.student.id': 'abc-77' });
    expect(r.attributes).not.toHaveProperty('edu.assignment');
    await waitFor(() => t!.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'unmatched_workspace' }) === 1, 'unmatched counted');
    await t.agent.settle();
    expect(t.logs().some((l) => l.attributes['file.name'] === 'x.c')).toBe(false);
  });

  it('reports allowed files only, never editor artefacts, hidden, dependency or cache directories', async () => {
    t = await startTestAgent();
    const ignored = ['hw1/.main.c.swp', 'hw1/4913', 'hw1/main.c~', 'hw1/notes.txt', 'hw1/a.out', 'hw1/node_modules/x/index.js',
      'hw1/__pycache__/m.py', '.local/share/code-server/History/1/main.c', 'hw1/.venv/lib/x.py', 'hw1/.ipynb_checkpoints/n.ipynb', 'hw1/x.vsctmp'];
    for (const rel of ignored) write(t, `os-1-5/${rel}`, 'data\n');
    write(t, 'os-1-5/hw1/Makefile', 'all:\n\tgcc main.c\n');
    write(t, 'os-1-5/hw1/main.cpp', 'int main(){}\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/Makefile', 'Makefile');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/main.cpp', 'main.cpp');
    await t.agent.settle();
    expect(t.logs().map((r) => r.attributes['file.path']).sort()).toEqual(['hw1/Makefile', 'hw1/main.cpp']);
  });

  it('reports deletes and renames', async () => {
    t = await startTestAgent();
    const a = write(t, 'os-1-9/hw1/a.c', 'int a;\n');
    const b = write(t, 'os-1-9/hw1/b.c', 'int b;\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/b.c', 'b saved');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/a.c', 'a saved');
    unlinkSync(b);
    renameSync(a, path.join(path.dirname(a), 'renamed.c'));
    const del = await t.waitForLog((r) => r.eventName === 'jcode.file.delete', 'delete');
    expect(del.attributes).toMatchObject({ 'file.path': 'hw1/b.c', 'jcode.file.previous_sha256': sha('int b;\n') });
    const ren = await t.waitForLog((r) => r.eventName === 'jcode.file.rename', 'rename');
    expect(ren.attributes).toMatchObject({ 'file.path': 'hw1/renamed.c', 'jcode.file.old_path': 'hw1/a.c', 'jcode.file.sha256': sha('int a;\n') });
    await t.agent.settle();
    expect(t.logs().filter((r) => r.eventName === 'jcode.file.delete')).toHaveLength(1);
  });

  it('keeps the previous version across a restart and reports what changed while the agent was down', async () => {
    t = await startTestAgent();
    write(t, 'os-1-3/hw1/keep.c', 'v1\n');
    write(t, 'os-1-3/hw1/gone.c', 'bye\n');
    write(t, 'os-1-3/hw1/same.c', 'same\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/same.c', 'same saved');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/gone.c', 'gone saved');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/keep.c', 'keep saved');
    await t.stop();
    write(t, 'os-1-3/hw1/keep.c', 'v2\n');
    unlinkSync(path.join(t.ws, 'os-1-3/hw1/gone.c'));
    write(t, 'os-1-3/hw2/new.py', 'print()\n');
    await t.restart();
    const keep = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/keep.c' && r.attributes['jcode.file.version'] === 2, 'keep v2');
    expect(keep.attributes['jcode.file.detected_by']).toBe('scan');
    expect(keep.attributes['jcode.file.diff']).toContain('-v1\n+v2');
    await t.waitForLog((r) => r.eventName === 'jcode.file.delete' && r.attributes['file.path'] === 'hw1/gone.c', 'gone deleted');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw2/new.py' && r.attributes['jcode.file.detected_by'] === 'scan', 'new file');
    await t.agent.settle();
    expect(t.saves('hw1/same.c')).toHaveLength(1);
  });

  it('sends a huge rewrite with diff_truncated instead of stalling', async () => {
    t = await startTestAgent({ diff: { timeout_ms: 5 } });
    const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';
    write(t, 'os-1-4/hw1/big.c', lines(5000, (i) => `int a${i} = ${i};`));
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/big.c', 'first');
    write(t, 'os-1-4/hw1/big.c', lines(5000, (i) => (i % 10 < 7 ? `long b${i * 7} = ${i * 3};` : `int a${i} = ${i};`)));
    const r = await t.waitForLog((r) => r.attributes['jcode.file.version'] === 2, 'rewrite');
    expect(r.attributes['jcode.file.diff_truncated']).toBe(true);
    expect(r.attributes['jcode.file.lines_added']).toBe(3500);
    expect(r.attributes['jcode.file.lines_removed']).toBe(3500);
    expect(r.body.split('\n')).toHaveLength(5001);
    expect(t.agent.metrics.get(METRICS.FILE_FLAGGED, { flag: 'diff_truncated' })).toBe(1);
  });
});

describe('bad input', () => {
  it('reports a symlink that leaves the workspace as a link, never reading its target', async () => {
    t = await startTestAgent();
    const secret = path.join(t.dir, 'secret.c');
    writeFileSync(secret, 'TOP SECRET\n');
    mkdirSync(path.join(t.ws, 'os-1-8/hw1'), { recursive: true });
    mkdirSync(path.join(t.dir, 'outside-dir'));
    writeFileSync(path.join(t.dir, 'outside-dir/leak.c'), 'LEAK\n');
    symlinkSync(secret, path.join(t.ws, 'os-1-8/hw1/link.c'));
    symlinkSync(path.join(t.dir, 'outside-dir'), path.join(t.ws, 'os-1-8/hw1/linkdir'));
    write(t, 'os-1-8/hw1/after.c', 'ok\n');
    const r = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/link.c', 'symlink record');
    expect(r.body).toBe('');
    expect(r.attributes).toMatchObject({ 'jcode.file.symlink': true, 'file.symbolic_link.target_path': secret });
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/after.c', 'after');
    await t.agent.scanNow();
    expect(JSON.stringify(t.logs())).not.toMatch(/TOP SECRET|LEAK/);
    expect(t.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'symlink_outside' })).toBeGreaterThanOrEqual(1);
  });

  it('never opens a FIFO, socket or device, and keeps working', async () => {
    t = await startTestAgent();
    mkdirSync(path.join(t.ws, 'os-1-6/hw1'), { recursive: true });
    execFileSync('mkfifo', [path.join(t.ws, 'os-1-6/hw1/pipe.c')]);
    write(t, 'os-1-6/hw1/ok.c', 'fine\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/ok.c', 'file after the FIFO');
    await waitFor(() => t!.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'special_file' }) >= 1, 'special file counted');
    expect(t.logs().some((r) => r.attributes['file.path'] === 'hw1/pipe.c')).toBe(false);
  });

  it('sends oversize and binary files without a body, flagged', async () => {
    t = await startTestAgent({ files: { max_bytes: 1024 } });
    const big = 'x'.repeat(5000) + '\n';
    write(t, 'os-1-2/hw1/big.py', big);
    write(t, 'os-1-2/hw1/bin.c', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    write(t, 'os-1-2/hw1/latin1.c', Buffer.from('caf\xe9\n', 'latin1'));
    const b = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/big.py', 'big');
    expect(b.body).toBe('');
    expect(b.attributes).toMatchObject({ 'jcode.file.truncated': true, 'file.size': 5001, 'jcode.file.sha256': sha(big) });
    const bin = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/bin.c', 'binary');
    expect(bin.body).toBe('');
    expect(bin.attributes['jcode.file.binary']).toBe(true);
    const l1 = await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/latin1.c', 'invalid utf-8');
    expect(l1.attributes['jcode.file.binary']).toBe(true);
    expect(t.agent.metrics.get(METRICS.FILE_FLAGGED, { flag: 'truncated' })).toBe(1);
    expect(t.agent.metrics.get(METRICS.FILE_FLAGGED, { flag: 'binary' })).toBe(2);
  });

  it('handles odd file names: spaces, unicode, newlines, and counts names that are not UTF-8', async () => {
    t = await startTestAgent();
    const names = ['hw1/my file.c', 'hw1/ünïcødé ✓.py', 'hw1/new\nline.c', 'hw1/quote"s.c'];
    for (const n of names) write(t, `os-1-11/${n}`, `// ${n}\n`);
    const dir = Buffer.from(path.join(t.ws, 'os-1-11/hw1/'));
    writeFileSync(Buffer.concat([dir, Buffer.from([0x62, 0xff, 0xfe, 0x2e, 0x63])]), 'bad name\n');
    for (const n of names) {
      const r = await t.waitForLog((r) => r.attributes['file.path'] === n, `record for ${JSON.stringify(n)}`);
      expect(r.body).toBe(`// ${n}\n`);
    }
    await waitFor(() => t!.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'invalid_name' }) >= 1, 'invalid name counted');
  });

  it('handles a 20-level-deep tree and skips beyond files.max_depth', async () => {
    t = await startTestAgent({ files: { max_depth: 22 } });
    const deep = Array.from({ length: 20 }, (_, i) => `d${i}`).join('/');
    write(t, `os-1-12/hw1/${deep}/deep.c`, 'deep\n');
    const tooDeep = Array.from({ length: 25 }, (_, i) => `e${i}`).join('/');
    write(t, `os-1-12/hw1/${tooDeep}/deeper.c`, 'deeper\n');
    await t.waitForLog((r) => r.attributes['file.path'] === `hw1/${deep}/deep.c`, 'deep file');
    await t.agent.scanNow();
    expect(t.logs().some((r) => String(r.attributes['file.path']).endsWith('deeper.c'))).toBe(false);
    expect(t.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'too_deep' })).toBeGreaterThanOrEqual(1);
  });

  it('reports a file deleted before it could be read as vanished, not as a record', async () => {
    t = await startTestAgent({ files: { debounce_ms: 1000 } });
    mkdirSync(path.join(t.ws, 'os-1-13/hw1'), { recursive: true });
    await t.agent.settle();
    const abs = write(t, 'os-1-13/hw1/tmp.c', 'short-lived\n');
    // Let the create event arrive on its own (a watcher may merge create+delete), then delete before it settles.
    await new Promise((r) => setTimeout(r, 300));
    rmSync(abs);
    write(t, 'os-1-13/hw1/stays.c', 'stays\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/stays.c', 'the file that stays');
    await waitFor(() => t!.agent.metrics.get(METRICS.FILE_SKIPPED, { reason: 'vanished' }) >= 1, 'vanished counted');
    expect(t.logs().some((r) => r.attributes['file.path'] === 'hw1/tmp.c')).toBe(false);
  });

  it('recovers every final state after a flood past the kernel queue', async () => {
    t = await startTestAgent({ files: { overflow_burst: 512, debounce_ms: 200 } });
    mkdirSync(path.join(t.ws, 'os-1-14'));
    await t.agent.settle();
    // Blocking this process's event loop while writing lets the kernel queue fill behind the watcher.
    const N = 3000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < N; i++) write(t, `os-1-14/hw${i % 30}/f${i}.c`, `// ${i} round ${round}\n`);
    }
    await waitFor(() => t!.agent.metrics.total(METRICS.WATCH_OVERFLOWS) >= 1, 'overflow detected');
    await t.agent.settle();
    await t.agent.settle();
    const last = new Map<string, string>();
    for (const r of t.saves()) last.set(String(r.attributes['file.path']), r.body);
    expect(last.size).toBe(N);
    for (let i = 0; i < N; i++) expect(last.get(`hw${i % 30}/f${i}.c`)).toBe(`// ${i} round 2\n`);
    expect(t.agent.metrics.get(METRICS.SCANS, { trigger: 'overflow' })).toBeGreaterThanOrEqual(1);
  });

  it('lists every emitted attribute in the telemetry schema', async () => {
    t = await startTestAgent();
    write(t, 'os-1-15/hw1/a.c', 'a\n');
    await t.waitForLog((r) => r.attributes['file.path'] === 'hw1/a.c', 'save');
    const known = new Set(Object.values(ATTR).map((a) => a.name));
    for (const r of t.logs()) {
      for (const k of [...Object.keys(r.attributes), ...Object.keys(r.resource)]) expect(known, `attribute ${k}`).toContain(k);
    }
  });
});

describe('scale', () => {
  it('starts on a workspace of 100,000 files, reports each once, and still sees new saves', async () => {
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-big-'));
    for (let d = 0; d < 1000; d++) {
      const sub = path.join(dir, 'ws/os-1-100k', `hw${d % 10}`, `m${d}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(path.join(sub, `f${f}.c`), `int v${d}_${f};\n`);
    }
    t = await startTestAgent({ output: { files: true } }, dir);
    await t.agent.settle();
    expect(t.agent.metrics.get(METRICS.SCAN_FILES)).toBe(100_000);
    expect(t.agent.metrics.get(METRICS.FILE_EVENTS, { event: 'save', detected_by: 'scan' })).toBe(100_000);
    write(t, 'os-1-100k/hw3/m3/f7.c', 'changed\n');
    const r = await t.waitForLog((r) => r.attributes['file.path'] === 'hw3/m3/f7.c' && r.attributes['jcode.file.version'] === 2, 'a save after start', 30_000);
    expect(r.attributes['jcode.file.detected_by']).toBe('watch');
    // Every record made it to the output: none dropped by a full export queue.
    expect(new Set(t.saves().map((s) => s.attributes['file.path'])).size).toBe(100_000);
  }, 240_000);
});
