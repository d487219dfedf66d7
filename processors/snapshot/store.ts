// Content-addressed snapshot store on local disk. Blobs (gzip level 1, written once, so reverts and starter code
// dedupe) are appended to pack files, blobs/pack-NNNNNN.jcwpack, each record `sha256 (32 bytes) | length (u32 LE)
// | gzip bytes`, indexed in memory at open. One file per blob cost a file creation per save (~160 µs of kernel
// time on ext4, a third of the agent's CPU at 200 saves/s); an append costs a few µs. Stores written by earlier
// versions (blobs/<aa>/<sha256>.gz) are still read. The head of every file (its last reported version) is in an
// append-only JSON-lines log that is compacted at open, so the previous version of a file survives a restart.
import { closeSync, createReadStream, createWriteStream, fstatSync, ftruncateSync, openSync, promises as fs, readSync, readdirSync, writeSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const PACK_RECORD_HEADER = 36;
/** A pack is closed and a new one started past this size (bounded files, cheap to copy or inspect). */
const PACK_MAX_BYTES = 64 << 20;
const PACK_NAME = /^pack-(\d{6})\.jcwpack$/;

interface BlobAt { readonly pack: number; readonly offset: number; readonly length: number }

export interface Head {
  readonly sha256: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly version: number;
  /** Whether the content is stored as a blob (text files within the size limit). */
  readonly stored: boolean;
}

type LogLine = { k: string; h: Head } | { k: string; d: 1 };

export class SnapshotStore {
  private readonly heads = new Map<string, Head>();
  /**
   * Keys of `heads` by workspace (first path segment): the reconciliation scan asks for one workspace's keys per
   * workspace, and walking every head for each of them was O(workspaces × files) per scan.
   */
  private readonly byWorkspace = new Map<string, Set<string>>();
  private log: WriteStream | undefined;
  /** Head changes not yet in the log: written by commit(), once their records are safely exported. */
  private uncommitted: string[] = [];
  /** Where each blob is: pack number and offset of its gzip bytes. */
  private readonly blobs = new Map<string, BlobAt>();
  /** Open pack files (read and append), by number. */
  private readonly packFds = new Map<number, number>();
  private packNo = 0;
  private packSize = 0;
  /**
   * Text of recently written blobs, by hash: the next save of a file diffs against its last version without a
   * disk read. Strings, not Buffers: a small Buffer is a view of a shared 8 KiB slab and would keep it alive.
   */
  private readonly recent = new Map<string, string>();
  /**
   * How many heads have each content. A text whose last head moved on is dropped from `recent` at once (the next
   * save diffs against the new head): at 200 saves/s over 9,000 files the superseded versions were most of the
   * cache (~15 MB of ~29).
   */
  private readonly shaRefs = new Map<string, number>();
  private recentBytes = 0;
  private static readonly RECENT_MAX_BYTES = 32 << 20;

  constructor(readonly dir: string, private readonly packMaxBytes = PACK_MAX_BYTES) {}

  async open(): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'blobs'), { recursive: true });
    this.openPacks();
    const logPath = path.join(this.dir, 'heads.jsonl');
    let lines = 0;
    try {
      const rl = (await import('node:readline')).createInterface({ input: createReadStream(logPath), crlfDelay: Infinity });
      for await (const line of rl) {
        if (!line) continue;
        lines++;
        let rec: LogLine;
        try {
          rec = JSON.parse(line) as LogLine;
        } catch {
          continue; // a torn last line after a crash
        }
        if ('d' in rec) this.forget(rec.k);
        else this.remember(rec.k, rec.h);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (lines > this.heads.size * 2 + 100) await this.compact(logPath);
    this.log = createWriteStream(logPath, { flags: 'a' });
  }

  private async compact(logPath: string): Promise<void> {
    const tmp = `${logPath}.tmp`;
    const body = [...this.heads].map(([k, h]) => JSON.stringify({ k, h })).join('\n');
    await fs.writeFile(tmp, body ? body + '\n' : '');
    await fs.rename(tmp, logPath);
  }

  head(key: string): Head | undefined {
    return this.heads.get(key);
  }

  /** Keys whose path starts with `prefix/` (one student workspace, or a directory inside one). */
  *keysUnder(prefix: string): Iterable<[string, Head]> {
    const p = prefix + '/';
    const keys = this.byWorkspace.get(prefix.split('/', 1)[0]!);
    if (!keys) return;
    // A copy: callers may delete heads while iterating.
    for (const k of [...keys]) {
      const h = this.heads.get(k);
      if (h && k.startsWith(p)) yield [k, h];
    }
  }

  private remember(key: string, head: Head): void {
    const old = this.heads.get(key);
    if (!old) {
      const ws = key.split('/', 1)[0]!;
      let keys = this.byWorkspace.get(ws);
      if (!keys) this.byWorkspace.set(ws, (keys = new Set()));
      keys.add(key);
    }
    this.heads.set(key, head);
    if (old?.sha256 !== head.sha256) {
      this.shaRefs.set(head.sha256, (this.shaRefs.get(head.sha256) ?? 0) + 1);
      if (old) this.unref(old.sha256);
    }
  }

  private forget(key: string): boolean {
    const old = this.heads.get(key);
    if (!old) return false;
    this.heads.delete(key);
    this.unref(old.sha256);
    const ws = key.split('/', 1)[0]!;
    const keys = this.byWorkspace.get(ws);
    keys?.delete(key);
    if (keys?.size === 0) this.byWorkspace.delete(ws);
    return true;
  }

  /** No head has this content any more: nothing will diff against it, so its cached text goes. */
  private unref(sha: string): void {
    const n = (this.shaRefs.get(sha) ?? 0) - 1;
    if (n > 0) return void this.shaRefs.set(sha, n);
    this.shaRefs.delete(sha);
    const text = this.recent.get(sha);
    if (text === undefined) return;
    this.recent.delete(sha);
    this.recentBytes -= text.length;
  }

  setHead(key: string, head: Head): void {
    this.remember(key, head);
    this.uncommitted.push(JSON.stringify({ k: key, h: head }));
  }

  deleteHead(key: string): void {
    if (!this.forget(key)) return;
    this.uncommitted.push(JSON.stringify({ k: key, d: 1 }));
  }

  /**
   * Persist head changes. Called only after the records they describe reached the exporters (a file, or the
   * OTLP spool): if the agent dies before that, the heads on disk are older than the files, and the start-up
   * scan reports those saves again instead of losing them.
   */
  async commit(): Promise<void> {
    if (this.uncommitted.length === 0 || !this.log) return;
    const lines = this.uncommitted.join('\n') + '\n';
    this.uncommitted = [];
    const log = this.log;
    await new Promise<void>((resolve, reject) => log.write(lines, (err) => (err ? reject(err) : resolve())));
  }

  /** Blobs of stores written before pack files. */
  private legacyBlobPath(sha: string): string {
    return path.join(this.dir, 'blobs', sha.slice(0, 2), `${sha}.gz`);
  }

  /** Index every pack; a record torn by a crash mid-append is cut off (it was never referenced by a head). */
  private openPacks(): void {
    const dir = path.join(this.dir, 'blobs');
    const numbers = readdirSync(dir).map((f) => PACK_NAME.exec(f)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
    const header = Buffer.alloc(PACK_RECORD_HEADER);
    for (const n of numbers) {
      const fd = openSync(this.packPath(n), 'a+'); // O_APPEND: writes always go to the end
      this.packFds.set(n, fd);
      const size = fstatSync(fd).size;
      let off = 0;
      while (off + PACK_RECORD_HEADER <= size && readSync(fd, header, 0, PACK_RECORD_HEADER, off) === PACK_RECORD_HEADER) {
        const length = header.readUInt32LE(32);
        if (off + PACK_RECORD_HEADER + length > size) break;
        this.blobs.set(header.toString('hex', 0, 32), { pack: n, offset: off + PACK_RECORD_HEADER, length });
        off += PACK_RECORD_HEADER + length;
      }
      if (off < size) ftruncateSync(fd, off);
      this.packNo = n;
      this.packSize = off;
    }
    if (numbers.length === 0) this.startPack(1);
  }

  private packPath(n: number): string {
    return path.join(this.dir, 'blobs', `pack-${String(n).padStart(6, '0')}.jcwpack`);
  }

  private startPack(n: number): void {
    this.packFds.set(n, openSync(this.packPath(n), 'a+'));
    this.packNo = n;
    this.packSize = 0;
  }

  /** Write a blob unless it exists. Returns true when a new blob was written. */
  async putBlob(sha: string, bytes: Buffer, text?: string): Promise<boolean> {
    if (text !== undefined) this.rememberText(sha, text);
    if (this.blobs.has(sha)) return false;
    if (this.packSize >= this.packMaxBytes) this.startPack(this.packNo + 1);
    // Synchronous on purpose: an append to the agent's own node-local storage (hostPath or emptyDir, never the
    // students' volume) takes a few µs; as a promise it costs several times that in thread-pool hand-offs.
    const gz = gzipSync(bytes, { level: 1 });
    const rec = Buffer.allocUnsafe(PACK_RECORD_HEADER + gz.length);
    rec.write(sha, 0, 32, 'hex');
    rec.writeUInt32LE(gz.length, 32);
    gz.copy(rec, PACK_RECORD_HEADER);
    const fd = this.packFds.get(this.packNo)!;
    let done = 0;
    while (done < rec.length) done += writeSync(fd, rec, done, rec.length - done);
    this.blobs.set(sha, { pack: this.packNo, offset: this.packSize + PACK_RECORD_HEADER, length: gz.length });
    this.packSize += rec.length;
    return true;
  }

  private rememberText(sha: string, text: string): void {
    if (this.recent.has(sha) || text.length > SnapshotStore.RECENT_MAX_BYTES / 64) return;
    this.recent.set(sha, text);
    this.recentBytes += text.length;
    // Oldest first (Map order): a bounded cache of the working set of files being edited.
    for (const [k, v] of this.recent) {
      if (this.recentBytes <= SnapshotStore.RECENT_MAX_BYTES) break;
      this.recent.delete(k);
      this.recentBytes -= v.length;
    }
  }

  /** The text of a stored version (from memory when recent). */
  async getText(sha: string): Promise<string | undefined> {
    const hit = this.recent.get(sha);
    if (hit !== undefined) return hit;
    try {
      const at = this.blobs.get(sha);
      if (!at) return gunzipSync(await fs.readFile(this.legacyBlobPath(sha))).toString('utf8');
      const gz = Buffer.allocUnsafe(at.length);
      readSync(this.packFds.get(at.pack)!, gz, 0, at.length, at.offset);
      return gunzipSync(gz).toString('utf8');
    } catch {
      return undefined; // missing or damaged: the next save is reported without a diff
    }
  }

  async close(): Promise<void> {
    await this.commit();
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(resolve));
    for (const fd of this.packFds.values()) closeSync(fd);
    this.packFds.clear();
  }
}
