// Which paths are watched and reported: an ignore list of globs (applied to every ancestor, so an ignored
// directory hides everything below it) and an allow-list of extensions and exact names.
import path from 'node:path';
import { escapeRegExp } from '../../core/regexp.ts';

/** Compile a glob (`**`, `*`, `?`) matched against a whole `/`-separated relative path. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` is zero or more whole segments; a trailing `**` is anything.
      if (glob[i + 2] === '/') { src += '(?:[^/]*/)*'; i += 2; } else { src += '.*'; i += 1; }
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += escapeRegExp(c);
  }
  return new RegExp(`^${src}$`);
}

export class PathFilter {
  private readonly ignore: RegExp[];
  private readonly extensions: Set<string>;
  private readonly names: Set<string>;

  constructor(opts: { ignore: readonly string[]; extensions: readonly string[]; names: readonly string[] }) {
    this.ignore = opts.ignore.map(globToRegExp);
    this.extensions = new Set(opts.extensions);
    this.names = new Set(opts.names);
  }

  /** True when the path (relative to the root) or any of its ancestors matches an ignore glob. */
  ignored(rel: string): boolean {
    let end = rel.indexOf('/');
    for (;;) {
      const prefix = end === -1 ? rel : rel.slice(0, end);
      if (this.ignore.some((re) => re.test(prefix))) return true;
      if (end === -1) return false;
      end = rel.indexOf('/', end + 1);
    }
  }

  /** True when the file's name is on the allow-list (by extension or exact name). */
  allowed(rel: string): boolean {
    const base = path.posix.basename(rel);
    return this.names.has(base) || this.extensions.has(path.posix.extname(base));
  }
}
