// Content-addressed snapshot store on local disk: blobs/<aa>/<sha256>.gz (gzip level 1, written once, so
// reverts and starter code dedupe), plus the head of every file (its last reported version) in an append-only
// JSON-lines log that is compacted at open. The previous version of a file therefore survives a restart.
import { createReadStream, createWriteStream, mkdirSync, promises as fs, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

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
  private readonly blobsKnown = new Set<string>();
  private readonly dirsMade = new Set<string>();
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

  constructor(readonly dir: string) {}

  async open(): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'blobs'), { recursive: true });
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

  private blobPath(sha: string): string {
    return path.join(this.dir, 'blobs', sha.slice(0, 2), `${sha}.gz`);
  }

  /** Write a blob unless it exists. Returns true when a new blob was written. */
  async putBlob(sha: string, bytes: Buffer, text?: string): Promise<boolean> {
    if (text !== undefined) this.rememberText(sha, text);
    if (this.blobsKnown.has(sha)) return false;
    const p = this.blobPath(sha);
    const dir = path.dirname(p);
    if (!this.dirsMade.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.dirsMade.add(dir);
    }
    // Write-then-rename keeps blobs whole across a crash; renaming over an existing blob is harmless (same
    // content), which saves checking for it first.
    // Synchronous on purpose: the store is the agent's own node-local storage (hostPath or emptyDir, never the
    // students' volume), where a ~1 KB write and a rename take tens of µs; as promises they cost several times
    // that in thread-pool hand-offs (measured: ~250 vs ~60-160 µs of CPU per blob, one blob per save).
    const tmp = `${p}.${process.pid}.tmp`;
    writeFileSync(tmp, gzipSync(bytes, { level: 1 }));
    renameSync(tmp, p);
    this.blobsKnown.add(sha);
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
      return gunzipSync(await fs.readFile(this.blobPath(sha))).toString('utf8');
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.commit();
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((resolve) => log.end(resolve));
  }
}
