// Reads one file the way a privileged agent must: never through a symlink, never opening FIFOs, sockets or
// devices (an open on a FIFO blocks), never outside the workspaces root, bounded in size. The result is a
// typed observation; every failure is a kind, not an exception.
import { createHash } from 'node:crypto';
import { constants, promises as fs, readlinkSync } from 'node:fs';
import path from 'node:path';

export type Content =
  | { kind: 'text'; bytes: Buffer; text: string; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'binary'; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'truncated'; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'symlink'; target: string; sha256: string; size: number; mtimeMs: number; ino: number; outside: boolean }
  | { kind: 'directory' }
  | { kind: 'special' }
  | { kind: 'missing' }
  | { kind: 'outside' }
  | { kind: 'denied' }
  | { kind: 'error'; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CHUNK = 1 << 20;

function isValidText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    utf8.decode(buf);
    return true;
  } catch {
    return false;
  }
}

function inside(real: string, rootReal: string): boolean {
  return real === rootReal || real.startsWith(rootReal + path.sep);
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function errKind(err: unknown): Content {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'denied' };
  if (code === 'ELOOP') return { kind: 'special' }; // O_NOFOLLOW refused a symlink swapped in after lstat
  return { kind: 'error', message: (err as Error).message };
}

/**
 * @param rootReal the workspaces root, already resolved with realpath.
 */
export async function readFileSafely(abs: string, rootReal: string, maxBytes: number): Promise<Content> {
  try {
    const st = await fs.lstat(abs);
    if (st.isSymbolicLink()) {
      // A directory component may have been swapped for a symlink that leaves the root: check the real parent.
      if (!inside(await fs.realpath(path.dirname(abs)), rootReal)) return { kind: 'outside' };
      const target = await fs.readlink(abs);
      const outside = !inside(path.resolve(path.dirname(abs), target), rootReal);
      // The link itself is the content we report: its target text, never what it points to.
      return { kind: 'symlink', target, sha256: sha256(`symlink:${target}`), size: Buffer.byteLength(target), mtimeMs: st.mtimeMs, ino: st.ino, outside };
    }
    if (st.isDirectory()) return { kind: 'directory' };
    if (!st.isFile()) return { kind: 'special' };

    const fh = await fs.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const fst = await fh.stat();
      // Replaced between lstat and open: report what we opened only if it is still a regular file.
      if (!fst.isFile()) return { kind: 'special' };
      // Where the opened file really is (every directory component resolved by the kernel, no race): a
      // component swapped for a symlink that leaves the root is caught here, with one syscall.
      // Synchronous: procfs answers from the kernel's dentry cache, never from the students' filesystem, so it
      // cannot block; as a promise it was one more thread-pool round trip per save.
      if (!inside(readlinkSync(`/proc/self/fd/${fh.fd}`), rootReal)) return { kind: 'outside' };
      const meta = { size: fst.size, mtimeMs: fst.mtimeMs, ino: fst.ino };
      if (fst.size > maxBytes) {
        // Hash in chunks so a huge file neither fills memory nor blocks the loop for long.
        const h = createHash('sha256');
        const buf = Buffer.allocUnsafe(CHUNK);
        let pos = 0;
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          h.update(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
        return { kind: 'truncated', sha256: h.digest('hex'), ...meta, size: pos };
      }
      // Size the buffer from fstat (not the limit: a 1 MiB buffer per small file is all garbage), one byte
      // larger so growth is noticed; read at most maxBytes+1 so a file growing past the limit is flagged.
      // allocUnsafeSlow: a buffer of its own, not a slice of the shared pool. A pool slab (64 KiB) stays alive
      // while any slice of it does; slices held across the async read and the blob write got slabs promoted to
      // the old generation, where they stayed until the next full GC (arrayBuffers ~40 MB at 200 saves/s).
      let buf = Buffer.allocUnsafeSlow(Math.min(fst.size + 1, maxBytes + 1));
      let len = 0;
      for (;;) {
        if (len === buf.length) {
          if (buf.length > maxBytes) break;
          // The file grew while we read it: keep reading, up to the limit.
          const bigger = Buffer.allocUnsafeSlow(Math.min(buf.length * 2, maxBytes + 1));
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
        if (bytesRead === 0) break;
        len += bytesRead;
      }
      if (len > maxBytes) return { kind: 'truncated', sha256: sha256(buf.subarray(0, len)), ...meta, size: len };
      const bytes = len === buf.length ? buf : buf.subarray(0, len); // a view of this read's own buffer, no copy
      const hash = sha256(bytes);
      if (!isValidText(bytes)) return { kind: 'binary', sha256: hash, ...meta, size: len };
      return { kind: 'text', bytes, text: bytes.toString('utf8'), sha256: hash, ...meta, size: len };
    } finally {
      await fh.close();
    }
  } catch (err) {
    return errKind(err);
  }
}
