// What a signal that killed a student's program usually means, in words an instructor (or student) reads.

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  SIGSEGV: 'invalid memory access (segmentation fault): e.g. a null or dangling pointer, an out-of-bounds array index, or a stack overflow from unbounded recursion',
  SIGBUS: 'bus error: misaligned or invalid memory access, e.g. through a corrupted pointer or a truncated memory-mapped file',
  SIGFPE: 'arithmetic error: integer division by zero (or remainder by zero), or an overflowing integer division',
  SIGABRT: 'aborted: an assertion failed, abort() was called, or the C library detected memory corruption (e.g. a double free)',
  SIGILL: 'illegal instruction: e.g. a corrupted function pointer, or code built for another CPU (__builtin_trap)',
  SIGTRAP: 'trace/breakpoint trap: e.g. __builtin_trap(), a debugger breakpoint, or a sanitizer stop',
  SIGKILL: 'killed (cannot be caught): e.g. a time or memory limit, the out-of-memory killer, or kill -9',
  SIGTERM: 'terminated on request: e.g. a time limit, Ctrl+C in an IDE, or the pod shutting down',
  SIGINT: 'interrupted: Ctrl+C in the terminal',
  SIGQUIT: 'quit: Ctrl+\\ in the terminal',
  SIGHUP: 'hang-up: the terminal was closed',
  SIGPIPE: 'broken pipe: wrote to a pipe or socket whose reader had gone, e.g. `./prog | head`',
  SIGXCPU: 'CPU time limit exceeded (ulimit -t)',
  SIGXFSZ: 'file size limit exceeded (ulimit -f)',
  SIGALRM: 'alarm clock: a timer set with alarm() expired',
  SIGSYS: 'bad system call: blocked by a seccomp sandbox',
  SIGUSR1: 'user-defined signal 1 (not handled)',
  SIGUSR2: 'user-defined signal 2 (not handled)',
  SIGSTKFLT: 'stack fault on coprocessor',
};

/** A human explanation for a signal name (`SIGSEGV`), or undefined for one without a usual meaning. */
export function describeSignal(name: string): string | undefined {
  return DESCRIPTIONS[name];
}
