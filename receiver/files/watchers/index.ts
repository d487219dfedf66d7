import { chokidarWatcher } from './chokidar.ts';
import { parcelWatcher } from './parcel.ts';
import type { WatcherFactory } from './types.ts';

export const WATCHERS: Record<'parcel' | 'chokidar', WatcherFactory> = {
  parcel: parcelWatcher,
  chokidar: chokidarWatcher,
};
export type { DirectoryWatcher, WatchEvent, WatcherFactory, WatcherOptions } from './types.ts';
