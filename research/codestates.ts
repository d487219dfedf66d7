// Code states per student and assignment: which file holds which content (by hash) after each event, and
// ProgSnap2's Directory representation of them (`CodeStates/<CodeStateID>/<files>`). State is one hash per
// file the student has, never the contents, so memory grows with files, not with saves.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ResearchEvent, Who } from './events.ts';

interface State {
  readonly files: Map<string, string>;
  id?: string;
}

export class CodeStates {
  private readonly states = new Map<string, State>();
  /** Distinct code-state directories written. */
  written = 0;

  /**
   * @param outDir where `CodeStates/` goes; undefined computes IDs only (the report).
   * @param blobPath where the content of a hash is (written while reading the input).
   */
  constructor(private readonly outDir: string | undefined, private readonly blobPath: (sha: string) => string) {}

  private state(who: Who): State {
    const key = `${who.subject}\0${who.course}\0${who.section}\0${who.assignment}`;
    let s = this.states.get(key);
    if (!s) {
      s = { files: new Map() };
      this.states.set(key, s);
    }
    return s;
  }

  /** Apply a file event to its student's state. */
  apply(ev: ResearchEvent): void {
    const s = this.state(ev.who);
    if (ev.k === 'save') {
      if (ev.content && ev.sha) s.files.set(ev.path, ev.sha);
      else s.files.delete(ev.path);
    } else if (ev.k === 'delete') s.files.delete(ev.path);
    else if (ev.k === 'rename') {
      const sha = ev.sha ?? s.files.get(ev.oldPath);
      s.files.delete(ev.oldPath);
      if (sha) s.files.set(ev.path, sha);
    } else return;
    s.id = undefined;
  }

  /** The CodeStateID of a student's current state (written to CodeStates/ the first time it is seen). */
  current(who: Who): string {
    const s = this.state(who);
    if (s.id) return s.id;
    const entries = [...s.files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const h = createHash('sha256');
    for (const [p, sha] of entries) h.update(`${p}\0${sha}\n`);
    // Identical states (the same starter code, a revert) share one ID and one directory.
    s.id = h.digest('hex').slice(0, 32);
    if (this.outDir) this.materialise(s.id, entries);
    return s.id;
  }

  private materialise(id: string, entries: readonly [string, string][]): void {
    const dir = path.join(this.outDir!, 'CodeStates', id);
    if (existsSync(dir)) return;
    // Files first into a temporary name, then one rename: a crash never leaves a half-written state.
    const tmp = `${dir}.partial`;
    mkdirSync(tmp, { recursive: true });
    for (const [p, sha] of entries) {
      const dest = path.join(tmp, ...p.split('/'));
      mkdirSync(path.dirname(dest), { recursive: true });
      const src = this.blobPath(sha);
      if (!existsSync(dest)) {
        try {
          linkSync(src, dest);
        } catch {
          copyFileSync(src, dest);
        }
      }
    }
    renameDir(tmp, dir);
    this.written++;
  }
}

function renameDir(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
}
