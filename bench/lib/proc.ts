// Reading a process (tree) from /proc: CPU ticks, peak and current RSS, inotify watches.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function read(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** Direct children of pid (all threads' children lists). */
export function children(pid: number): number[] {
  const out = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const t of tasks) {
    const s = read(`/proc/${pid}/task/${t}/children`);
    if (s) for (const c of s.trim().split(/\s+/)) if (c) out.add(Number(c));
  }
  return [...out];
}

/** pid and all its descendants. */
export function tree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

/** utime+stime of one process (all its threads), in seconds; 0 if gone. */
export function cpuSeconds(pid: number): number {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return 0;
  // Fields after the command name (which may contain spaces) start at ") ".
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of stat
}

export function treeCpuSeconds(pid: number): number {
  return tree(pid).reduce((a, p) => a + cpuSeconds(p), 0);
}

/** Per-pid CPU seconds of a tree, to take deltas that survive processes appearing. */
export function treeCpuSnapshot(pid: number): Map<number, number> {
  return new Map(tree(pid).map((p) => [p, cpuSeconds(p)]));
}

export function cpuDelta(a: Map<number, number>, b: Map<number, number>): number {
  let d = 0;
  for (const [p, t] of b) d += t - (a.get(p) ?? 0);
  return d;
}

function statusKb(pid: number, key: string): number | undefined {
  const s = read(`/proc/${pid}/status`);
  const m = s && new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s);
  return m ? Number(m[1]) : undefined;
}

/** Peak resident set (VmHWM) in MB. */
export function peakRssMb(pid: number): number | undefined {
  const kb = statusKb(pid, 'VmHWM');
  return kb === undefined ? undefined : kb / 1024;
}

export function rssMb(pid: number): number | undefined {
  const kb = statusKb(pid, 'VmRSS');
  return kb === undefined ? undefined : kb / 1024;
}

/** inotify watches held by a process: `inotify wd:` lines over its fds' fdinfo. */
export function inotifyWatches(pid: number): number {
  let n = 0;
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    const s = read(`/proc/${pid}/fdinfo/${fd}`);
    if (!s || !s.includes('inotify wd:')) continue;
    for (const line of s.split('\n')) if (line.startsWith('inotify wd:')) n++;
  }
  return n;
}

export function cmdline(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ');
}
