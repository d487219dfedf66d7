// Terminal escapes in captured output: code-server terminals are PTYs, so gcc and clang colour their
// diagnostics (SGR), erase to end of line, and gcc ≥ 10 wraps option names in OSC 8 hyperlinks.

// OSC … (BEL | ST), CSI … final byte, then any other two-byte ESC sequence.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.includes('\x1b') ? s.replace(ESCAPES, '') : s;
}
