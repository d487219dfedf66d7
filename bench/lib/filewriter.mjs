// A paced writer of NEW files, run as its own process (collector benchmark): file i goes to
// <root>/<workspaces[i % n]>/<hw>/<prefix>_<i>.c with ~1.4 KB of unique content (content.mjs), at `rate` files/s for `seconds`.
// Each save: open(O_TRUNC|O_CREAT) + one write + fdatasync + close. Argument: one JSON object; output: a JSON file
// {t0, t1, saves: [[workspaceIndex, name, closeEpochMs], ...]}.
import { closeSync, fdatasyncSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { content } from './content.mjs';

const { root, workspaces, hw, prefix, rate, seconds, out, seq } = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const total = Math.round(rate * seconds);
const interval = 1000 / rate;
const saves = [];
const t0 = now();
let i = 0;
while (i < total) {
  const due = t0 + i * interval;
  const t = now();
  if (t < due) {
    await new Promise((r) => setTimeout(r, Math.max(0, due - t - 0.5)));
    continue;
  }
  const w = i % workspaces.length;
  const name = `${prefix}_${i}.c`;
  const fd = openSync(path.join(root, workspaces[w], hw, name), 'w');
  writeSync(fd, Buffer.from(content(i, seq)));
  fdatasyncSync(fd);
  closeSync(fd);
  saves.push([w, name, now()]);
  i++;
}
writeFileSync(out, JSON.stringify({ t0, t1: now(), saves }));
