#!/usr/bin/env node
// Runs the TypeScript CLI on Node 24 (from the `node` npm package when the machine's node is older) with tsx,
// forwarding signals so SIGTERM reaches the agent and its exit code comes back.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const local = `${root}node_modules/node/bin/node`;
const major = Number(process.versions.node.split('.')[0]);
const node = major >= 24 || !existsSync(local) ? process.execPath : local;
const tsx = pathToFileURL(`${root}node_modules/tsx/dist/esm/index.mjs`).href;
// --max-semi-space-size: V8 sizes the young generation from the machine's memory (64 MiB semi-spaces on a
// 24 GiB node), and at 200 saves/s it grew to 128 MiB of mostly garbage, a third of the agent's RSS. 8 MiB keeps
// scavenges short and cheap (what survives them is small) and measured the same CPU or less (bench/saves.ts).
const v8Flags = ['--max-semi-space-size=8'];
const child = spawn(node, [...v8Flags, '--import', tsx, `${root}cli/main.ts`, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
