import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_IGNORE } from '../../config/spec.ts';
import { Debouncer } from '../../receiver/files/debounce.ts';
import { PathFilter, globToRegExp } from '../../receiver/files/filter.ts';
import { WorkspaceLayout } from '../../receiver/files/layout.ts';
import { readFileSafelySync as readFileSafely } from '../../receiver/files/read-core.mjs';
import { FileReader, fsTypeOf, parseMountinfo } from '../../receiver/files/read.ts';

describe('workspace layout', () => {
  const layout = new WorkspaceLayout('/ws', '{course}-{section}-{student}/{assignment}');
  it('parses the default layout', () => {
    expect(layout.locate('/ws/os-1-202012180/hw1/src/main.c')).toEqual({
      kind: 'file',
      location: { student: { course: 'os', section: '1', studentId: '202012180', workspace: 'os-1-202012180' }, assignment: 'hw1', relPath: 'hw1/src/main.c', key: 'os-1-202012180/hw1/src/main.c' },
    });
  });
  it('gives a file directly in the workspace no assignment, and lets the student id contain dashes', () => {
    const r = layout.locate('/ws/cs-2-ab-12/notes.py');
    expect(r).toMatchObject({ kind: 'file', location: { assignment: undefined, relPath: 'notes.py', student: { studentId: 'ab-12' } } });
  });
  it('reports unmatched directories and paths outside the root', () => {
    expect(layout.locate('/ws/lost+found/x.c')).toEqual({ kind: 'unmatched', workspace: 'lost+found' });
    expect(layout.locate('/elsewhere/x.c')).toEqual({ kind: 'outside' });
    expect(layout.locate('/ws')).toEqual({ kind: 'outside' });
  });
  it('supports other layouts and rejects broken ones', () => {
    const l = new WorkspaceLayout('/w', '{course}_{section}_{student}');
    expect(l.locate('/w/db_3_u9/hw1/x.sql')).toMatchObject({ location: { assignment: undefined, student: { course: 'db', section: '3', studentId: 'u9' } } });
    expect(() => new WorkspaceLayout('/w', '{course}-{student}')).toThrow(/\{section\}/);
    expect(() => new WorkspaceLayout('/w', '{course}-{section}-{student}/{assignment}/x')).toThrow(/one or two/);
  });
});

describe('path filter', () => {
  const f = new PathFilter({ ignore: DEFAULT_IGNORE, extensions: ['.c', '.py'], names: ['Makefile'] });
  it.each([
    ['os-1-1/hw1/.main.c.swp', true], ['os-1-1/hw1/4913', true], ['os-1-1/hw1/main.c~', true], ['os-1-1/.local/share/code-server/x.c', true],
    ['os-1-1/hw1/node_modules/a/b.c', true], ['os-1-1/hw1/__pycache__/m.py', true], ['os-1-1/venv/lib/x.py', true],
    ['os-1-1/hw1/main.c', false], ['os-1-1/hw1/Makefile', false], ['os-1-1/hw1/sub dir/x.py', false],
  ])('ignored(%s) = %s', (p, want) => expect(f.ignored(p)).toBe(want));
  it('allows by extension or exact name', () => {
    expect(f.allowed('hw1/x.c')).toBe(true);
    expect(f.allowed('hw1/Makefile')).toBe(true);
    expect(f.allowed('hw1/x.txt')).toBe(false);
    expect(f.allowed('hw1/c')).toBe(false);
  });
  it('compiles globs', () => {
    expect(globToRegExp('**/*.o').test('a/b/c.o')).toBe(true);
    expect(globToRegExp('**/*.o').test('c.o')).toBe(true);
    expect(globToRegExp('a/?.c').test('a/x.c')).toBe(true);
    expect(globToRegExp('a/?.c').test('a/xy.c')).toBe(false);
    expect(globToRegExp('build/**').test('build/x/y')).toBe(true);
  });
});

describe('debouncer', () => {
  it('fires once after quiet time, and at the latest after max wait', () => {
    vi.useFakeTimers();
    let now = 0;
    const fired: string[] = [];
    const d = new Debouncer<string>(100, 300, (k, v) => fired.push(`${k}:${v}`), () => now);
    const step = (ms: number) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    };
    d.touch('a', 'watch');
    step(50);
    d.touch('a', 'scan');
    step(60);
    expect(fired).toEqual([]);
    step(60);
    expect(fired).toEqual(['a:watch']);
    d.touch('b', 'watch');
    for (let i = 0; i < 10; i++) {
      step(50);
      d.touch('b', 'watch');
    }
    expect(fired).toEqual(['a:watch', 'b:watch']);
    d.touch('c', 'x');
    d.flushAll();
    expect(fired.at(-1)).toBe('c:x');
    expect(d.size).toBe(0);
    vi.useRealTimers();
  });
});

describe('safe reads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-read-'));
  mkdirSync(path.join(dir, 'ws'));
  const ws = path.join(dir, 'ws');
  it('reads text, flags binary and oversize, reports missing', async () => {
    writeFileSync(path.join(ws, 'a.c'), 'hi\n');
    writeFileSync(path.join(ws, 'b.c'), Buffer.from([1, 0, 2]));
    writeFileSync(path.join(ws, 'c.c'), 'x'.repeat(100));
    expect(await readFileSafely(path.join(ws, 'a.c'), ws, 10)).toMatchObject({ kind: 'text', text: 'hi\n', size: 3 });
    expect(await readFileSafely(path.join(ws, 'b.c'), ws, 10)).toMatchObject({ kind: 'binary', size: 3 });
    expect(await readFileSafely(path.join(ws, 'c.c'), ws, 10)).toMatchObject({ kind: 'truncated', size: 100 });
    expect(await readFileSafely(path.join(ws, 'nope.c'), ws, 10)).toEqual({ kind: 'missing' });
  });
  it('never follows symlinks or opens FIFOs, and refuses paths whose directory leaves the root', async () => {
    writeFileSync(path.join(dir, 'secret'), 'secret');
    symlinkSync(path.join(dir, 'secret'), path.join(ws, 'l.c'));
    execFileSync('mkfifo', [path.join(ws, 'f.c')]);
    symlinkSync(dir, path.join(ws, 'up'));
    expect(await readFileSafely(path.join(ws, 'l.c'), ws, 100)).toMatchObject({ kind: 'symlink', outside: true, target: path.join(dir, 'secret') });
    expect(await readFileSafely(path.join(ws, 'f.c'), ws, 100)).toEqual({ kind: 'special' });
    expect(await readFileSafely(path.join(ws, 'up/secret'), ws, 100)).toEqual({ kind: 'outside' });
  });
});

describe('where files are read', () => {
  const MOUNTINFO = [
    '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw',
    '40 22 0:38 / /srv/workspaces rw,relatime shared:20 - ext4 /dev/sdb1 rw',
    '41 40 0:52 / /srv/workspaces/os-1-202012180 rw,relatime shared:21 - nfs4 nfs.example.edu:/homes/202012180 rw,vers=4.2',
    '42 22 0:53 / /mnt/odd\\040name rw - fuse.sshfs host:/x rw',
  ].join('\n');
  const mounts = parseMountinfo(MOUNTINFO);
  it('finds the file system of a path from the longest mount point containing it', () => {
    expect(fsTypeOf(mounts, '/srv/workspaces/os-1-202012180/hw1/main.c')).toBe('nfs4');
    expect(fsTypeOf(mounts, '/srv/workspaces/os-1-202012181/hw1/main.c')).toBe('ext4');
    expect(fsTypeOf(mounts, '/srv/workspaces-old/x.c')).toBe('ext4'); // a prefix of the name is not a parent
    expect(fsTypeOf(mounts, '/mnt/odd name/a.c')).toBe('fuse.sshfs');
  });
  it('reads in a worker thread exactly what it reads inline, and refuses the same bad input', async () => {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'jcw-reader-'));
    writeFileSync(path.join(ws, 'a.c'), 'int main(void) { return 0; }\n');
    writeFileSync(path.join(ws, 'b.c'), Buffer.from([1, 0, 2]));
    writeFileSync(path.join(ws, 'c.c'), 'x'.repeat(100));
    execFileSync('mkfifo', [path.join(ws, 'f.c')]);
    symlinkSync('/etc/passwd', path.join(ws, 'l.c'));
    const inline = new FileReader(ws, 50, 'inline');
    const worker = new FileReader(ws, 50, 'worker');
    try {
      for (const name of ['a.c', 'b.c', 'c.c', 'f.c', 'l.c', 'missing.c']) {
        const a = await inline.read(path.join(ws, name));
        const b = await worker.read(path.join(ws, name));
        expect(b, name).toEqual(a);
      }
      expect(await worker.read(path.join(ws, 'a.c'))).toMatchObject({ kind: 'text', text: 'int main(void) { return 0; }\n' });
      expect(await worker.read(path.join(ws, 'c.c'))).toMatchObject({ kind: 'truncated', size: 100 });
      expect(await worker.read(path.join(ws, 'f.c'))).toEqual({ kind: 'special' });
      // auto: this tmp directory is on a local file system, so reads run inline.
      expect(new FileReader(ws, 50, 'auto').inline(path.join(ws, 'a.c'))).toBe(true);
    } finally {
      await worker.close();
    }
  });
});
