// Compiler and interpreter diagnostics: captured stderr → `jcode.diagnostic` span events; crash signals explained.
export { stripAnsi } from './ansi.ts';
export { parseCompilerOutput } from './gcc.ts';
export { looksLikePython, parsePythonOutput } from './python.ts';
export { describeSignal } from './signals.ts';
export { DIAGNOSTIC_EVENT, SpanOutput, type OutputChunk, type OutputSummary } from './output.ts';
export type { Diagnostic, DiagnosticTool, Severity } from './types.ts';
