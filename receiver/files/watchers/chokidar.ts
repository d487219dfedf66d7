// chokidar 6 (the watcher the product was first specified with), kept as a measured alternative.
import { watch, type FSWatcher } from 'chokidar';
import type { DirectoryWatcher, WatchEvent, WatcherOptions } from './types.ts';

const TYPES: Record<string, WatchEvent['type'] | undefined> = {
  add: 'create', addDir: 'create', change: 'update', unlink: 'delete', unlinkDir: 'delete',
};

export function chokidarWatcher(opts: WatcherOptions): DirectoryWatcher {
  let w: FSWatcher | undefined;
  return {
    async start() {
      w = watch(opts.root, {
        ignoreInitial: true,
        followSymlinks: false,
        ignorePermissionErrors: true,
        ignored: (p: string) => opts.isIgnored(p),
      });
      w.on('all', (event: string, p: string) => {
        const type = TYPES[event];
        if (type) opts.onEvents([{ type, path: p }]);
      });
      w.on('error', (e: unknown) => opts.onError(e instanceof Error ? e : new Error(String(e))));
      await new Promise<void>((resolve) => w!.once('ready', () => resolve()));
    },
    async watchSubtree() {
      // chokidar reads every directory it is told about and watches what it finds: nothing to add.
    },
    async stop() {
      await w?.close();
      w = undefined;
    },
  };
}
