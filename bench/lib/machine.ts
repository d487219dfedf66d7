import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { NODE } from './agent.ts';

function run(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  } catch {
    return null;
  }
}

export function describeMachine(dir: string): Record<string, string | number | null> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    nproc: Number(run('nproc', [])) || os.cpus().length,
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? null,
    memory_gib: Math.round((memKb / 1024 / 1024) * 10) / 10,
    kernel: os.release(),
    node: run(NODE, ['--version']),
    filesystem: run('stat', ['-f', '-c', '%T', dir]),
    inotifywait: run('sh', ['-c', 'inotifywait --help 2>&1 | head -1']),
    max_user_watches: Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')),
    max_queued_events: Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8')),
  };
}
