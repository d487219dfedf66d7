// Baseline: chokidar 6 with its default options watching the tree. It reads nothing; it only notes the time of
// every event per path, and on SIGTERM writes them to the file named by argv[3] and exits.
import { writeFileSync } from 'node:fs';
import { watch } from 'chokidar';

const [root, out] = process.argv.slice(2);
const times = new Map();
let events = 0;
let ready = false;
const w = watch(root);
w.on('all', (_event, p) => {
  if (!ready) return; // the initial `add`s (ignoreInitial defaults to false) are counted by chokidar, not here
  events++;
  const t = performance.timeOrigin + performance.now();
  const l = times.get(p);
  if (l) l.push(t);
  else times.set(p, [t]);
});
w.on('ready', () => {
  ready = true;
  process.stdout.write('ready\n');
});
process.on('SIGTERM', () => {
  writeFileSync(out, JSON.stringify({ events, times: Object.fromEntries(times) }));
  process.exit(0);
});
