// @parcel/watcher: native inotify on a drain thread, one watch per directory (VS Code's workspace watcher).
import watcher from '@parcel/watcher';
import type { DirectoryWatcher, WatcherOptions } from './types.ts';

export function parcelWatcher(opts: WatcherOptions): DirectoryWatcher {
  let sub: watcher.AsyncSubscription | undefined;
  return {
    async start() {
      sub = await watcher.subscribe(
        opts.root,
        (err, events) => {
          if (err) opts.onError(err);
          if (events.length) opts.onEvents(events);
        },
        // Pin inotify: parcel prefers Watchman when it finds one.
        { backend: 'inotify', ignore: [...opts.ignore] },
      );
    },
    async stop() {
      await sub?.unsubscribe();
      sub = undefined;
    },
  };
}
