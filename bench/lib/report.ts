// Rendering results: a console table, ratios against the baselines of the same run, a hand-written SVG bar
// chart and the markdown section bench/RESULTS.md.
import type { Chart, Column, Row, Table, Value } from './types.ts';

export function fmt(v: Value | undefined, digits = 1): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function meets(c: Column, v: Value | undefined): boolean | undefined {
  if (!c.target || typeof v !== 'number') return undefined;
  const t = c.target.value;
  return c.target.op === '<=' ? v <= t : c.target.op === '>=' ? v >= t : v === t;
}

function cell(c: Column, r: Row): string {
  const v = r.values[c.key];
  const ok = r.baseline ? undefined : meets(c, v);
  return fmt(v, c.digits ?? 1) + (ok === false ? ' ✗' : '');
}

function targetText(c: Column): string {
  return c.target ? `${c.target.op === '<=' ? '≤' : c.target.op === '>=' ? '≥' : '='} ${c.target.value}` : '';
}

/** Columns that carry at least one value. */
function used(t: Table): Column[] {
  return t.columns.filter((c) => t.rows.some((r) => r.values[c.key] !== null && r.values[c.key] !== undefined));
}

export interface Ratio {
  variant: string;
  column: Column;
  baseline: string;
  value: number | null;
}

export function ratios(t: Table): Ratio[] {
  const out: Ratio[] = [];
  for (const r of t.rows) {
    if (r.baseline) continue;
    for (const c of t.columns) {
      if (!c.ratio) continue;
      for (const b of t.rows) {
        if (!b.baseline || b.group !== r.group) continue;
        const x = r.values[c.key];
        const y = b.values[c.key];
        const label = b.group && b.variant.startsWith(`${b.group}: `) ? b.variant.slice(b.group.length + 2) : b.variant;
        out.push({ variant: r.variant, column: c, baseline: label, value: typeof x === 'number' && typeof y === 'number' && y !== 0 ? x / y : null });
      }
    }
  }
  return out;
}

function pad(s: string, n: number, right: boolean): string {
  const len = [...s].length;
  return right ? ' '.repeat(Math.max(0, n - len)) + s : s + ' '.repeat(Math.max(0, n - len));
}

export function consoleTable(t: Table): string {
  const cols = used(t);
  const head = ['variant', ...cols.map((c) => c.label)];
  const tgt = ['target', ...cols.map(targetText)];
  const body = t.rows.map((r) => [r.variant + (r.baseline ? ' (baseline)' : ''), ...cols.map((c) => cell(c, r))]);
  const all = [head, tgt, ...body];
  const w = head.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
  const line = (r: string[]) => r.map((s, i) => pad(s, w[i], i > 0)).join('  ');
  const out = [t.title, line(head), line(tgt), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
  const rs = ratios(t);
  if (rs.length) {
    out.push('', 'ratios (agent ÷ baseline of the same run):');
    const lines = new Map<string, string[]>();
    for (const r of rs) {
      const k = `${r.variant} ${r.column.label}`;
      lines.set(k, [...(lines.get(k) ?? []), `${r.value === null ? '–' : r.value.toFixed(2) + '×'} ${r.baseline}`]);
    }
    for (const [k, l] of lines) out.push(`  ${k}: ${l.join(', ')}`);
  }
  return out.join('\n');
}

export function markdownTable(t: Table): string {
  const cols = used(t);
  const head = `| variant | ${cols.map((c) => c.label).join(' | ')} |`;
  const sep = `|---|${cols.map(() => '---:').join('|')}|`;
  const tgt = `| *target* | ${cols.map((c) => (targetText(c) ? `*${targetText(c)}*` : '')).join(' | ')} |`;
  const rows = t.rows.map((r) => `| ${r.baseline ? `*${r.variant}* (baseline)` : `**${r.variant}**`} | ${cols.map((c) => cell(c, r)).join(' | ')} |`);
  const out = [`#### ${t.title}`, '', head, sep, tgt, ...rows];
  const rs = ratios(t);
  if (rs.length) {
    const byCol = new Map<string, Ratio[]>();
    for (const r of rs) byCol.set(r.column.key, [...(byCol.get(r.column.key) ?? []), r]);
    const baselines = [...new Set(rs.map((r) => r.baseline))];
    const variants = [...new Set(rs.map((r) => r.variant))];
    out.push('', `Ratios against the baselines measured in the same run:`, '');
    out.push(`| variant | figure | ${baselines.map((b) => `÷ ${b}`).join(' | ')} |`, `|---|---|${baselines.map(() => '---:').join('|')}|`);
    for (const v of variants) {
      for (const [, list] of byCol) {
        const mine = list.filter((r) => r.variant === v);
        if (!mine.length) continue;
        out.push(`| ${v} | ${mine[0].column.label} | ${baselines.map((b) => { const r = mine.find((x) => x.baseline === b); return r?.value == null ? '–' : `${r.value.toFixed(2)}×`; }).join(' | ')} |`);
      }
    }
  }
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal bar chart, one panel per figure, one bar per row (baselines grey, agent rows coloured). */
export function svgChart(chart: Chart, t: Table, subtitle: string): string {
  const rows = t.rows;
  const longest = Math.max(0, ...rows.map((r) => r.variant.length + (r.baseline ? 11 : 0)));
  const barH = 22, gap = 8, labelW = Math.max(190, Math.ceil(longest * 6.6) + 16), plotW = 380, panelGap = 40, top = 56;
  const panelH = rows.length * (barH + gap) + 40;
  const width = labelW + plotW + 90;
  const height = top + chart.panels.length * (panelH + panelGap);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(chart.title)}</text>`,
    `<text x="10" y="40" fill="#555">${esc(subtitle)}</text>`,
  ];
  chart.panels.forEach((p, pi) => {
    const y0 = top + pi * (panelH + panelGap);
    const vals = rows.map((r) => (typeof r.values[p.key] === 'number' ? (r.values[p.key] as number) : 0));
    const max = Math.max(...vals, p.target ?? 0) * 1.1 || 1;
    const x = (v: number) => labelW + (v / max) * plotW;
    out.push(`<text x="10" y="${y0 + 14}" font-weight="bold">${esc(p.label)}</text>`);
    rows.forEach((r, i) => {
      const y = y0 + 24 + i * (barH + gap);
      const v = r.values[p.key];
      const colour = r.baseline ? '#9e9e9e' : r.variant.includes('parcel') ? '#1f77b4' : '#ff7f0e';
      out.push(`<text x="${labelW - 8}" y="${y + barH * 0.7}" text-anchor="end">${esc(r.variant)}${r.baseline ? ' (baseline)' : ''}</text>`);
      out.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, x(vals[i]) - labelW).toFixed(1)}" height="${barH}" fill="${colour}"/>`);
      out.push(`<text x="${(x(vals[i]) + 6).toFixed(1)}" y="${y + barH * 0.7}">${esc(fmt(v ?? null, p.key.includes('cpu') ? 2 : 1))}</text>`);
    });
    out.push(`<line x1="${labelW}" y1="${y0 + 20}" x2="${labelW}" y2="${y0 + 24 + rows.length * (barH + gap)}" stroke="#333"/>`);
    if (p.target !== undefined) {
      const tx = x(p.target).toFixed(1);
      out.push(`<line x1="${tx}" y1="${y0 + 20}" x2="${tx}" y2="${y0 + 24 + rows.length * (barH + gap)}" stroke="#d62728" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${tx}" y="${y0 + 34 + rows.length * (barH + gap)}" fill="#d62728" text-anchor="middle">target ${p.target}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Every target of every table, against the agent rows that have it: the measured value, the target, their ratio
 * (≤ 1 meets a `≤` target) and a verdict. One table and one chart answer "do the targets hold?" for a whole run.
 */
export function targetsTable(results: readonly { name: string; tables: Table[] }[]): Table {
  const rows: Row[] = [];
  for (const r of results) {
    for (const t of r.tables) {
      for (const c of t.columns) {
        if (!c.target) continue;
        for (const row of t.rows) {
          const v = row.values[c.key];
          if (row.baseline || typeof v !== 'number') continue;
          const { op, value } = c.target;
          const met = op === '<=' ? v <= value : op === '>=' ? v >= value : v === value;
          rows.push({
            variant: `${r.name}: ${row.variant}, ${c.label}`,
            values: {
              measured: v, target: `${op === '<=' ? '≤' : op === '>=' ? '≥' : '='} ${value}`,
              ratio: op === '==' || value === 0 || (op === '>=' && v === 0) ? null : op === '<=' ? v / value : value / v,
              met: met ? '✓' : '✗',
            },
          });
        }
      }
    }
  }
  return {
    title: 'Targets: every figure with a target, measured in this run',
    columns: [
      { key: 'measured', label: 'measured', digits: 2 }, { key: 'target', label: 'target' },
      { key: 'ratio', label: 'measured ÷ target (≤ 1 meets it)', digits: 2 }, { key: 'met', label: 'met' },
    ],
    rows,
  };
}

/** The chart of targetsTable: one bar per ratio target, a line at 1. */
export function targetsChart(t: Table, subtitle: string): string {
  const withRatio: Table = { ...t, rows: t.rows.filter((r) => typeof r.values.ratio === 'number') };
  return svgChart({ file: 'targets.svg', title: 'Targets at a glance: measured ÷ target', panels: [{ key: 'ratio', label: 'measured ÷ target (left of the red line: target met)', target: 1 }], table: 0 }, withRatio, subtitle);
}
