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
const child = spawn(node, ['--import', tsx, `${root}cli/main.ts`, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
