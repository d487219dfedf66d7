// Maps a path under the workspaces root to a student and assignment, using the configured layout pattern
// `{course}-{section}-{student}/{assignment}`: the first segment names the workspace, the optional second
// the assignment.
import path from 'node:path';
import { escapeRegExp } from '../../core/regexp.ts';

export interface Student {
  readonly course: string;
  readonly section: string;
  readonly studentId: string;
  /** The workspace directory's name (first path segment under the root). */
  readonly workspace: string;
}

export interface FileLocation {
  readonly student: Student;
  readonly assignment?: string;
  /** Path relative to the student's workspace directory, `/`-separated. */
  readonly relPath: string;
  /** Path relative to the workspaces root (workspace/relPath): the key of the snapshot store. */
  readonly key: string;
}

export type Located =
  | { kind: 'file'; location: FileLocation }
  | { kind: 'unmatched'; workspace: string }
  | { kind: 'outside' };

const PLACEHOLDER = /\{(course|section|student|assignment)\}/g;

function segmentRegex(segment: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const parts = segment.split(PLACEHOLDER);
  // split() with a capture group alternates literal, name, literal, name, …
  const placeholders = parts.filter((_, i) => i % 2 === 1).length;
  let seen = 0;
  let src = '';
  parts.forEach((p, i) => {
    if (i % 2 === 0) {
      src += escapeRegExp(p);
      return;
    }
    names.push(p);
    seen++;
    // The last placeholder of a segment may contain dashes (student IDs like `ab-12`).
    src += seen === placeholders ? '([^/]+)' : '([^/-]+)';
  });
  return { re: new RegExp(`^${src}$`), names };
}

export class WorkspaceLayout {
  private readonly workspace: ReturnType<typeof segmentRegex>;
  private readonly assignment?: ReturnType<typeof segmentRegex>;

  constructor(readonly root: string, pattern: string) {
    const segments = pattern.split('/').filter(Boolean);
    if (segments.length < 1 || segments.length > 2) {
      throw new Error(`workspaces.layout: expected one or two path segments, got "${pattern}"`);
    }
    this.workspace = segmentRegex(segments[0]!);
    for (const need of ['course', 'section', 'student']) {
      if (!this.workspace.names.includes(need)) throw new Error(`workspaces.layout: the first segment must contain {${need}}`);
    }
    if (segments[1]) {
      this.assignment = segmentRegex(segments[1]);
      if (this.assignment.names.join() !== 'assignment') throw new Error('workspaces.layout: the second segment must be exactly {assignment}');
    }
  }

  /** Parse a workspace directory name; undefined when it does not match the layout. */
  student(workspace: string): Student | undefined {
    const m = this.workspace.re.exec(workspace);
    if (!m || workspace.startsWith('.')) return undefined;
    const get = (n: string) => m[this.workspace.names.indexOf(n) + 1]!;
    return { course: get('course'), section: get('section'), studentId: get('student'), workspace };
  }

  /** Locate an absolute path. Directories are located like files (relPath is the directory). */
  locate(abs: string): Located {
    const rel = this.relative(abs);
    return rel === undefined ? { kind: 'outside' } : this.locateRel(rel);
  }

  /** Locate a directory like a file inside it, so its own name can be the assignment (a process's cwd). */
  locateDir(abs: string): Located {
    const rel = this.relative(abs);
    return rel === undefined ? { kind: 'outside' } : this.locateRel(`${rel}/.`);
  }

  /** `/`-separated path below the root; undefined for the root itself and paths outside it. */
  private relative(abs: string): string | undefined {
    const rel = path.relative(this.root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join('/');
  }

  locateRel(rel: string): Located {
    const segs = rel.split('/');
    const student = this.student(segs[0]!);
    if (!student) return { kind: 'unmatched', workspace: segs[0]! };
    const relPath = segs.slice(1).join('/');
    // A file directly in the workspace has no assignment; so does a layout without {assignment}.
    const assignment = this.assignment && segs.length > 2 && this.assignment.re.test(segs[1]!) ? segs[1] : undefined;
    return { kind: 'file', location: { student, assignment, relPath, key: rel } };
  }
}
