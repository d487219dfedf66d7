// Every span attribute the correlator sets, in one place, shaped like telemetry/schema.ts AttributeDef
// (name, type, on, description, source) so the entries can be merged into the telemetry schema as they are.
// `inSchema` marks the ones telemetry/schema.ts already defines (same name and meaning).

export interface CorrelateAttributeDef {
  readonly name: string;
  readonly type: 'string' | 'int' | 'boolean' | 'string[]';
  readonly on: 'record';
  readonly description: string;
  readonly source: 'semconv' | 'jcode';
  readonly inSchema: boolean;
}

function def(name: string, type: CorrelateAttributeDef['type'], description: string, inSchema = false): CorrelateAttributeDef {
  return { name, type, on: 'record', description, source: name.startsWith('jcode.') ? 'jcode' : 'semconv', inSchema };
}

export const CORRELATE_ATTR = {
  // OTel process / CLI-span conventions.
  PROCESS_PID: def('process.pid', 'int', 'Process ID (thread-group ID) in the host PID namespace.', true),
  PROCESS_PARENT_PID: def('process.parent_pid', 'int', 'Parent process ID at exec.', true),
  PROCESS_EXECUTABLE_NAME: def('process.executable.name', 'string', 'Base name of the executable file actually mapped (`x86_64-linux-gnu-gcc-12`, `python3.12`, `hw1`).', true),
  PROCESS_EXECUTABLE_PATH: def('process.executable.path', 'string', 'Path passed to exec, made absolute against the working directory.', true),
  PROCESS_COMMAND_ARGS: def('process.command_args', 'string[]', 'argv of the (last spanned) image.', true),
  PROCESS_WORKING_DIRECTORY: def('process.working_directory', 'string', 'Working directory at exec.', true),
  PROCESS_EXIT_CODE: def('process.exit.code', 'int', 'Exit code, when the process exited normally.', true),
  ERROR_TYPE: def('error.type', 'string', 'On failed spans: the signal name (`SIGSEGV`) when a signal killed the process, the exit code as a string (`1`) for a non-zero exit, the errno name (`ENOENT`) for a failed exec.'),
  // Our own.
  PROCESS_SIGNAL: def('jcode.process.signal', 'string', 'Name of the signal that killed the process (`SIGSEGV`).', true),
  PROCESS_CORE_DUMPED: def('jcode.process.core_dumped', 'boolean', 'Set (true) when the kernel reported a core dump.', true),
  PROCESS_EXIT_LOST: def('jcode.process.exit_lost', 'boolean', 'True when no exit was seen: the span ends at an age limit, an eviction or agent shutdown, not at the process exit.'),
  PROCESS_EXEC_REPLACED: def('jcode.process.exec_replaced', 'boolean', 'True when the span ended because the process exec\'d a program of another kind (its end is that exec).'),
  EXEC_KIND: def('jcode.exec.kind', 'string', 'What the program is: `compile`, `build`, `interpret`, `run` (a student-built program) or `toolchain` (cc1, as, ld… under a compiler).'),
  EXEC_FAILED: def('jcode.exec.failed', 'boolean', 'True on the zero-length span of an exec that failed (e.g. `./a.out` before compiling).'),
  RUN_COMPILE_SEEN: def('jcode.run.compile_seen', 'boolean', 'On run spans: whether the compile that produced the executable was seen (joined by inode and device).'),
  COMPILE_SOURCES: def('jcode.compile.sources', 'string[]', 'Source files on the compiler command line, as given.'),
  COMPILE_OUTPUT: def('jcode.compile.output', 'string', 'Output file of the compile, as given (`a.out` when linking without `-o`).'),
  BUILD_OUTPUTS: def('jcode.build.outputs', 'string[]', 'On the root span of a build (make, cmake): executables its compilers produced, as absolute paths (at most 64).'),
} as const satisfies Record<string, CorrelateAttributeDef>;

/** The values of `jcode.exec.kind`. */
export const EXEC_KINDS = ['compile', 'build', 'interpret', 'run', 'toolchain'] as const;
