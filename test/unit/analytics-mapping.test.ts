// The bridge's mapping of Jupyter cell spans to the Analytics API's run call (what the old post_run_cell hook sent).
import { describe, expect, it } from 'vitest';
import { mapSpan } from '../../exporters/analytics/mapping.ts';
import type { SpanRec } from '../../exporters/analytics/otlp.ts';

const T = 1_773_205_627_000_000_000n; // 2026-03-11T05:07:07Z

function cell(statusCode: number, attrs: Record<string, string | number> = {}): SpanRec {
  return {
    signal: 'traces', resource: {}, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'jcode.jupyter.cell',
    startUnixNano: T, endUnixNano: T + 5_000_000n, statusCode,
    attributes: { 'edu.course': 'ds', 'edu.section': '2', 'edu.student.id': '202012180', 'edu.assignment': 'hw3', 'process.working_directory': '/home/coder/hw3', 'jcode.jupyter.execution_count': 4, ...attrs },
  };
}

describe('Analytics mapping of Jupyter cells', () => {
  it('maps a cell that raised to a python run with exit code 1, and one that did not to exit 0, code withheld', () => {
    const err = mapSpan(cell(2));
    expect(err).toEqual({
      outcome: 'calls',
      calls: [{
        kind: 'run', path: '/api/ds-2/hw3/202012180/logs/run', key: `span|${'ab'.repeat(16)}|${'cd'.repeat(8)}`,
        body: { timestamp: '2026-03-11T05:07:07.000000', exit_code: 1, cmdline: '<unknown>', cwd: '/home/coder/hw3', target_path: 'ipykernel', process_type: 'python' },
      }],
    });
    const ok = mapSpan(cell(0));
    expect(ok.outcome === 'calls' && ok.calls[0]!.body.exit_code).toBe(0);
  });

  it('drops a cell outside an hwN assignment with the reason', () => {
    expect(mapSpan(cell(0, { 'edu.assignment': 'lab3' }))).toMatchObject({ outcome: 'dropped', reason: 'assignment_not_hwN' });
  });
});
