// `.ipynb` saves: real notebooks executed in a real IPython kernel (nbclient), read into the per-cell outcome
// vector, and saved into a real agent's workspace: the record's outcomes, cell count and code-only diff.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeNotebook } from '../../processors/snapshot/notebook.ts';
import { startTestAgent, type TestAgent } from '../helpers/agent.ts';
import { jupyterPython, runNotebook, type CellSpec } from '../helpers/jupyter.ts';

/** One cell per outcome (and an error of another type), plus a markdown cell that has none. */
const CELLS: CellSpec[] = [
  { type: 'markdown', source: '# Homework 1' },
  { type: 'code', source: 'x = 6 * 7\nx' },
  { type: 'code', source: 'y = 1' },
  { type: 'code', source: "from IPython.display import display, Markdown\ndisplay(Markdown('**hi**'))" },
  { type: 'code', source: "print('hello')" },
  { type: 'code', source: '1 / 0' },
  { type: 'code', source: 'undefined_name' },
  { type: 'code', source: '   \n' },
  { type: 'code', source: 'z = 3', tags: ['skip-execution'] },
];
const OUTCOMES = ['ok', 'ok', 'display', 'stream', 'error', 'error', 'empty', 'not run'];

let dir = '';
let executed = '';
let unexecuted = '';
beforeAll(async () => {
  jupyterPython();
  dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-nb-'));
  await runNotebook(CELLS, path.join(dir, 'executed.ipynb'));
  await runNotebook(CELLS, path.join(dir, 'fresh.ipynb'), { execute: false });
  executed = readFileSync(path.join(dir, 'executed.ipynb'), 'utf8');
  unexecuted = readFileSync(path.join(dir, 'fresh.ipynb'), 'utf8');
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('notebook summary', () => {
  it('gives one outcome per code cell of a notebook run in a real kernel: ok, display, stream, error, empty, not run', () => {
    const s = summarizeNotebook(executed);
    expect(s.valid).toBe(true);
    if (!s.valid) return;
    expect(s.cellCount).toBe(9);
    expect(s.outcomes).toEqual(OUTCOMES);
  });

  it('keeps only the code cells, each under a `# %% [id]` line, so outputs never change the canonical text', () => {
    const run = summarizeNotebook(executed);
    const fresh = summarizeNotebook(unexecuted);
    if (!run.valid || !fresh.valid) throw new Error('not valid');
    expect(fresh.outcomes).toEqual(['not run', 'not run', 'not run', 'not run', 'not run', 'not run', 'empty', 'not run']);
    const ids = (JSON.parse(executed) as { cells: { id: string; cell_type: string }[] }).cells.filter((c) => c.cell_type === 'code').map((c) => c.id);
    expect(run.codeText).toBe(CELLS.filter((c) => c.type === 'code').map((c, i) => `# %% [${ids[i]}]\n${c.source}${c.source.endsWith('\n') ? '' : '\n'}`).join(''));
    expect(run.codeText).not.toContain('hello\n# %%'); // no printed output
    expect(run.codeText).not.toContain('ZeroDivisionError');
    // The same cells in a fresh notebook have other ids: compare without the separators.
    const strip = (t: string) => t.replace(/^# %% \[.*\]$/gm, '# %%');
    expect(strip(fresh.codeText)).toBe(strip(run.codeText));
  });

  it('numbers code cells when a notebook has no cell ids (nbformat 4.4)', () => {
    const nb = { nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [
      { cell_type: 'code', source: ['a = 1\n', 'a'], outputs: [{ output_type: 'execute_result', data: {}, metadata: {}, execution_count: 1 }], execution_count: 1, metadata: {} },
      { cell_type: 'markdown', source: 'text', metadata: {} },
      { cell_type: 'code', source: 'b = 2', outputs: [], execution_count: null, metadata: {} },
    ] };
    const s = summarizeNotebook(JSON.stringify(nb));
    expect(s).toEqual({ valid: true, cellCount: 3, outcomes: ['ok', 'not run'], codeText: '# %% [1]\na = 1\na\n# %% [2]\nb = 2\n' });
  });

  it('says why a file is not a readable notebook, never throws', () => {
    const cases: [string, RegExp][] = [
      ['{"cells": [', /^not JSON/],
      ['[1, 2]', /top level is not a JSON object/],
      ['{"nbformat": 3, "worksheets": []}', /unsupported nbformat 3/],
      ['{"nbformat": 4, "cells": {}}', /"cells" is not a list/],
      ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', /cell 1: "source"/],
      ['{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": [1]}]}', /cell 1: "outputs"/],
      ['{"nbformat": 4, "cells": [null]}', /cell 1 has no cell_type/],
    ];
    for (const [text, reason] of cases) {
      const s = summarizeNotebook(text);
      expect(s.valid).toBe(false);
      if (!s.valid) expect(s.error).toMatch(reason);
    }
    const long = summarizeNotebook('{' + 'x'.repeat(5000));
    expect(!long.valid && long.error.length).toBeLessThanOrEqual(200);
  });
});

describe('.ipynb save records', () => {
  let t: TestAgent;
  beforeAll(async () => {
    t = await startTestAgent();
    mkdirSync(path.join(t.ws, 'py-1-2024001/hw2'), { recursive: true });
  });
  afterAll(() => t.cleanup());

  const file = path.join('py-1-2024001', 'hw2', 'analysis.ipynb');
  const nth = (n: number) => t.waitForLog((r) => r.eventName === 'jcode.file.save' && r.attributes['file.path'] === 'hw2/analysis.ipynb' && r.attributes['jcode.file.version'] === n, `save ${n}`);

  it('carries the outcome vector and cell count, and diffs the code cells only, not outputs', async () => {
    // 1: the executed notebook. Every code line counts as added; no diff on a first save.
    writeFileSync(path.join(t.ws, file), executed);
    const first = await nth(1);
    expect(first.attributes['jcode.notebook.cell_outcomes']).toEqual(OUTCOMES);
    expect(first.attributes['jcode.notebook.cell_count']).toBe(9);
    const code = summarizeNotebook(executed);
    if (!code.valid) throw new Error('not valid');
    expect(first.attributes['jcode.file.lines_added']).toBe(code.codeText.split('\n').length - 1);
    expect(first.body).toBe(executed);

    // 2: outputs cleared, code unchanged (as "Clear All Outputs" saves it): no line of code changed.
    const cleared = JSON.parse(executed) as { cells: { cell_type: string; outputs?: unknown[]; execution_count?: unknown; source: string }[] };
    for (const c of cleared.cells) if (c.cell_type === 'code') Object.assign(c, { outputs: [], execution_count: null });
    writeFileSync(path.join(t.ws, file), JSON.stringify(cleared, null, 1));
    const second = await nth(2);
    expect(second.attributes['jcode.notebook.cell_outcomes']).toEqual(['not run', 'not run', 'not run', 'not run', 'not run', 'not run', 'empty', 'not run']);
    expect(second.attributes['jcode.file.lines_added']).toBe(0);
    expect(second.attributes['jcode.file.lines_removed']).toBe(0);

    // 3: one cell's code edited: the diff is that code line, under its cell's separator, and nothing else.
    cleared.cells[4]!.source = "print('hello, world')";
    writeFileSync(path.join(t.ws, file), JSON.stringify(cleared, null, 1));
    const third = await nth(3);
    const diff = String(third.attributes['jcode.file.diff']);
    expect(third.attributes['jcode.file.lines_added']).toBe(1);
    expect(third.attributes['jcode.file.lines_removed']).toBe(1);
    expect(diff).toContain("-print('hello')\n+print('hello, world')");
    expect(diff).toMatch(/^ # %% \[[\w-]+\]$/m);
    expect(diff).not.toMatch(/outputs|execution_count|"source"/);
  });

  it('flags an invalid notebook with the reason, counts it, and still reports the save', async () => {
    writeFileSync(path.join(t.ws, 'py-1-2024001/hw2/broken.ipynb'), '{"cells": [ {"cell_type": "code", ');
    const r = await t.waitForLog((r) => r.eventName === 'jcode.file.save' && r.attributes['file.path'] === 'hw2/broken.ipynb', 'the broken notebook');
    expect(r.attributes['jcode.notebook.invalid']).toBe(true);
    expect(String(r.attributes['jcode.notebook.error'])).toMatch(/^not JSON/);
    expect(r.attributes['jcode.notebook.cell_outcomes']).toBeUndefined();
    expect(r.attributes['jcode.file.lines_added']).toBe(1);
    expect(t.agent.metrics.render()).toMatch(/^jcode_watcher_notebook_saves_total\{result="invalid"\} 1$/m);
  });
});
