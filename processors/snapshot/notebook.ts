// `.ipynb` saves: what a notebook's save record adds to a plain text save. The per-cell outcome vector, the
// cell count, and a canonical text of the code cells only, which the diff is computed over, so re-running a
// notebook (new outputs, execution counts, metadata) is not a code change. Notebooks are untrusted input: a
// file that is not a readable nbformat 4 notebook gets a reason, never an exception.

export const CELL_OUTCOMES = ['ok', 'display', 'stream', 'error', 'empty', 'not run'] as const;
export type CellOutcome = (typeof CELL_OUTCOMES)[number];

export type NotebookSummary =
  | { readonly valid: true; readonly cellCount: number; readonly outcomes: CellOutcome[]; readonly codeText: string }
  | { readonly valid: false; readonly error: string };

const MAX_ERROR = 200;

export function isNotebook(relPath: string): boolean {
  return relPath.toLowerCase().endsWith('.ipynb');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** nbformat keeps multi-line strings as a string or a list of lines. */
function multiline(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  return undefined;
}

/**
 * One outcome per code cell, by priority, after nbgrader-style progress tools: an error output wins, then
 * display data, then printed output; a cell that ran with only a result (or nothing) is `ok`. A cell with no
 * code is `empty`; code that was never executed (no count, no outputs) is `not run`.
 */
export function cellOutcome(source: string, outputs: readonly Json[], executionCount: unknown): CellOutcome {
  const types = new Set(outputs.map((o) => o.output_type));
  if (types.has('error')) return 'error';
  if (types.has('display_data') || types.has('update_display_data')) return 'display';
  if (types.has('stream')) return 'stream';
  if (source.trim() === '') return 'empty';
  if (types.has('execute_result') || typeof executionCount === 'number') return 'ok';
  return 'not run';
}

function fail(error: string): NotebookSummary {
  return { valid: false, error: error.length > MAX_ERROR ? error.slice(0, MAX_ERROR - 1) + '…' : error };
}

/**
 * The canonical code text: each code cell as `# %% [<id>]` (its nbformat id, stable when cells move) or
 * `# %% [<n>]` (its position among code cells, for notebooks without ids), then its source.
 */
export function summarizeNotebook(text: string): NotebookSummary {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) return fail('not a notebook: the top level is not a JSON object');
  if (doc.nbformat !== 4) return fail(`unsupported nbformat ${JSON.stringify(doc.nbformat) ?? 'missing'} (only 4 is read)`);
  if (!Array.isArray(doc.cells)) return fail('not a notebook: "cells" is not a list');
  const outcomes: CellOutcome[] = [];
  const parts: string[] = [];
  for (const [i, cell] of doc.cells.entries()) {
    if (!isObject(cell) || typeof cell.cell_type !== 'string') return fail(`cell ${i + 1} has no cell_type`);
    if (cell.cell_type !== 'code') continue;
    const source = multiline(cell.source);
    if (source === undefined) return fail(`cell ${i + 1}: "source" is not a string or a list of strings`);
    const outputs = cell.outputs === undefined ? [] : cell.outputs;
    if (!Array.isArray(outputs) || !outputs.every(isObject)) return fail(`cell ${i + 1}: "outputs" is not a list of objects`);
    outcomes.push(cellOutcome(source, outputs, cell.execution_count));
    const label = typeof cell.id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(cell.id) ? cell.id : String(outcomes.length);
    parts.push(`# %% [${label}]\n${source}${source === '' || source.endsWith('\n') ? '' : '\n'}`);
  }
  return { valid: true, cellCount: doc.cells.length, outcomes, codeText: parts.join('') };
}
