// Turns file observations into save, delete and rename records: compares each with the last snapshot of that
// file (same hash: nothing emitted), diffs text against it in a worker, stores the new version, and pairs a
// delete with a same-content create in the same workspace into a rename.
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { Component, Consumer, Host } from '../../core/component.ts';
import type { EventRecord } from '../../core/records.ts';
import type { FileLocation } from '../../receiver/files/layout.ts';
import type { FileObservation } from '../../receiver/files/receiver.ts';
import { ATTR, EVENTS, METRICS } from '../../telemetry/schema.ts';
import { DiffWorker } from './diff.ts';
import { isNotebook, summarizeNotebook } from './notebook.ts';
import type { Head, SnapshotStore } from './store.ts';

export interface SnapshotProcessorConfig {
  diffTimeoutMs: number;
  diffMaxBytes: number;
  renameWindowMs: number;
}

/** How often snapshot heads are checkpointed (after flushing the exporters). */
const COMMIT_INTERVAL_MS = 250;

interface PendingDelete {
  key: string;
  location: FileLocation;
  head: Head;
  detectedBy: FileObservation['detectedBy'];
  at: number;
  timer: NodeJS.Timeout;
}

export function locationAttributes(loc: FileLocation): Attributes {
  const ext = path.posix.extname(loc.relPath);
  const attrs: Attributes = {
    [ATTR.EDU_COURSE.name]: loc.student.course,
    [ATTR.EDU_SECTION.name]: loc.student.section,
    [ATTR.EDU_STUDENT_ID.name]: loc.student.studentId,
    [ATTR.FILE_PATH.name]: loc.relPath,
    [ATTR.FILE_NAME.name]: path.posix.basename(loc.relPath),
  };
  if (loc.assignment) attrs[ATTR.EDU_ASSIGNMENT.name] = loc.assignment;
  if (ext.length > 1) attrs[ATTR.FILE_EXTENSION.name] = ext.slice(1);
  return attrs;
}

export class SnapshotProcessor implements Component, Consumer<FileObservation> {
  private host!: Host;
  private readonly diff: DiffWorker;
  /** Per-file chains keep observations of one file in order while different files proceed in parallel. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pendingDeletes = new Map<string, PendingDelete>();
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly cfg: SnapshotProcessorConfig,
    private readonly store: SnapshotStore,
    private readonly next: Consumer<EventRecord>,
    /** Flushes the exporters, so records are on disk (file or spool) before their heads are committed. */
    private readonly flushExporters: () => Promise<void> = async () => undefined,
  ) {
    this.diff = new DiffWorker(cfg.diffTimeoutMs, cfg.diffMaxBytes);
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    await this.store.open();
  }

  consume(obs: FileObservation): void {
    const key = obs.location.key;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.then(() => this.handle(obs)).catch((err) => {
      this.host.metrics.inc(METRICS.ERRORS, { component: 'snapshot' });
      this.host.log.error('failed to process a file observation', { path: key, error: (err as Error).message });
    });
    this.chains.set(key, run);
    void run.finally(() => {
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
  }

  /** Wait for everything consumed so far, then emit deletes still waiting for a rename partner. */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
    for (const p of [...this.pendingDeletes.values()]) this.emitDelete(p);
  }

  async shutdown(): Promise<void> {
    await this.drain();
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.committing;
    await this.checkpoint();
    await this.diff.close();
    await this.store.close();
  }

  private scheduleCommit(): void {
    if (this.commitTimer) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      this.committing = this.committing.then(() => this.checkpoint());
    }, COMMIT_INTERVAL_MS);
  }

  private async checkpoint(): Promise<void> {
    try {
      await this.flushExporters();
      await this.store.commit();
    } catch (err) {
      this.host.metrics.inc(METRICS.ERRORS, { component: 'snapshot' });
      this.host.log.error('snapshot checkpoint failed', { error: (err as Error).message });
    }
  }

  private async handle(obs: FileObservation): Promise<void> {
    const { location: loc, content } = obs;
    const head = this.store.head(loc.key);
    if (content.kind !== 'missing') this.cancelDelete(loc.key);
    if (content.kind === 'missing') {
      if (head) this.scheduleDelete(loc, head, obs.detectedBy);
      return;
    }
    if (head && head.sha256 === content.sha256) {
      this.host.metrics.inc(METRICS.FILE_UNCHANGED);
      // Remember the new stat identity so the next scan does not read it again.
      if (head.mtimeMs !== content.mtimeMs || head.ino !== content.ino || head.size !== content.size) {
        this.store.setHead(loc.key, { ...head, mtimeMs: content.mtimeMs, ino: content.ino, size: content.size });
      }
      return;
    }
    const stored = content.kind === 'text';
    const newHead: Head = { sha256: content.sha256, size: content.size, mtimeMs: content.mtimeMs, ino: content.ino, version: (head?.version ?? 0) + 1, stored };
    if (stored && (await this.store.putBlob(content.sha256, content.bytes, content.text))) this.host.metrics.inc(METRICS.SNAPSHOT_BLOBS);

    if (!head) {
      const partner = this.takeRenamePartner(loc, content.sha256);
      if (partner) {
        this.store.deleteHead(partner.key);
        this.store.setHead(loc.key, { ...newHead, version: partner.head.version });
        this.emit(EVENTS.FILE_RENAME, obs, '', {
          [ATTR.JCODE_FILE_OLD_PATH.name]: partner.location.relPath,
          [ATTR.JCODE_FILE_SHA256.name]: content.sha256,
          [ATTR.FILE_SIZE.name]: content.size,
        });
        return;
      }
    }

    const attrs: Attributes = {
      [ATTR.FILE_SIZE.name]: content.size,
      [ATTR.JCODE_FILE_SHA256.name]: content.sha256,
      [ATTR.JCODE_FILE_VERSION.name]: newHead.version,
    };
    if (head) attrs[ATTR.JCODE_FILE_PREVIOUS_SHA256.name] = head.sha256;
    let body = '';
    switch (content.kind) {
      case 'text': {
        body = content.text;
        const nb = isNotebook(loc.relPath) ? this.notebookAttributes(content.text, attrs) : undefined;
        const diff = await this.diffAgainst(loc, head, nb?.codeText ?? content.text, nb?.codeTextOf);
        Object.assign(attrs, diff);
        break;
      }
      case 'binary':
        attrs[ATTR.JCODE_FILE_BINARY.name] = true;
        this.host.metrics.inc(METRICS.FILE_FLAGGED, { flag: 'binary' });
        break;
      case 'truncated':
        attrs[ATTR.JCODE_FILE_TRUNCATED.name] = true;
        this.host.metrics.inc(METRICS.FILE_FLAGGED, { flag: 'truncated' });
        break;
      case 'symlink':
        attrs[ATTR.JCODE_FILE_SYMLINK.name] = true;
        attrs[ATTR.FILE_SYMLINK_TARGET.name] = content.target;
        this.host.metrics.inc(METRICS.FILE_FLAGGED, { flag: 'symlink' });
        if (content.outside) this.host.metrics.inc(METRICS.FILE_SKIPPED, { reason: 'symlink_outside' });
        break;
    }
    this.store.setHead(loc.key, newHead);
    this.emit(EVENTS.FILE_SAVE, obs, body, attrs);
    if (obs.detectedBy === 'watch') this.host.metrics.observe(METRICS.SAVE_LATENCY, Math.max(0, Date.now() - content.mtimeMs) / 1000);
  }

  /** A readable notebook's save: outcomes and cell count added to attrs; the diff goes over its code cells. */
  private notebookAttributes(text: string, attrs: Attributes): { codeText: string; codeTextOf: (old: string) => string | undefined } | undefined {
    const nb = summarizeNotebook(text);
    this.host.metrics.inc(METRICS.NOTEBOOK_SAVES, { result: nb.valid ? 'parsed' : 'invalid' });
    if (!nb.valid) {
      attrs[ATTR.JCODE_NOTEBOOK_INVALID.name] = true;
      attrs[ATTR.JCODE_NOTEBOOK_ERROR.name] = nb.error;
      return undefined;
    }
    attrs[ATTR.JCODE_NOTEBOOK_CELL_COUNT.name] = nb.cellCount;
    attrs[ATTR.JCODE_NOTEBOOK_CELL_OUTCOMES.name] = nb.outcomes;
    // A previous version that was not a readable notebook has no code text: counted as a first save.
    return { codeText: nb.codeText, codeTextOf: (old) => { const o = summarizeNotebook(old); return o.valid ? o.codeText : undefined; } };
  }

  /** `canonical` turns the previous version's text into what `text` is (a notebook's code cells). */
  private async diffAgainst(loc: FileLocation, head: Head | undefined, text: string, canonical?: (old: string) => string | undefined): Promise<Attributes> {
    const lines = (s: string) => (s === '' ? 0 : s.split('\n').length - (s.endsWith('\n') ? 1 : 0));
    // A first save (or a previous version that was not text) counts every line as added, with no diff.
    const stored = head?.stored ? await this.store.getText(head.sha256) : undefined;
    const old = stored !== undefined && canonical ? canonical(stored) : stored;
    if (old === undefined) return { [ATTR.JCODE_FILE_LINES_ADDED.name]: lines(text), [ATTR.JCODE_FILE_LINES_REMOVED.name]: 0 };
    const r = await this.diff.diff(loc.relPath, old, text);
    this.host.metrics.observe(METRICS.DIFF_DURATION, r.ms / 1000);
    const attrs: Attributes = { [ATTR.JCODE_FILE_LINES_ADDED.name]: r.added, [ATTR.JCODE_FILE_LINES_REMOVED.name]: r.removed };
    if (r.diff !== undefined) attrs[ATTR.JCODE_FILE_DIFF.name] = r.diff;
    if (r.truncated) {
      attrs[ATTR.JCODE_FILE_DIFF_TRUNCATED.name] = true;
      this.host.metrics.inc(METRICS.FILE_FLAGGED, { flag: 'diff_truncated' });
    }
    return attrs;
  }

  private scheduleDelete(location: FileLocation, head: Head, detectedBy: FileObservation['detectedBy']): void {
    const key = location.key;
    if (this.pendingDeletes.has(key)) return;
    const p: PendingDelete = {
      key, location, head, detectedBy, at: Date.now(),
      timer: setTimeout(() => this.emitDelete(p), this.cfg.renameWindowMs),
    };
    this.pendingDeletes.set(key, p);
  }

  private cancelDelete(key: string): void {
    const p = this.pendingDeletes.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pendingDeletes.delete(key);
  }

  private takeRenamePartner(loc: FileLocation, sha: string): PendingDelete | undefined {
    for (const p of this.pendingDeletes.values()) {
      if (p.head.sha256 === sha && p.location.student.workspace === loc.student.workspace) {
        clearTimeout(p.timer);
        this.pendingDeletes.delete(p.key);
        return p;
      }
    }
    return undefined;
  }

  private emitDelete(p: PendingDelete): void {
    clearTimeout(p.timer);
    if (!this.pendingDeletes.delete(p.key)) return;
    this.store.deleteHead(p.key);
    this.emitRecord(EVENTS.FILE_DELETE, p.location, p.detectedBy, p.at, '', { [ATTR.JCODE_FILE_PREVIOUS_SHA256.name]: p.head.sha256 });
  }

  private emit(event: EventRecord['event'], obs: FileObservation, body: string, extra: Attributes): void {
    this.emitRecord(event, obs.location, obs.detectedBy, obs.observedAt, body, extra);
  }

  private emitRecord(event: EventRecord['event'], loc: FileLocation, detectedBy: string, at: number, body: string, extra: Attributes): void {
    const attributes = { ...locationAttributes(loc), [ATTR.JCODE_FILE_DETECTED_BY.name]: detectedBy, ...extra };
    const kind = event === EVENTS.FILE_SAVE ? 'save' : event === EVENTS.FILE_DELETE ? 'delete' : 'rename';
    this.host.metrics.inc(METRICS.FILE_EVENTS, { event: kind, detected_by: detectedBy });
    this.next.consume({ event, timestampMs: at, body, attributes });
    this.scheduleCommit();
  }
}
