// The one small interface both watcher backends implement, so they can be swapped and measured side by side.
export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
}

export interface WatcherOptions {
  readonly root: string;
  /** Globs relative to the root; ignored directories cost no watches where the backend supports it. */
  readonly ignore: readonly string[];
  /** Called for every path a backend could skip before watching (chokidar asks per path). */
  readonly isIgnored: (abs: string) => boolean;
  readonly onEvents: (events: readonly WatchEvent[]) => void;
  readonly onError: (err: Error) => void;
}

export interface DirectoryWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Make sure a directory that appeared with subdirectories already inside (mkdir -p, unzip, mv) is watched
   * all the way down: a backend that only adds a watch per create event misses subdirectories created before
   * that watch existed.
   */
  watchSubtree(dir: string): Promise<void>;
}

export type WatcherFactory = (opts: WatcherOptions) => DirectoryWatcher;
