// A diagnostic read from a compiler's, linker's or interpreter's stderr.

export type Severity = 'fatal' | 'error' | 'warning' | 'note';

/** Which format the diagnostic was read as (`jcode.diagnostic.tool`). */
export type DiagnosticTool = 'compiler' | 'linker' | 'driver' | 'python';

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly tool: DiagnosticTool;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Python exception class, or the linker error kind (`undefined_reference`). */
  readonly errorType?: string;
  /** Warning option the compiler names (`-Wunused-variable`). */
  readonly flag?: string;
  /** Enclosing function ("In function ‘main’", the linker's "in function", the innermost Python frame). */
  readonly function?: string;
  /** Its full text as printed: the location line, source excerpt and caret, or the whole traceback. */
  readonly raw: string;
  /** Index, in the parsed lines, of its first line (gives its timestamp). */
  readonly firstLine: number;
}

/** Longest `raw` kept per diagnostic. */
export const MAX_RAW_CHARS = 2048;

export function clip(s: string, max = MAX_RAW_CHARS): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}
