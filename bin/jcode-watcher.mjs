#!/usr/bin/env node
// Runs the TypeScript CLI on Node 24 (from the `node` npm package when the machine's node is older) with tsx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const local = `${root}node_modules/node/bin/node`;
const major = Number(process.versions.node.split('.')[0]);
const node = major >= 24 || !existsSync(local) ? process.execPath : local;
const r = spawnSync(node, ['--import', pathToFileURL(`${root}node_modules/tsx/dist/esm/index.mjs`).href, `${root}cli/main.ts`, ...process.argv.slice(2)], { stdio: 'inherit', cwd: process.cwd() });
process.exit(r.status ?? (r.signal ? 128 : 1));
