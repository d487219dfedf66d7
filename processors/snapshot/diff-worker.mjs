// Worker thread: computes unified diffs off the main event loop (the diffs too large to run inline, see diff.ts).
// Plain JS so it loads without a TS loader.
import { parentPort } from 'node:worker_threads';
import { estimate, unifiedDiff } from './diff-core.mjs';

parentPort.on('message', ({ id, name, oldText, newText, timeoutMs }) => {
  const t0 = performance.now();
  const r = unifiedDiff(name, oldText, newText, timeoutMs);
  if (!r) {
    const { added, removed } = estimate(oldText, newText);
    parentPort.postMessage({ id, truncated: true, added, removed, ms: performance.now() - t0 });
    return;
  }
  parentPort.postMessage({ id, ...r, ms: performance.now() - t0 });
});
