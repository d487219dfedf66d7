// @parcel/watcher: native inotify on a drain thread, one watch per directory (VS Code's workspace watcher).
import watcher from '@parcel/watcher';
import type { DirectoryWatcher, WatcherOptions } from './types.ts';

export function parcelWatcher(opts: WatcherOptions): DirectoryWatcher {
  // Pin inotify: parcel prefers Watchman when it finds one.
  const subOpts = { backend: 'inotify' as const, ignore: [...opts.ignore] };
  const callback = (err: Error | null, events: watcher.Event[]) => {
    if (err) opts.onError(err);
    if (events.length) opts.onEvents(events);
  };
  let root: watcher.AsyncSubscription | undefined;
  const subtrees = new Map<string, watcher.AsyncSubscription>();
  return {
    async start() {
      root = await watcher.subscribe(opts.root, callback, subOpts);
    },
    async watchSubtree(dir) {
      // parcel adds a watch for a created directory but does not crawl it, so subdirectories made before that
      // watch existed go unwatched. A subscription on the new directory crawls it; watches are refcounted per
      // inode, and events that arrive twice are merged by the debounce.
      if (subtrees.has(dir)) return;
      try {
        subtrees.set(dir, await watcher.subscribe(dir, callback, subOpts));
      } catch (err) {
        opts.onError(err as Error);
      }
    },
    async stop() {
      await Promise.all([...subtrees.values()].map((s) => s.unsubscribe().catch(() => undefined)));
      subtrees.clear();
      await root?.unsubscribe();
      root = undefined;
    },
  };
}
