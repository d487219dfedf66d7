export type Content =
  | { kind: 'text'; bytes: Buffer; text: string; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'binary'; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'truncated'; sha256: string; size: number; mtimeMs: number; ino: number }
  | { kind: 'symlink'; target: string; sha256: string; size: number; mtimeMs: number; ino: number; outside: boolean }
  | { kind: 'directory' }
  | { kind: 'special' }
  | { kind: 'missing' }
  | { kind: 'outside' }
  | { kind: 'denied' }
  | { kind: 'error'; message: string };

export function readFileSafelySync(abs: string, rootReal: string, maxBytes: number, deferLarge?: false): Content;
export function readFileSafelySync(abs: string, rootReal: string, maxBytes: number, deferLarge: boolean): Content | { kind: 'large' };
