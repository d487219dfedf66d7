// Reads a gcc/clang command line for what the compile → run join needs: the inputs, the sources among them,
// and the executable it writes. Only what a driver invocation reveals; no response files (@file) expansion.

export interface CompileArgs {
  /** Non-option arguments (sources, objects, libraries given by path), as given. */
  readonly inputs: readonly string[];
  /** Inputs with a source-file extension, as given. */
  readonly sources: readonly string[];
  /** The output as given: `-o` value, or `a.out` when linking without `-o`; absent when unknown. */
  readonly output?: string;
  /** Whether the driver links (no -c/-S/-E/-fsyntax-only/-M/-MM): only then is the output an executable. */
  readonly links: boolean;
}

export const DEFAULT_SOURCE_EXTENSIONS: readonly string[] = ['.c', '.cc', '.cpp', '.cxx', '.c++', '.C', '.h', '.hh', '.hpp', '.hxx', '.py'];

// Options whose value is the next argument when written alone (`-I dir`, `-x c`).
const TAKES_VALUE = new Set([
  '-o', '-I', '-L', '-l', '-D', '-U', '-x', '-u', '-T', '-z', '-e', '-B', '-A',
  '-include', '-imacros', '-isystem', '-iquote', '-idirafter', '-iprefix', '-iwithprefix', '-iwithprefixbefore',
  '-isysroot', '-imultilib', '-MF', '-MT', '-MQ', '-Xlinker', '-Xassembler', '-Xpreprocessor', '-Xclang',
  '-aux-info', '--param', '-target', '-arch', '-include-pch', '--output', '--sysroot', '-dumpbase', '-dumpdir',
]);

// These stop the driver before linking; -M/-MM imply -E (-MD/-MMD do not).
const NO_LINK = new Set(['-c', '-S', '-E', '-M', '-MM', '-fsyntax-only']);

export function parseCompileArgs(argv: readonly string[], sourceExtensions: readonly string[] = DEFAULT_SOURCE_EXTENSIONS): CompileArgs {
  const inputs: string[] = [];
  let output: string | undefined;
  let links = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-' || !a.startsWith('-')) {
      inputs.push(a);
      continue;
    }
    if (NO_LINK.has(a)) links = false;
    if (TAKES_VALUE.has(a)) {
      const v = argv[++i];
      if (v !== undefined && (a === '-o' || a === '--output')) output = v;
      continue;
    }
    if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else if (a.startsWith('-o') && a.length > 2) output = a.slice(2);
  }
  // `gcc --version` or `gcc -v` has no input: it writes nothing, and a stale a.out must not be claimed.
  if (inputs.length === 0) return { inputs, sources: [], links: false };
  const sources = inputs.filter((p) => sourceExtensions.some((ext) => p.endsWith(ext)));
  if (output === undefined && links) output = 'a.out';
  return { inputs, sources, ...(output !== undefined ? { output } : {}), links };
}
