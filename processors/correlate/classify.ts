// Classifies a process image for tracing. Works on base names (never one distribution's install paths):
// the name passed to exec, the shebang target when the program is started through `env`, the name of the
// file actually mapped (`x86_64-linux-gnu-gcc-12` for `gcc`, `python3.12` for a virtualenv's `python3`) and
// the script interpreter. The resolved path only decides "in the student's workspace" and helper directories.
import path from 'node:path';
import type { ExecKind } from './types.ts';

/** Patterns are matched against base names; a named group `tool` gives the span name (else the base name). */
export interface ClassifierConfig {
  readonly compilers: readonly RegExp[];
  readonly buildTools: readonly RegExp[];
  readonly interpreters: readonly RegExp[];
  /** Programs a compiler driver runs (cc1, as, ld…): spans only below a spanned ancestor. */
  readonly toolchain: readonly RegExp[];
  /** Programs that exec another program in the same process (`env`): looked through to their target. */
  readonly launchers: readonly RegExp[];
  /** Shells: never spans, and a shell script in the workspace is not a student-built program. */
  readonly shells: readonly RegExp[];
  /** Absolute paths of version-manager helpers (pyenv, asdf): always `other`, whatever their name. */
  readonly helperPaths: readonly RegExp[];
}

// Cross-compiler triplet prefix (2–4 parts: `x86_64-linux-gnu-`, `arm-none-eabi-`, `riscv64-unknown-linux-gnu-`)
// and version suffix (`-12`, `-17.0`). Two parts minimum so a student's `my-cc` is not a compiler.
const TRIPLET = '(?:[a-z0-9_]+(?:-[a-z0-9_]+){1,3}-)?';
const VERSION = '(?:-[0-9][0-9.]*)?';

export const DEFAULT_CLASSIFIER_CONFIG: ClassifierConfig = {
  compilers: [new RegExp(`^${TRIPLET}(?<tool>gcc|g\\+\\+|cc|c\\+\\+|clang\\+\\+|clang|c89|c99)${VERSION}$`)],
  buildTools: [/^(?<tool>make|gmake|cmake|ninja)$/],
  // `python3.12` → `python3`: the minor version goes to process.executable.name, not the span name.
  interpreters: [/^(?<tool>python3?)(?:\.[0-9]+)?$/],
  toolchain: [
    new RegExp(`^${TRIPLET}(?<tool>cc1|cc1plus|cc1obj|cc1objplus|lto1|lto-wrapper|collect2|as|ld)(?:\\.(?:bfd|gold|lld|mold))?${VERSION}$`),
  ],
  launchers: [/^env$/],
  shells: [/^(?:sh|bash|dash|zsh|ksh|mksh|fish|busybox)$/],
  helperPaths: [/\/\.pyenv\/(?:libexec|plugins)\//, /\/\.asdf\/(?:lib|libexec|bin)\//],
};

/** The fields of an exec (or failed exec) the classifier reads. */
export interface ExecLike {
  readonly filename: string;
  readonly cwd: string;
  readonly argv: readonly string[];
  /** Absent on a failed exec. */
  readonly exeName?: string;
  readonly interp?: string;
}

export interface Identity {
  readonly kind: ExecKind;
  /** Low-cardinality span name: the canonical tool name (`gcc`, `python3`, `ld`), `run` for student programs. */
  readonly name: string;
}

/** Absolute form of the path passed to exec (relative ones are relative to the process's cwd). */
export function execPath(ev: Pick<ExecLike, 'filename' | 'cwd'>): string {
  return path.posix.resolve(ev.cwd || '/', ev.filename);
}

/**
 * The program `env` was asked to run: the first argument that is neither an option nor NAME=value.
 * `#!/usr/bin/env -S python3 -u` arrives as one argument "-S python3 -u" and is split.
 */
export function envTarget(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('-S') || a.startsWith('--split-string')) {
      const rest = a.startsWith('-S') ? a.slice(2) : a.replace(/^--split-string=?/, '');
      const words = rest.trim().split(/\s+/).filter((w) => w && !w.startsWith('-') && !w.includes('='));
      if (words[0]) return words[0];
      continue;
    }
    if (a === '-u' || a === '--unset' || a === '-C' || a === '--chdir') {
      i++; // takes a value
      continue;
    }
    if (a.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
    return a;
  }
  return undefined;
}

export class Classifier {
  readonly config: ClassifierConfig;

  constructor(config: Partial<ClassifierConfig> = {}) {
    this.config = { ...DEFAULT_CLASSIFIER_CONFIG, ...config };
  }

  classify(exec: ExecLike, inWorkspace: (absPath: string) => boolean = () => false): ExecKind {
    return this.identify(exec, inWorkspace).kind;
  }

  identify(exec: ExecLike, inWorkspace: (absPath: string) => boolean = () => false): Identity {
    const c = this.config;
    const abs = execPath(exec);
    if (c.helperPaths.some((re) => re.test(abs))) return other(abs);

    const base = (p: string | undefined) => (p ? path.posix.basename(p) : undefined);
    const exe = exec.exeName || undefined;
    const interp = exec.interp && exec.interp !== exec.filename ? base(exec.interp) : undefined;
    const launched = [exe, interp, base(exec.argv[0])].some((n) => n !== undefined && match(c.launchers, n))
      ? base(envTarget(exec.argv))
      : undefined;
    // Order matters for the span name: the name the student typed first, the mapped file last.
    const names = [base(exec.filename), launched, exe, interp].filter((n): n is string => !!n);

    // Interpreters first: a virtualenv's python lives in the workspace but is not a student build.
    const interpreter = first(c.interpreters, names);
    if (interpreter) return { kind: 'interpret', name: interpreter };
    const isScript = interp !== undefined || launched !== undefined;
    if (isScript && [launched, exe, interp].some((n) => n !== undefined && match(c.shells, n))) return other(abs);
    if (inWorkspace(abs)) return { kind: 'run', name: 'run' };
    const compiler = first(c.compilers, names);
    if (compiler) return { kind: 'compile', name: compiler };
    const build = first(c.buildTools, names);
    if (build) return { kind: 'build', name: build };
    const tool = first(c.toolchain, names);
    if (tool) return { kind: 'toolchain', name: tool };
    return other(abs);
  }
}

function other(abs: string): Identity {
  return { kind: 'other', name: path.posix.basename(abs) };
}

function match(res: readonly RegExp[], name: string): string | undefined {
  for (const re of res) {
    const m = re.exec(name);
    if (m) return m.groups?.tool ?? name;
  }
  return undefined;
}

function first(res: readonly RegExp[], names: readonly string[]): string | undefined {
  for (const n of names) {
    const t = match(res, n);
    if (t !== undefined) return t;
  }
  return undefined;
}
