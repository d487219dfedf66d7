// The snapshot store's blob packs: what was put is read back after a restart, a record torn by a crash is cut
// off without losing the others, packs roll over, and stores written before packs are still read.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SnapshotStore } from '../../processors/snapshot/store.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function put(store: SnapshotStore, text: string): Promise<boolean> {
  return store.putBlob(sha(text), Buffer.from(text));
}

describe('snapshot store packs', () => {
  it('reads back every blob after a restart, and stores each content once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-store-'));
    const a = new SnapshotStore(dir);
    await a.open();
    const texts = Array.from({ length: 50 }, (_, i) => `int v${i} = ${i};\n`.repeat(i + 1));
    for (const t of texts) expect(await put(a, t)).toBe(true);
    expect(await put(a, texts[3]!)).toBe(false); // same content: not written again
    await a.close();
    const b = new SnapshotStore(dir);
    await b.open();
    for (const t of texts) expect(await b.getText(sha(t))).toBe(t);
    expect(await put(b, texts[7]!)).toBe(false); // known from the pack index after the restart
    expect(await b.getText(sha('never stored'))).toBeUndefined();
    await b.close();
  });

  it('cuts off a record torn by a crash mid-append and keeps appending after the last whole one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-store-'));
    const a = new SnapshotStore(dir);
    await a.open();
    await put(a, 'first\n');
    await put(a, 'second\n');
    await a.close();
    const pack = path.join(dir, 'blobs', 'pack-000001.jcwpack');
    const whole = statSync(pack).size;
    // A header promising 1000 bytes, followed by only 10 of them.
    const torn = Buffer.alloc(46);
    torn.write(sha('third\n'), 0, 32, 'hex');
    torn.writeUInt32LE(1000, 32);
    appendFileSync(pack, torn);
    const b = new SnapshotStore(dir);
    await b.open();
    expect(statSync(pack).size).toBe(whole);
    expect(await b.getText(sha('third\n'))).toBeUndefined();
    expect(await put(b, 'third\n')).toBe(true);
    expect(await b.getText(sha('second\n'))).toBe('second\n');
    await b.close();
    const c = new SnapshotStore(dir);
    await c.open();
    for (const t of ['first\n', 'second\n', 'third\n']) expect(await c.getText(sha(t))).toBe(t);
    await c.close();
  });

  it('starts a new pack past the size limit, and reads blobs of the older one-file-per-blob layout', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-store-'));
    const old = 'legacy blob\n';
    mkdirSync(path.join(dir, 'blobs', sha(old).slice(0, 2)), { recursive: true });
    writeFileSync(path.join(dir, 'blobs', sha(old).slice(0, 2), `${sha(old)}.gz`), gzipSync(old));
    const a = new SnapshotStore(dir, 200);
    await a.open();
    const texts = Array.from({ length: 20 }, (_, i) => `/* ${i} */ ${'x'.repeat(100 + i)}\n`);
    for (const t of texts) await put(a, t);
    await a.close();
    expect(readdirSync(path.join(dir, 'blobs')).filter((f) => f.endsWith('.jcwpack')).length).toBeGreaterThan(1);
    const b = new SnapshotStore(dir, 200);
    await b.open();
    for (const t of texts) expect(await b.getText(sha(t))).toBe(t);
    expect(await b.getText(sha(old))).toBe(old);
    await b.close();
  });
});
