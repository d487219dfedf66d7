// Metric names referenced by a PromQL expression, for checking that dashboards and alert rules name only
// documented metrics. Not a parser: strings, label matchers, grouping clauses and range/offset durations are
// removed, then identifiers that are not functions, keywords or numbers are metric names.
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const id = m[0];
    const after = s.slice(m.index! + id.length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(id.toLowerCase())) continue;
    // A number's exponent or unit (1e3) is no name.
    if (m.index! > 0 && /[0-9.]/.test(s[m.index! - 1]!)) continue;
    names.add(id);
  }
  return [...names];
}
