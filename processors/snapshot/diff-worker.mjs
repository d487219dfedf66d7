// Worker thread: computes unified diffs off the main event loop. Plain JS so it loads without a TS loader.
import { parentPort } from 'node:worker_threads';
import { structuredPatch } from 'diff';

/** Line counts without a diff: multiset difference of lines, O(n). An estimate used past the time limit. */
function estimate(oldText, newText) {
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

parentPort.on('message', ({ id, name, oldText, newText, timeoutMs }) => {
  const t0 = performance.now();
  const patch = structuredPatch(name, name, oldText, newText, '', '', { context: 3, timeout: timeoutMs });
  if (!patch) {
    const { added, removed } = estimate(oldText, newText);
    parentPort.postMessage({ id, truncated: true, added, removed, ms: performance.now() - t0 });
    return;
  }
  let added = 0;
  let removed = 0;
  for (const h of patch.hunks) {
    for (const l of h.lines) {
      if (l[0] === '+') added++;
      else if (l[0] === '-') removed++;
    }
  }
  parentPort.postMessage({ id, truncated: false, diff: render(patch), added, removed, ms: performance.now() - t0 });
});
