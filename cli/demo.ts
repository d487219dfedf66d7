// `npm run demo`: the embedded default on a fresh machine. Creates a small demo workspace, starts the agent
// on it (no cluster, no Collector), makes a few student-like saves, compiles and runs a program, and leaves
// the agent running so you can edit files under ./workspaces yourself. `--once` stops after the script.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const once = process.argv.includes('--once');
const root = path.resolve('workspaces');
const hw = path.join(root, 'os-1-202012180', 'hw1');
const out = path.resolve('jcode-data');
mkdirSync(hw, { recursive: true });
const main = path.join(hw, 'main.c');
if (!existsSync(main)) writeFileSync(main, '#include <stdio.h>\n\nint main(void) {\n  printf("hello\\n");\n  return 0;\n}\n');

const bin = new URL('../bin/jcode-watcher.mjs', import.meta.url).pathname;
const agent = spawn(process.execPath, [bin, 'run', '--workspaces', root, '--output', out], { stdio: ['ignore', 'inherit', 'pipe'] });
let ready = false;
agent.stderr!.on('data', (d: Buffer) => {
  for (const line of d.toString().split('\n').filter(Boolean)) {
    try {
      const rec = JSON.parse(line) as { level: string; msg: string };
      if (rec.msg === 'agent ready') ready = true;
      if (rec.level !== 'info' || /ready|exec capture/.test(rec.msg)) process.stderr.write(`[agent ${rec.level}] ${rec.msg}\n`);
    } catch {
      process.stderr.write(line + '\n');
    }
  }
});
const stop = () => agent.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const exited = new Promise<number>((r) => agent.on('exit', (code) => r(code ?? 1)));

while (!ready) {
  if (agent.exitCode !== null) process.exit(agent.exitCode);
  await sleep(100);
}
process.stderr.write(`\n[demo] watching ${root}; writing OTLP JSON lines to ${out}\n[demo] saving, compiling and running like a student would…\n\n`);
// Let the start-up scan report the starter file first, so the next save shows a diff.
await sleep(1500);
writeFileSync(main, '#include <stdio.h>\n\nint main(void) {\n  int n = 6;\n  printf("%d! = %d\\n", n, 720);\n  return 0;\n}\n');
await sleep(800);
writeFileSync(path.join(hw, 'grade.py'), 'print("checking hw1")\n');
await sleep(800);
const built = spawnSync('gcc', ['-o', 'hw1', 'main.c'], { cwd: hw, stdio: 'ignore' });
if (built.status === 0) spawnSync('./hw1', { cwd: hw, stdio: 'ignore' });
spawnSync('./not-built-yet', { cwd: hw, stdio: 'ignore', shell: true });
await sleep(1500);
process.stderr.write(`\n[demo] records are in ${path.join(out, 'logs.jsonl')} (OTLP JSON, one export request per line)\n`);
if (once) stop();
else process.stderr.write('[demo] edit files under ./workspaces/os-1-202012180/ to see more; Ctrl-C stops the agent (it flushes first)\n');
process.exit(await exited);
