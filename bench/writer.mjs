// The save generator, run as its own process so its synchronous writes never share an event loop with the
// harness. Saves the way code-server does (DiskFileSystemProvider): open with truncate, one write, fdatasync,
// close. Argument: one JSON object (see saves.ts). Output: a JSON file with one entry per save.
import { closeSync, fdatasyncSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { content, savesFile } from './lib/content.mjs';

const a = JSON.parse(process.argv[2]);
const { root, files, rate, seconds, startSeq, resaveFraction, resaveDelayMs, out, seed } = a;
const now = () => performance.timeOrigin + performance.now(); // epoch ms, same clock as the agent's OTel SDK

let s = seed >>> 0 || 1;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);

const paths = Array.from({ length: files }, (_, f) => path.join(root, savesFile(f).path));
const recF = [], recSeq = [], recStart = [], recDone = [];
const resaves = []; // [dueMs, f]
let seq = startSeq;
const total = Math.round(rate * seconds);
const interval = 1000 / rate;
const t0 = now();
let done = 0;

function save(f) {
  seq++;
  const buf = Buffer.from(content(f, seq));
  const ts = now();
  const fd = openSync(paths[f], 'w');
  writeSync(fd, buf);
  fdatasyncSync(fd);
  closeSync(fd);
  const td = now();
  recF.push(f); recSeq.push(seq); recStart.push(ts); recDone.push(td);
  return td;
}

function tick() {
  const t = now();
  while (done < total && t0 + done * interval <= now()) {
    let f;
    if (resaves.length > 0 && resaves[0][0] <= now()) f = resaves.shift()[1];
    else {
      f = Math.floor(rand() * files);
      if (rand() < resaveFraction) resaves.push([now() + resaveDelayMs, f]);
    }
    save(f);
    done++;
  }
  if (done < total) setTimeout(tick, Math.max(0, t0 + done * interval - now()));
  else finish();
}

function finish() {
  const t1 = now();
  writeFileSync(out, JSON.stringify({ t0, t1, f: recF, seq: recSeq, start: recStart, done: recDone }));
  process.stdout.write(JSON.stringify({ saves: recF.length, seconds: (t1 - t0) / 1000, lastSeq: seq }) + '\n');
}

tick();
