// Content-addressed snapshot store on local disk: blobs/<aa>/<sha256>.gz (gzip level 1, written once, so
// reverts and starter code dedupe), plus the head of every file (its last reported version) in an append-only
// JSON-lines log that is compacted at open. The previous version of a file therefore survives a restart.
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
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
        if ('d' in rec) this.heads.delete(rec.k);
        else this.heads.set(rec.k, rec.h);
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

  /** Keys whose path starts with `prefix/` (one student workspace). */
  *keysUnder(prefix: string): Iterable<[string, Head]> {
    const p = prefix + '/';
    for (const e of this.heads) if (e[0].startsWith(p)) yield e;
  }

  setHead(key: string, head: Head): void {
    this.heads.set(key, head);
    this.uncommitted.push(JSON.stringify({ k: key, h: head }));
  }

  deleteHead(key: string): void {
    if (!this.heads.delete(key)) return;
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
    if (text !== undefined) this.remember(sha, text);
    if (this.blobsKnown.has(sha)) return false;
    const p = this.blobPath(sha);
    const dir = path.dirname(p);
    if (!this.dirsMade.has(dir)) {
      await fs.mkdir(dir, { recursive: true });
      this.dirsMade.add(dir);
    }
    // Write-then-rename keeps blobs whole across a crash; renaming over an existing blob is harmless (same
    // content), which saves checking for it first.
    const tmp = `${p}.${process.pid}.tmp`;
    await fs.writeFile(tmp, gzipSync(bytes, { level: 1 }));
    await fs.rename(tmp, p);
    this.blobsKnown.add(sha);
    return true;
  }

  private remember(sha: string, text: string): void {
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
