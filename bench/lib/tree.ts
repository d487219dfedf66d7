// Building the trees the benchmarks watch.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { content, SAVES_TREE, savesFile, savesWorkspace } from './content.mjs';

export const SAVES_FILES = SAVES_TREE.workspaces * SAVES_TREE.hws * SAVES_TREE.names.length;

/** 300 workspaces × 10 hw dirs × 3 files, every file at seq 0. Returns the file count. */
export function createSavesTree(root: string): number {
  rmSync(root, { recursive: true, force: true });
  for (let w = 0; w < SAVES_TREE.workspaces; w++) {
    for (let h = 0; h < SAVES_TREE.hws; h++) mkdirSync(path.join(root, savesWorkspace(w), `hw${h + 1}`), { recursive: true });
  }
  for (let f = 0; f < SAVES_FILES; f++) writeFileSync(path.join(root, savesFile(f).path), content(f, 0));
  return SAVES_FILES;
}

/** One workspace with `dirs` directories × `files` small .c files. */
export function createBigTree(root: string, dirs: number, files: number): number {
  rmSync(root, { recursive: true, force: true });
  const ws = path.join(root, 'big-1-209900001');
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(ws, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(path.join(dir, `f${String(i).padStart(3, '0')}.c`), `/* ${d}/${i} */\nint f${i}(void) { return ${d * files + i}; }\n`);
  }
  return dirs * files;
}
