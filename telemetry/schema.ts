// The one telemetry schema: every event, attribute and metric the agent emits.
// Code refers to names through these definitions, and docs/telemetry.md is generated from them
// (a test fails when the two differ), so documentation cannot drift from what is emitted.

export type AttrType = 'string' | 'int' | 'double' | 'boolean' | 'string[]';

export interface AttributeDef {
  readonly name: string;
  readonly type: AttrType;
  /** Where it appears: on the OTel Resource or on each record/span. */
  readonly on: 'resource' | 'record';
  readonly description: string;
  /** Where the name comes from: an OTel semantic convention, or our own `jcode.`/`edu.` namespace. */
  readonly source: 'semconv' | 'jcode';
}

function attr(name: string, type: AttrType, on: AttributeDef['on'], description: string): AttributeDef {
  const source = name.startsWith('jcode.') || name.startsWith('edu.') ? 'jcode' : 'semconv';
  return { name, type, on, description, source };
}

export const ATTR = {
  // Resource: who is reporting.
  SERVICE_NAME: attr('service.name', 'string', 'resource', 'Always `jcode-watcher` unless OTEL_SERVICE_NAME overrides it.'),
  SERVICE_VERSION: attr('service.version', 'string', 'resource', 'The agent version.'),
  HOST_NAME: attr('host.name', 'string', 'resource', 'The node host name.'),
  K8S_NODE_NAME: attr('k8s.node.name', 'string', 'resource', 'Kubernetes node the agent runs on (config `node.name` or $NODE_NAME).'),

  // Student context, on every record so saves and runs of one student join.
  EDU_COURSE: attr('edu.course', 'string', 'record', 'Course code from the workspace layout, e.g. `os`.'),
  EDU_SECTION: attr('edu.section', 'string', 'record', 'Course section, e.g. `1`.'),
  EDU_STUDENT_ID: attr('edu.student.id', 'string', 'record', 'Student identifier, or its keyed pseudonym `s_` + 16 hex digits of HMAC-SHA256(key, ID) when `privacy.pseudonymize` is on (docs/data-inventory.md).'),
  EDU_STUDENT_REAL_ID: attr('edu.student.real_id', 'string', 'record', 'Only with `privacy.pseudonymize` and `privacy.send_real_id`: the real student ID next to the pseudonym, for a Collector route allowed to see it; the shipped Collector config removes it from every other route.'),
  EDU_ASSIGNMENT: attr('edu.assignment', 'string', 'record', 'Assignment directory; absent for files outside any assignment directory.'),

  // File records.
  FILE_PATH: attr('file.path', 'string', 'record', "Path relative to the student's workspace directory, `/`-separated."),
  FILE_NAME: attr('file.name', 'string', 'record', 'Base name of the file.'),
  FILE_EXTENSION: attr('file.extension', 'string', 'record', 'Extension without the dot (`c`, `py`); absent when there is none.'),
  FILE_SIZE: attr('file.size', 'int', 'record', 'Size in bytes at the time it was read.'),
  FILE_SYMLINK_TARGET: attr('file.symbolic_link.target_path', 'string', 'record', "For a symlink: the link's target text (never followed, never read)."),
  JCODE_FILE_SHA256: attr('jcode.file.sha256', 'string', 'record', 'Hex SHA-256 of the full content (also for truncated and binary files).'),
  JCODE_FILE_PREVIOUS_SHA256: attr('jcode.file.previous_sha256', 'string', 'record', 'Hex SHA-256 of the previous snapshot; absent for the first save of a file.'),
  JCODE_FILE_DIFF: attr('jcode.file.diff', 'string', 'record', 'Unified diff against the previous snapshot of that file; absent for the first save, binary or truncated files.'),
  JCODE_FILE_DIFF_TRUNCATED: attr('jcode.file.diff_truncated', 'boolean', 'record', 'True when the diff hit its time or size limit; the line counts are then estimates.'),
  JCODE_FILE_LINES_ADDED: attr('jcode.file.lines_added', 'int', 'record', 'Lines added against the previous snapshot (all lines for a first save).'),
  JCODE_FILE_LINES_REMOVED: attr('jcode.file.lines_removed', 'int', 'record', 'Lines removed against the previous snapshot.'),
  JCODE_FILE_TRUNCATED: attr('jcode.file.truncated', 'boolean', 'record', 'True when the file exceeded `files.max_bytes`: no body and no diff.'),
  JCODE_FILE_BINARY: attr('jcode.file.binary', 'boolean', 'record', 'True for content with NUL bytes or invalid UTF-8: no body and no diff.'),
  JCODE_FILE_SYMLINK: attr('jcode.file.symlink', 'boolean', 'record', 'True when the path is a symbolic link: the link is reported, its target never read.'),
  JCODE_FILE_DETECTED_BY: attr('jcode.file.detected_by', 'string', 'record', '`watch` (a file-system event) or `scan` (the reconciliation scan found it).'),
  JCODE_FILE_OLD_PATH: attr('jcode.file.old_path', 'string', 'record', 'For `jcode.file.rename`: the path before the rename.'),
  JCODE_FILE_VERSION: attr('jcode.file.version', 'int', 'record', 'Per-file save counter kept in the snapshot store (1 for the first save).'),
  // Notebook saves (`.ipynb`): the diff and line counts are over the code cells only (see docs/telemetry.md).
  JCODE_NOTEBOOK_CELL_COUNT: attr('jcode.notebook.cell_count', 'int', 'record', 'On `.ipynb` saves: number of cells of every kind (code, markdown, raw).'),
  JCODE_NOTEBOOK_CELL_OUTCOMES: attr('jcode.notebook.cell_outcomes', 'string[]', 'record', 'On `.ipynb` saves: one value per code cell, in order: `error` (an error output), `display` (display data), `stream` (printed output), `ok` (ran: a result or no output), `empty` (no code), `not run` (code, never executed).'),
  JCODE_NOTEBOOK_INVALID: attr('jcode.notebook.invalid', 'boolean', 'record', 'On `.ipynb` saves that are not a readable nbformat 4 notebook (bad JSON, wrong shape): true, with `jcode.notebook.error`; the diff is then of the raw text.'),
  JCODE_NOTEBOOK_ERROR: attr('jcode.notebook.error', 'string', 'record', 'Why the notebook could not be read (at most 200 characters).'),

  // Pod of a process (resource of exec records and spans).
  K8S_POD_NAME: attr('k8s.pod.name', 'string', 'resource', 'Pod name: from /var/log/pods on the node, else the UTS host name.'),
  K8S_POD_UID: attr('k8s.pod.uid', 'string', 'resource', 'Pod UID from the cgroup path.'),
  K8S_NAMESPACE_NAME: attr('k8s.namespace.name', 'string', 'resource', 'Namespace, from the /var/log/pods/<namespace>_<name>_<uid> directory.'),
  CONTAINER_ID: attr('container.id', 'string', 'resource', 'Container ID from the cgroup path (containerd, CRI-O, Docker; systemd and cgroupfs drivers; v1 and v2).'),

  // Process records (eBPF).
  PROCESS_PID: attr('process.pid', 'int', 'record', 'Process ID (thread-group ID) in the host PID namespace.'),
  PROCESS_PARENT_PID: attr('process.parent_pid', 'int', 'record', 'Parent process ID.'),
  PROCESS_VPID: attr('process.vpid', 'int', 'record', "Process ID as seen inside the process's own PID namespace (the pod)."),
  PROCESS_EXECUTABLE_NAME: attr('process.executable.name', 'string', 'record', 'Base name of the executable (`gcc`, `python3.12`, `hw1`).'),
  PROCESS_EXECUTABLE_PATH: attr('process.executable.path', 'string', 'record', 'Path of the executable as passed to exec.'),
  PROCESS_COMMAND_ARGS: attr('process.command_args', 'string[]', 'record', 'Full argv (up to 16 KiB; see `jcode.process.args_truncated`).'),
  PROCESS_ARGS_COUNT: attr('process.args_count', 'int', 'record', 'Number of arguments, including ones past the capture limit.'),
  PROCESS_WORKING_DIRECTORY: attr('process.working_directory', 'string', 'record', 'Current directory at exec, as seen in the process\'s mount namespace.'),
  PROCESS_USER_ID: attr('process.user.id', 'int', 'record', 'Effective user ID.'),
  PROCESS_EXIT_CODE: attr('process.exit.code', 'int', 'record', 'Exit code, when the process exited normally.'),
  PROCESS_LINUX_CGROUP: attr('process.linux.cgroup', 'string', 'record', 'cgroup v2 path of the process.'),
  JCODE_PROCESS_SIGNAL: attr('jcode.process.signal', 'string', 'record', 'Name of the signal that killed the process (`SIGSEGV`); absent when it exited normally.'),
  JCODE_PROCESS_CORE_DUMPED: attr('jcode.process.core_dumped', 'boolean', 'record', 'True when the kernel reported a core dump.'),
  JCODE_PROCESS_DURATION: attr('jcode.process.duration', 'double', 'record', 'Seconds from the process start to its exit.'),
  JCODE_PROCESS_ARGS_SIZE: attr('jcode.process.args_size', 'int', 'record', 'Full size of argv in bytes (the capture holds at most 16 KiB).'),
  JCODE_PROCESS_ARGS_TRUNCATED: attr('jcode.process.args_truncated', 'boolean', 'record', 'True when argv was longer than the capture limit.'),
  JCODE_PROCESS_HOSTNAME: attr('jcode.process.hostname', 'string', 'record', 'UTS host name of the process (the pod name in Kubernetes).'),
  JCODE_PROCESS_EXE_INODE: attr('jcode.process.executable.inode', 'string', 'record', 'Inode of the executable (the compile → run join key, with the device).'),
  JCODE_PROCESS_EXE_DEVICE: attr('jcode.process.executable.device', 'int', 'record', 'Device number of the executable, as stat(2) reports it.'),
  JCODE_PROCESS_ERRNO: attr('jcode.process.errno', 'string', 'record', 'For a failed exec: the error name (`ENOENT`, `EACCES`).'),
  // Spans of compiles and runs (the trace correlator).
  ERROR_TYPE: attr('error.type', 'string', 'record', 'On failed spans: the signal name (`SIGSEGV`) when a signal killed the process, the exit code as a string (`1`) for a non-zero exit, the errno name (`ENOENT`) for a failed exec.'),
  JCODE_PROCESS_EXIT_LOST: attr('jcode.process.exit_lost', 'boolean', 'record', 'True when no exit was seen: the span ends at an age limit, an eviction or agent shutdown, not at the process exit.'),
  JCODE_PROCESS_EXEC_REPLACED: attr('jcode.process.exec_replaced', 'boolean', 'record', 'True when the span ended because the process exec\'d a program of another kind (its end is that exec).'),
  JCODE_EXEC_KIND: attr('jcode.exec.kind', 'string', 'record', 'What the program is: `compile`, `build`, `interpret`, `run` (a student-built program) or `toolchain` (cc1, as, ld… under a compiler).'),
  JCODE_EXEC_FAILED: attr('jcode.exec.failed', 'boolean', 'record', 'True on the zero-length span of an exec that failed (e.g. `./a.out` before compiling).'),
  JCODE_RUN_COMPILE_SEEN: attr('jcode.run.compile_seen', 'boolean', 'record', 'On run spans: whether the compile that produced the executable was seen (joined by inode and device).'),
  JCODE_COMPILE_SOURCES: attr('jcode.compile.sources', 'string[]', 'record', 'Source files on the compiler or interpreter command line, as given.'),
  JCODE_SOURCE_SHA256: attr('jcode.source.sha256', 'string[]', 'record', 'For each of `jcode.compile.sources` (same order): the SHA-256 of its last saved version, the same hash as on its `jcode.file.save` record; empty when unknown.'),
  JCODE_COMPILE_OUTPUT: attr('jcode.compile.output', 'string', 'record', 'Output file of the compile, as given (`a.out` when linking without `-o`).'),
  JCODE_BUILD_OUTPUTS: attr('jcode.build.outputs', 'string[]', 'record', 'On the root span of a build (make, cmake): executables its compilers produced, as absolute paths (at most 64).'),
  JCODE_PYTHON_MODE: attr('jcode.python.mode', 'string', 'record', 'On interpreter spans run as `python3 -m module` or `python3 -c code`: `module` or `command`.'),
  JCODE_ATTRIBUTION: attr('jcode.attribution', 'string', 'record', 'How the student was found: `hostname` (pod host name pattern), `cwd` or `argv` (a path under the workspaces root); on Jupyter cell spans also `kernel` (the kernel\'s `JCODE_*` environment) or `path` (the notebook path under the workspaces root).'),
  // Jupyter cell spans (sent by the jcode_jupyter IPython extension, validated by the agent).
  JCODE_JUPYTER_EXECUTION_COUNT: attr('jcode.jupyter.execution_count', 'int', 'record', 'The cell\'s execution count (`In [n]`).'),
  JCODE_JUPYTER_CELL_ID: attr('jcode.jupyter.cell.id', 'string', 'record', 'The cell\'s nbformat id, when the front end sends it (joins the cell with its notebook).'),
  JCODE_JUPYTER_CELL_SHA256: attr('jcode.jupyter.cell.sha256', 'string', 'record', 'Hex SHA-256 of the cell\'s code as executed (the code itself is not sent).'),
  JCODE_JUPYTER_CELL_SIZE: attr('jcode.jupyter.cell.size', 'int', 'record', 'Size of the cell\'s code in bytes (UTF-8).'),
  JCODE_JUPYTER_CELL_LINES: attr('jcode.jupyter.cell.lines', 'int', 'record', 'Lines of code in the cell.'),
  JCODE_JUPYTER_SESSION_ID: attr('jcode.jupyter.session.id', 'string', 'record', 'Random id of the kernel session: the cells of one kernel run share it.'),
  JCODE_JUPYTER_NOTEBOOK_PATH: attr('jcode.jupyter.notebook_path', 'string', 'record', 'The notebook\'s path as the kernel sees it (from the front end; absent when it does not say).'),
  EXCEPTION_TYPE: attr('exception.type', 'string', 'record', 'On the `exception` event of a failed cell: the exception class (`ZeroDivisionError`).'),
  EXCEPTION_MESSAGE: attr('exception.message', 'string', 'record', 'On the `exception` event of a failed cell: the exception message (at most 1,024 characters).'),
  // Compiler and interpreter diagnostics (captured stderr), on compile, build, interpret and run spans.
  JCODE_PROCESS_SIGNAL_DESCRIPTION: attr('jcode.process.signal.description', 'string', 'record', 'On spans of processes killed by a signal: what the signal usually means for a student program (SIGSEGV: invalid memory access, e.g. a null or dangling pointer or an out-of-bounds index; SIGFPE: division by zero or another arithmetic error; SIGABRT: an assertion failed or abort() was called; SIGKILL: killed, e.g. a time or memory limit).'),
  JCODE_PROCESS_STDERR: attr('jcode.process.stderr', 'string', 'record', 'What the process and its children (cc1, as, collect2, ld…) wrote to stderr, ANSI colour codes stripped; at most `exec.stderr_max_bytes` per process and 16 KiB per span (see `jcode.process.stderr_truncated`). Only for compilers, interpreters, build tools and their descendants.'),
  JCODE_PROCESS_STDERR_TRUNCATED: attr('jcode.process.stderr_truncated', 'boolean', 'record', 'True when stderr was longer than what was kept (the per-process budget in the kernel or the per-span cap).'),
  JCODE_PROCESS_STDERR_DROPPED: attr('jcode.process.stderr_dropped_bytes', 'int', 'record', 'Bytes written to stderr past the per-process budget (counted in the kernel, not captured).'),
  JCODE_PROCESS_STDOUT: attr('jcode.process.stdout', 'string', 'record', 'Only when `exec.stdout_max_bytes` > 0 (off by default, for privacy): what the process wrote to stdout, bounded like stderr.'),
  JCODE_PROCESS_STDOUT_TRUNCATED: attr('jcode.process.stdout_truncated', 'boolean', 'record', 'True when stdout (opt-in) was longer than what was kept.'),
  JCODE_DIAGNOSTIC_ERROR_COUNT: attr('jcode.diagnostic.error_count', 'int', 'record', 'On spans with captured stderr: diagnostics of severity `error` or `fatal` (each a `jcode.diagnostic` span event; compiler, linker and Python errors).'),
  JCODE_DIAGNOSTIC_WARNING_COUNT: attr('jcode.diagnostic.warning_count', 'int', 'record', 'On spans with captured stderr: diagnostics of severity `warning`.'),
  JCODE_DIAGNOSTIC_NOTE_COUNT: attr('jcode.diagnostic.note_count', 'int', 'record', 'On spans with captured stderr: diagnostics of severity `note`.'),
  JCODE_DIAGNOSTIC_SEVERITY: attr('jcode.diagnostic.severity', 'string', 'record', 'On `jcode.diagnostic` span events: `fatal`, `error`, `warning` or `note` (a Python exception and a linker error are `error`).'),
  JCODE_DIAGNOSTIC_MESSAGE: attr('jcode.diagnostic.message', 'string', 'record', 'On `jcode.diagnostic` span events: the message (`‘x’ undeclared (first use in this function)`, `name \'y\' is not defined`), without location, severity or flag.'),
  JCODE_DIAGNOSTIC_FILE: attr('jcode.diagnostic.file', 'string', 'record', 'On `jcode.diagnostic` span events: the file the diagnostic points at, as the tool printed it.'),
  JCODE_DIAGNOSTIC_LINE: attr('jcode.diagnostic.line', 'int', 'record', 'On `jcode.diagnostic` span events: 1-based line (for a Python traceback: of the innermost frame).'),
  JCODE_DIAGNOSTIC_COLUMN: attr('jcode.diagnostic.column', 'int', 'record', 'On `jcode.diagnostic` span events: 1-based column, when the tool gives one.'),
  JCODE_DIAGNOSTIC_ERROR_TYPE: attr('jcode.diagnostic.error_type', 'string', 'record', 'On `jcode.diagnostic` span events: the Python exception class (`NameError`, `IndentationError`), or for linker errors `undefined_reference`, `multiple_definition`, `library_not_found`.'),
  JCODE_DIAGNOSTIC_FLAG: attr('jcode.diagnostic.flag', 'string', 'record', 'On `jcode.diagnostic` span events: the warning option the compiler names (`-Wunused-variable`; `-Werror=x` is given as `-Wx`).'),
  JCODE_DIAGNOSTIC_TOOL: attr('jcode.diagnostic.tool', 'string', 'record', 'On `jcode.diagnostic` span events: which format it was read as: `compiler` (gcc/clang `file:line:col: severity:`), `linker` (ld), `driver` (`gcc: error:`, `collect2: error:`, `clang: error:`), `python`.'),
  JCODE_DIAGNOSTIC_FUNCTION: attr('jcode.diagnostic.function', 'string', 'record', 'On `jcode.diagnostic` span events: the enclosing function (gcc `In function ‘main’`, the linker\'s `in function`, the innermost Python frame).'),
  JCODE_DIAGNOSTIC_RAW: attr('jcode.diagnostic.raw', 'string', 'record', 'On `jcode.diagnostic` span events: the diagnostic\'s full text as printed (source excerpt, caret, the whole traceback), ANSI-stripped, at most 2 KiB.'),
} as const satisfies Record<string, AttributeDef>;

export type AttrName = (typeof ATTR)[keyof typeof ATTR]['name'];

export interface EventDef {
  readonly name: string;
  readonly signal: 'log';
  readonly description: string;
  readonly body: string;
  readonly attributes: readonly AttributeDef[];
}

const STUDENT = [ATTR.EDU_COURSE, ATTR.EDU_SECTION, ATTR.EDU_STUDENT_ID, ATTR.EDU_ASSIGNMENT];
const FILE_ID = [ATTR.FILE_PATH, ATTR.FILE_NAME, ATTR.FILE_EXTENSION, ATTR.JCODE_FILE_DETECTED_BY];

export const EVENTS = {
  FILE_SAVE: {
    name: 'jcode.file.save',
    signal: 'log',
    description: 'A settled save (after the per-file debounce) whose content differs from the last snapshot.',
    body: 'The full text content; empty for truncated, binary and symlink records.',
    attributes: [
      ...STUDENT, ...FILE_ID, ATTR.FILE_SIZE, ATTR.JCODE_FILE_SHA256, ATTR.JCODE_FILE_PREVIOUS_SHA256,
      ATTR.JCODE_FILE_DIFF, ATTR.JCODE_FILE_DIFF_TRUNCATED, ATTR.JCODE_FILE_LINES_ADDED,
      ATTR.JCODE_FILE_LINES_REMOVED, ATTR.JCODE_FILE_TRUNCATED, ATTR.JCODE_FILE_BINARY,
      ATTR.JCODE_FILE_SYMLINK, ATTR.FILE_SYMLINK_TARGET, ATTR.JCODE_FILE_VERSION,
      ATTR.JCODE_NOTEBOOK_CELL_COUNT, ATTR.JCODE_NOTEBOOK_CELL_OUTCOMES, ATTR.JCODE_NOTEBOOK_INVALID, ATTR.JCODE_NOTEBOOK_ERROR,
    ],
  },
  FILE_DELETE: {
    name: 'jcode.file.delete',
    signal: 'log',
    description: 'A file that had a snapshot no longer exists.',
    body: 'Empty.',
    attributes: [...STUDENT, ...FILE_ID, ATTR.JCODE_FILE_PREVIOUS_SHA256],
  },
  FILE_RENAME: {
    name: 'jcode.file.rename',
    signal: 'log',
    description: 'A file disappeared and one with the same content appeared in the same workspace within the rename window.',
    body: 'Empty.',
    attributes: [...STUDENT, ...FILE_ID, ATTR.JCODE_FILE_OLD_PATH, ATTR.JCODE_FILE_SHA256, ATTR.FILE_SIZE],
  },
  PROCESS_EXEC: {
    name: 'jcode.process.exec',
    signal: 'log',
    description: 'A program started (successful exec) in a student context, captured in the kernel.',
    body: 'Empty.',
    attributes: [...STUDENT, ATTR.JCODE_ATTRIBUTION, ATTR.PROCESS_PID, ATTR.PROCESS_PARENT_PID, ATTR.PROCESS_VPID, ATTR.PROCESS_EXECUTABLE_NAME,
      ATTR.PROCESS_EXECUTABLE_PATH, ATTR.PROCESS_COMMAND_ARGS, ATTR.PROCESS_ARGS_COUNT, ATTR.JCODE_PROCESS_ARGS_SIZE, ATTR.JCODE_PROCESS_ARGS_TRUNCATED,
      ATTR.PROCESS_WORKING_DIRECTORY, ATTR.PROCESS_USER_ID, ATTR.PROCESS_LINUX_CGROUP, ATTR.JCODE_PROCESS_HOSTNAME, ATTR.JCODE_PROCESS_EXE_INODE, ATTR.JCODE_PROCESS_EXE_DEVICE],
  },
  PROCESS_EXEC_FAILED: {
    name: 'jcode.process.exec_failed',
    signal: 'log',
    description: 'An exec that failed (e.g. `./a.out` before compiling: ENOENT) in a student context.',
    body: 'Empty.',
    attributes: [...STUDENT, ATTR.JCODE_ATTRIBUTION, ATTR.PROCESS_PID, ATTR.PROCESS_PARENT_PID, ATTR.PROCESS_EXECUTABLE_NAME, ATTR.PROCESS_EXECUTABLE_PATH,
      ATTR.PROCESS_COMMAND_ARGS, ATTR.PROCESS_WORKING_DIRECTORY, ATTR.JCODE_PROCESS_ERRNO, ATTR.JCODE_PROCESS_HOSTNAME],
  },
  PROCESS_EXIT: {
    name: 'jcode.process.exit',
    signal: 'log',
    description: 'A reported process ended (its last thread exited): exit code, or the signal that killed it.',
    body: 'Empty.',
    attributes: [...STUDENT, ATTR.JCODE_ATTRIBUTION, ATTR.PROCESS_PID, ATTR.PROCESS_PARENT_PID, ATTR.PROCESS_EXECUTABLE_NAME, ATTR.PROCESS_EXIT_CODE,
      ATTR.JCODE_PROCESS_SIGNAL, ATTR.JCODE_PROCESS_CORE_DUMPED, ATTR.JCODE_PROCESS_DURATION],
  },
} as const satisfies Record<string, EventDef>;

export interface SpanDef {
  readonly kind: string;
  readonly name: string;
  readonly description: string;
}

/** The spans of compile → run traces; every span carries the process and student attributes above. */
export const SPANS: readonly SpanDef[] = [
  { kind: 'compile', name: 'the compiler (`gcc`, `g++`, `clang`, `cc`; versioned and triplet names map to these)', description: 'A compile. The root of its trace unless a build tool started it. Runs of what it produced are its children.' },
  { kind: 'build', name: '`make`, `cmake`, `ninja`', description: 'A build; its compiles are children, and runs of its outputs join it.' },
  { kind: 'interpret', name: '`python3` (shims and `#!/usr/bin/env python3` collapse onto the real interpreter)', description: 'An interpreter run: a trace of its own (a child when a build tool started it).' },
  { kind: 'run', name: '`run`', description: 'A program inside the student workspace: a child of the compile that produced it (joined by inode and device), else its own trace with `jcode.run.compile_seen=false`. A failed exec is a zero-length `run` span with `jcode.exec.failed=true`.' },
  { kind: 'toolchain', name: '`cc1`, `cc1plus`, `as`, `collect2`, `ld`', description: 'Children of their compiler span, never roots. What they write to stderr is reported on the compiler span.' },
  { kind: 'diagnostics', name: 'span events `jcode.diagnostic`', description: 'On compile, build, interpret and run spans whose process tree wrote to stderr (captured in the kernel, `exec.stderr_max_bytes`): one event per gcc/g++/clang diagnostic (`file:line:col: error\|warning\|note: message [-Wflag]`, with its source excerpt and "In function" context), linker error (`undefined reference to`), driver error and Python traceback (incl. SyntaxError/IndentationError), at the time it was written, with `jcode.diagnostic.*`; counts per severity and the stripped text (`jcode.process.stderr`) on the span. A span killed by a signal carries `jcode.process.signal.description`. In Jaeger the events show as the span\'s logs.' },
  { kind: 'jupyter', name: '`jcode.jupyter.cell`', description: 'One notebook cell execution, sent by the jcode_jupyter IPython extension to the agent\'s `POST /v1/traces` and forwarded through its exporters: a trace of its own; status ERROR with `error.type` and an `exception` event (`exception.type`, `exception.message`) when the cell raised; `jcode.jupyter.*`, `edu.*`, `process.pid`, `process.working_directory`, `jcode.process.hostname`.' },
];

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label name → its allowed values (bounded by construction). */
  readonly labels: Readonly<Record<string, readonly string[]>>;
  readonly buckets?: readonly number[];
}

export const SKIP_REASONS = [
  'not_allowed', 'ignored', 'unmatched_workspace', 'symlink_outside', 'special_file', 'permission_denied',
  'vanished', 'too_deep', 'read_error', 'invalid_name',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const SCAN_TRIGGERS = ['start', 'periodic', 'overflow'] as const;
export type ScanTrigger = (typeof SCAN_TRIGGERS)[number];

const SIGNALS = ['logs', 'traces', 'metrics'] as const;
const BPF_TYPES = ['exec', 'exec_failed', 'exit', 'fork', 'output', 'output_end'] as const;
const EXPORTERS = ['file', 'otlp'] as const;
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30] as const;
const RATIO_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;
/** Report labels take the course's own values (`edu.course`, `edu.assignment`); the agent never records them. */
const REPORT_LABEL = ['the `edu.course` / `edu.assignment` values'] as const;

export const METRICS = {
  BUILD_INFO: { name: 'jcode_watcher_build_info', type: 'gauge', help: 'Always 1; labels carry the agent version and Node.js version.', labels: {} },
  RECEIVER_UP: { name: 'jcode_watcher_receiver_up', type: 'gauge', help: '1 while the receiver is running, 0 when it failed or stopped.', labels: { receiver: ['files', 'exec'] } },
  FILE_EVENTS: { name: 'jcode_watcher_file_events_total', type: 'counter', help: 'File records emitted, by event and by what detected them.', labels: { event: ['save', 'delete', 'rename'], detected_by: ['watch', 'scan'] } },
  FILE_UNCHANGED: { name: 'jcode_watcher_file_saves_unchanged_total', type: 'counter', help: 'Settled saves whose content hash equalled the last snapshot: nothing emitted.', labels: {} },
  FILE_FLAGGED: { name: 'jcode_watcher_file_records_flagged_total', type: 'counter', help: 'Save records sent without body or diff, by reason.', labels: { flag: ['truncated', 'binary', 'symlink', 'diff_truncated'] } },
  FILE_SKIPPED: { name: 'jcode_watcher_file_skipped_total', type: 'counter', help: 'Paths seen but not reported, by reason.', labels: { reason: SKIP_REASONS } },
  WATCH_EVENTS: { name: 'jcode_watcher_watch_events_total', type: 'counter', help: 'Raw file-system events delivered by the watcher backend.', labels: {} },
  WATCH_OVERFLOWS: { name: 'jcode_watcher_watch_overflows_total', type: 'counter', help: 'Suspected watcher overflows (event bursts past the kernel queue, or backend errors); each triggers a scan.', labels: {} },
  WATCHED_WORKSPACES: { name: 'jcode_watcher_watched_workspaces', type: 'gauge', help: 'Student workspace directories currently matched by the layout.', labels: {} },
  SCANS: { name: 'jcode_watcher_scans_total', type: 'counter', help: 'Reconciliation scans run, by trigger.', labels: { trigger: SCAN_TRIGGERS } },
  SCAN_DURATION: { name: 'jcode_watcher_scan_duration_seconds', type: 'histogram', help: 'Duration of reconciliation scans.', labels: {}, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60] },
  SCAN_FILES: { name: 'jcode_watcher_scan_files', type: 'gauge', help: 'Files visited by the last reconciliation scan.', labels: {} },
  SAVE_LATENCY: { name: 'jcode_watcher_save_latency_seconds', type: 'histogram', help: "From the file's modification time to the record being handed to the exporters.", labels: {}, buckets: LATENCY_BUCKETS },
  DIFF_DURATION: { name: 'jcode_watcher_diff_duration_seconds', type: 'histogram', help: 'Time to compute a diff in the worker, including time-limited ones.', labels: {}, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2] },
  PENDING_FILES: { name: 'jcode_watcher_pending_files', type: 'gauge', help: 'Files waiting in the debounce or processing queue.', labels: {} },
  SNAPSHOT_BLOBS: { name: 'jcode_watcher_snapshot_blobs_written_total', type: 'counter', help: 'New content blobs written to the snapshot store (deduplicated by hash).', labels: {} },
  RECORDS_EXPORTED: { name: 'jcode_watcher_records_exported_total', type: 'counter', help: 'Records successfully handed off by an exporter.', labels: { signal: SIGNALS, exporter: EXPORTERS } },
  EXPORT_FAILURES: { name: 'jcode_watcher_records_export_failed_total', type: 'counter', help: 'Records an exporter failed to deliver.', labels: { signal: SIGNALS, exporter: EXPORTERS } },
  BPF_LOST: { name: 'jcode_watcher_bpf_events_lost_total', type: 'counter', help: 'Events the kernel could not queue (ring buffer full), by type, counted in the kernel.', labels: { type: BPF_TYPES } },
  BPF_DELIVERED: { name: 'jcode_watcher_bpf_events_total', type: 'counter', help: 'Events delivered by the kernel program, by type (before filtering).', labels: { type: BPF_TYPES } },
  BPF_RESTARTS: { name: 'jcode_watcher_bpf_loader_restarts_total', type: 'counter', help: 'Times the eBPF loader died and was restarted.', labels: {} },
  BPF_PARSE_ERRORS: { name: 'jcode_watcher_bpf_parse_errors_total', type: 'counter', help: 'Loader output lines that could not be parsed.', labels: {} },
  PROCESS_EVENTS: { name: 'jcode_watcher_process_events_total', type: 'counter', help: 'Process events after attribution: reported (a student context) or filtered (not a student context).', labels: { type: ['exec', 'exec_failed', 'exit'], outcome: ['reported', 'filtered'] } },
  TRACE_DROPS: { name: 'jcode_watcher_trace_state_dropped_total', type: 'counter', help: 'Trace state let go of, by reason (process table full, a process with no exit past the age limit, the compile-output table full).', labels: { reason: ['process_table_full', 'process_expired', 'output_table_full'] } },
  SPANS_EMITTED: { name: 'jcode_watcher_spans_total', type: 'counter', help: 'Spans emitted, by kind.', labels: { kind: ['compile', 'build', 'interpret', 'run', 'toolchain'] } },
  PROCESS_TABLE_EVICTIONS: { name: 'jcode_watcher_process_table_evictions_total', type: 'counter', help: 'Tracked processes dropped because the table was full (their exit is then not reported).', labels: {} },
  PROCESSES_TRACKED: { name: 'jcode_watcher_processes_tracked', type: 'gauge', help: 'Processes currently tracked (started, not yet exited).', labels: {} },
  EXPORT_SENT: { name: 'jcode_watcher_export_sent_total', type: 'counter', help: 'Records the Collector accepted over OTLP/gRPC.', labels: { signal: SIGNALS } },
  EXPORT_RETRIES: { name: 'jcode_watcher_export_retries_total', type: 'counter', help: 'Failed OTLP send attempts that will be retried with backoff.', labels: { signal: SIGNALS } },
  EXPORT_SPOOLED: { name: 'jcode_watcher_export_spooled_total', type: 'counter', help: 'Records written to the disk spool (every record goes through it before it is sent).', labels: { signal: SIGNALS } },
  EXPORT_DROPPED: { name: 'jcode_watcher_export_dropped_total', type: 'counter', help: 'Records dropped before delivery, by reason (`spool_full`: the oldest spooled batches made room; `serialize`: could not be encoded).', labels: { signal: SIGNALS, reason: ['spool_full', 'serialize'] } },
  EXPORT_SPOOL_BYTES: { name: 'jcode_watcher_export_spool_bytes', type: 'gauge', help: 'Bytes waiting in the disk spool.', labels: { signal: SIGNALS } },
  REDACTIONS: { name: 'jcode_watcher_redactions_total', type: 'counter', help: 'Values replaced by the privacy step before export, by kind (`student_id`: the real ID replaced by its pseudonym; the others: secrets replaced by `[REDACTED]`).', labels: { kind: ['student_id', 'token', 'password', 'url_credentials', 'bearer', 'custom'] } },
  OTLP_HTTP_REQUESTS: { name: 'jcode_watcher_otlp_http_requests_total', type: 'counter', help: 'Requests to the OTLP/HTTP receiver (`POST /v1/traces`), by result (`ok`; `partial`: some spans rejected; the rest: rejected whole).', labels: { result: ['ok', 'partial', 'too_large', 'bad_json', 'bad_request', 'unsupported_media_type', 'unavailable'] } },
  JUPYTER_SPANS: { name: 'jcode_watcher_jupyter_spans_total', type: 'counter', help: 'Jupyter cell spans received, by outcome (`rejected`: failed validation, e.g. a wrong name, id, time or attribute type).', labels: { outcome: ['accepted', 'rejected'] } },
  NOTEBOOK_SAVES: { name: 'jcode_watcher_notebook_saves_total', type: 'counter', help: '`.ipynb` saves, by whether the notebook could be read (`invalid`: the record carries `jcode.notebook.invalid=true`).', labels: { result: ['parsed', 'invalid'] } },
  // Written by `jcode-watcher report --prom FILE` (not the agent): one observation per student and assignment,
  // labelled by course and assignment only (bounded by the course catalogue, never by students).
  REPORT_EQ: { name: 'jcode_watcher_report_error_quotient_ratio', type: 'histogram', help: "Jadud's Error Quotient per student and assignment (report only).", labels: { course: REPORT_LABEL, assignment: REPORT_LABEL }, buckets: RATIO_BUCKETS },
  REPORT_WATWIN: { name: 'jcode_watcher_report_watwin_ratio', type: 'histogram', help: 'Watwin score per student and assignment, where diagnostics were captured (report only).', labels: { course: REPORT_LABEL, assignment: REPORT_LABEL }, buckets: RATIO_BUCKETS },
  REPORT_TIME_ON_TASK: { name: 'jcode_watcher_report_time_on_task_seconds', type: 'histogram', help: 'Active time per student and assignment: gaps between events up to the report\'s `--gap` (report only).', labels: { course: REPORT_LABEL, assignment: REPORT_LABEL }, buckets: [300, 900, 1800, 3600, 7200, 14400, 28800, 57600] },
  REPORT_STUDENTS: { name: 'jcode_watcher_report_students', type: 'gauge', help: 'Students with at least one event in the assignment (report only).', labels: { course: REPORT_LABEL, assignment: REPORT_LABEL } },
  PROCESS_OUTPUT_BYTES: { name: 'jcode_watcher_process_output_bytes_total', type: 'counter', help: 'Bytes compilers, interpreters and their children wrote to stderr (stdout when opted in): `captured` in the kernel, `dropped` past the per-process budget (`exec.stderr_max_bytes`, `exec.stdout_max_bytes`).', labels: { stream: ['stderr', 'stdout'], outcome: ['captured', 'dropped'] } },
  DIAGNOSTICS: { name: 'jcode_watcher_diagnostics_total', type: 'counter', help: 'Diagnostics parsed from captured stderr and attached to spans as `jcode.diagnostic` events, by severity.', labels: { severity: ['fatal', 'error', 'warning', 'note'] } },
  ERRORS: { name: 'jcode_watcher_errors_total', type: 'counter', help: 'Internal errors that were handled, by component.', labels: { component: ['files', 'snapshot', 'diff', 'exporter', 'http', 'exec'] } },
} as const satisfies Record<string, MetricDef>;

export type MetricKey = keyof typeof METRICS;

/**
 * Metrics Prometheus gets from the Collector running otel-collector-config.yaml (not emitted by the agent):
 * the span_metrics connector's output on the prometheus exporter (:8889), and the Collector's own telemetry
 * (:8888) that the alert rules use. The chart's dashboard and alerts may name only these and METRICS.
 * The Collector's own counters have no `_total` suffix (as otelcol v0.159 exposes them on :8888).
 */
export interface CollectorMetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly source: 'span_metrics' | 'collector';
  /** Label names and what they hold (values are not bounded by the agent). */
  readonly labels: string;
  readonly help: string;
}

export const COLLECTOR_METRICS = {
  SPAN_CALLS: { name: 'traces_span_metrics_calls_total', type: 'counter', source: 'span_metrics', labels: '`edu_course`, `edu_assignment`, `jcode_exec_kind` (the span attributes), `status_code` (`STATUS_CODE_UNSET`, `STATUS_CODE_ERROR`), `service_name`, `span_name`, `span_kind`', help: 'Spans (compiles, builds, runs, interpreter runs, toolchain steps) per course, assignment, kind and status. No per-student label unless `edu.student.id` is added to the connector\'s dimensions.' },
  SPAN_DURATION: { name: 'traces_span_metrics_duration_seconds', type: 'histogram', source: 'span_metrics', labels: 'as `traces_span_metrics_calls_total`, plus `le` (buckets 5 ms … 300 s)', help: 'Span durations (`_bucket`, `_sum`, `_count`).' },
  REFUSED_LOGS: { name: 'otelcol_receiver_refused_log_records', type: 'counter', source: 'collector', labels: '`receiver`, `transport`', help: 'Log records the Collector\'s receivers refused (memory_limiter, full pipeline).' },
  REFUSED_SPANS: { name: 'otelcol_receiver_refused_spans', type: 'counter', source: 'collector', labels: '`receiver`, `transport`', help: 'Spans the Collector\'s receivers refused.' },
  REFUSED_METRIC_POINTS: { name: 'otelcol_receiver_refused_metric_points', type: 'counter', source: 'collector', labels: '`receiver`, `transport`', help: 'Metric points the Collector\'s receivers refused.' },
} as const satisfies Record<string, CollectorMetricDef>;
