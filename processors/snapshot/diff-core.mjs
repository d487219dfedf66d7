// Unified diff of two texts, shared by the diff worker and the inline fast path in diff.ts. Plain JS so the
// worker loads it without a TS loader.
import { structuredPatch } from 'diff';

/** Line counts without a diff: multiset difference of lines, O(n). An estimate used past the time limit. */
export function estimate(oldText, newText) {
  const counts = new Map();
  for (const l of oldText.split('\n')) counts.set(l, (counts.get(l) ?? 0) + 1);
  let added = 0;
  for (const l of newText.split('\n')) {
    const c = counts.get(l) ?? 0;
    if (c > 0) counts.set(l, c - 1);
    else added++;
  }
  let removed = 0;
  for (const c of counts.values()) removed += c;
  return { added, removed };
}

function render(patch) {
  const out = [`--- a/${patch.oldFileName}`, `+++ b/${patch.newFileName}`];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    out.push(...h.lines);
  }
  return out.join('\n') + '\n';
}

/**
 * The diff with its line counts, or undefined when the time limit or `maxEditLength` (edit distance in lines)
 * stopped it. Within those limits the result is the same whatever the limits were.
 */
export function unifiedDiff(name, oldText, newText, timeoutMs, maxEditLength) {
  const patch = structuredPatch(name, name, oldText, newText, '', '', { context: 3, timeout: timeoutMs, maxEditLength });
  if (!patch) return undefined;
  let added = 0;
  let removed = 0;
  for (const h of patch.hunks) {
    for (const l of h.lines) {
      if (l[0] === '+') added++;
      else if (l[0] === '-') removed++;
    }
  }
  return { truncated: false, diff: render(patch), added, removed };
}
