// Reads one file the way a privileged agent must: never through a symlink, never opening FIFOs, sockets or
// devices (an open on a FIFO blocks), never outside the workspaces root, bounded in size. The result is a
// typed observation (read-core.d.mts); every failure is a kind, not an exception.
//
// Synchronous on purpose, and plain JS so a worker thread loads it without a TS loader: read.ts runs it inline
// for files on local file systems (7 async fs calls cost ~180 µs of main-thread time per save, the same calls
// synchronously ~16 µs) and in a worker for network file systems, where a call can block for seconds.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CHUNK = 1 << 20;

function isValidText(buf) {
  if (buf.includes(0)) return false;
  try {
    utf8.decode(buf);
    return true;
  } catch {
    return false;
  }
}

function inside(real, rootReal) {
  return real === rootReal || real.startsWith(rootReal + path.sep);
}

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

function errKind(err) {
  const code = err?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'denied' };
  if (code === 'ELOOP') return { kind: 'special' }; // O_NOFOLLOW refused a symlink swapped in after lstat
  return { kind: 'error', message: err?.message ?? String(err) };
}

/**
 * @param {string} abs
 * @param {string} rootReal the workspaces root, already resolved with realpath
 * @param {number} maxBytes
 * @param {boolean} [deferLarge] return {kind:'large'} instead of hashing a file over maxBytes (the caller hashes
 *   it off the event loop)
 */
export function readFileSafelySync(abs, rootReal, maxBytes, deferLarge = false) {
  try {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      // A directory component may have been swapped for a symlink that leaves the root: check the real parent.
      if (!inside(realpathSync(path.dirname(abs)), rootReal)) return { kind: 'outside' };
      const target = readlinkSync(abs);
      const outside = !inside(path.resolve(path.dirname(abs), target), rootReal);
      // The link itself is the content we report: its target text, never what it points to.
      return { kind: 'symlink', target, sha256: sha256(`symlink:${target}`), size: Buffer.byteLength(target), mtimeMs: st.mtimeMs, ino: st.ino, outside };
    }
    if (st.isDirectory()) return { kind: 'directory' };
    if (!st.isFile()) return { kind: 'special' };
    if (deferLarge && st.size > maxBytes) return { kind: 'large' };

    const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const fst = fstatSync(fd);
      // Replaced between lstat and open: report what we opened only if it is still a regular file.
      if (!fst.isFile()) return { kind: 'special' };
      // Where the opened file really is (every directory component resolved by the kernel, no race): a
      // component swapped for a symlink that leaves the root is caught here, with one syscall.
      if (!inside(readlinkSync(`/proc/self/fd/${fd}`), rootReal)) return { kind: 'outside' };
      const meta = { size: fst.size, mtimeMs: fst.mtimeMs, ino: fst.ino };
      if (fst.size > maxBytes) {
        if (deferLarge) return { kind: 'large' };
        // Hash in chunks so a huge file never fills memory.
        const h = createHash('sha256');
        const buf = Buffer.allocUnsafe(CHUNK);
        let pos = 0;
        for (;;) {
          const n = readSync(fd, buf, 0, CHUNK, pos);
          if (n === 0) break;
          h.update(buf.subarray(0, n));
          pos += n;
        }
        return { kind: 'truncated', sha256: h.digest('hex'), ...meta, size: pos };
      }
      // Size the buffer from fstat (not the limit: a 1 MiB buffer per small file is all garbage), one byte
      // larger so growth is noticed; read at most maxBytes+1 so a file growing past the limit is flagged.
      // allocUnsafeSlow: a buffer of its own, not a slice of the shared pool (a pool slab stays alive while any
      // slice of it does: slices held until the blob write kept ~40 MB of slabs in the old generation).
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
        const n = readSync(fd, buf, len, buf.length - len, len);
        if (n === 0) break;
        len += n;
      }
      if (len > maxBytes) return { kind: 'truncated', sha256: sha256(buf.subarray(0, len)), ...meta, size: len };
      const bytes = len === buf.length ? buf : buf.subarray(0, len); // a view of this read's own buffer, no copy
      const hash = sha256(bytes);
      if (!isValidText(bytes)) return { kind: 'binary', sha256: hash, ...meta, size: len };
      return { kind: 'text', bytes, text: bytes.toString('utf8'), sha256: hash, ...meta, size: len };
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return errKind(err);
  }
}
