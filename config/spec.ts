// The configuration schema: every key, its type, default and meaning, in one table. The validator and
// docs/config.md are both derived from it.

export type Leaf =
  | { kind: 'string'; default: string | null; nullable?: boolean; doc: string }
  | { kind: 'int'; default: number; min: number; max: number; doc: string }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string; values: readonly string[]; doc: string }
  | { kind: 'strings'; default: readonly string[]; doc: string };

export type Section = { doc: string; keys: Readonly<Record<string, Leaf>> };

export const DEFAULT_EXTENSIONS = ['.c', '.h', '.cpp', '.hpp', '.cc', '.py', '.ipynb', '.java', '.js', '.ts'] as const;

export const DEFAULT_IGNORE = [
  // Hidden directories and files (.git, .vscode, .local/share/code-server, .cache, vim swap files…).
  '**/.*',
  '**/node_modules', '**/__pycache__', '**/.ipynb_checkpoints',
  '**/venv', '**/.venv', '**/env', '**/site-packages',
  // Editor artefacts: vim's write probe, backups, temp files.
  '**/4913', '**/*~', '**/*.swp', '**/*.swo', '**/*.swx', '**/*.tmp', '**/*.vsctmp', '**/#*#',
] as const;

export const CONFIG_SPEC = {
  workspaces: {
    doc: 'Where student workspaces live and how a directory name maps to a student.',
    keys: {
      root: { kind: 'string', default: './workspaces', doc: 'Directory holding one directory per student workspace. `--workspaces` overrides it.' },
      layout: { kind: 'string', default: '{course}-{section}-{student}/{assignment}', doc: 'Path pattern under `root`. The first segment names the student workspace; placeholders `{course}`, `{section}`, `{student}` (required) and `{assignment}` (optional second segment). Within a segment a placeholder matches no `-`, except the last one, which takes the rest.' },
    },
  },
  files: {
    doc: 'Which files are reported and how saves settle.',
    keys: {
      watcher: { kind: 'enum', default: 'parcel', values: ['parcel', 'chokidar'], doc: 'Watcher backend: `parcel` (@parcel/watcher, native inotify, directories only) or `chokidar` (chokidar 6). See the README for the measured comparison.' },
      extensions: { kind: 'strings', default: DEFAULT_EXTENSIONS, doc: 'File extensions reported (with the dot, case-sensitive).' },
      names: { kind: 'strings', default: ['Makefile', 'makefile', 'GNUmakefile', 'CMakeLists.txt'], doc: 'Exact file names reported regardless of extension.' },
      ignore: { kind: 'strings', default: DEFAULT_IGNORE, doc: 'Glob patterns (`*`, `**`, `?`) of paths never watched or reported, matched against the path relative to `workspaces.root`.' },
      max_bytes: { kind: 'int', default: 1048576, min: 1, max: 1073741824, doc: 'Files larger than this get a record with `jcode.file.truncated=true` and no body.' },
      max_depth: { kind: 'int', default: 32, min: 1, max: 256, doc: 'Directory depth below a student workspace beyond which files are skipped (counted as `too_deep`).' },
      debounce_ms: { kind: 'int', default: 500, min: 0, max: 60000, doc: 'Trailing quiet time per file before a save is read.' },
      max_wait_ms: { kind: 'int', default: 3000, min: 0, max: 600000, doc: 'A file saved continuously is still read at least this often.' },
      rename_window_ms: { kind: 'int', default: 1000, min: 0, max: 60000, doc: 'A delete followed within this time by a new file with the same content is reported as a rename.' },
      scan_interval_s: { kind: 'int', default: 60, min: 0, max: 86400, doc: 'Seconds between reconciliation scans (0 turns periodic scans off; scans at start and after an overflow still run).' },
      overflow_burst: { kind: 'int', default: 4096, min: 16, max: 10000000, doc: 'A watcher batch with at least this many events is treated as a possible queue overflow and triggers a scan.' },
      read_mode: { kind: 'enum', default: 'auto', values: ['auto', 'inline', 'worker'], doc: 'Where files are read: `auto` reads files on local file systems (ext4, xfs, btrfs, tmpfs, overlay…, from /proc/self/mountinfo, re-read at each scan) on the event loop, where it is ~10× cheaper, and files on network file systems (NFS, SMB, FUSE…) in a worker thread, where a hung server cannot stall the agent; `inline` and `worker` force one. Files over `max_bytes` are always hashed in the worker.' },
    },
  },
  exec: {
    doc: 'Capture of every exec, fork and exit with eBPF (needs root or CAP_BPF + CAP_PERFMON, and kernel BTF). Without them the agent logs why and goes on with file saves.',
    keys: {
      enabled: { kind: 'bool', default: true, doc: 'Run the eBPF exec receiver.' },
      loader: { kind: 'string', default: null, nullable: true, doc: 'Path of the loader binary. Default: `bpf/build/jcw-exec` in the agent install.' },
      report: { kind: 'enum', default: 'students', values: ['students', 'all'], doc: '`students`: only processes in a student context (a `jcode-…` pod host name, a cwd or argv path under `workspaces.root`); `all`: every process on the node (debugging only).' },
      hostname_pattern: { kind: 'string', default: 'jcode-{course}-{section}-{student}-*', doc: 'Pod host name pattern naming the student. Placeholders match no `-`; `*` matches anything.' },
      pod_logs_dir: { kind: 'string', default: '/var/log/pods', doc: 'Where the kubelet keeps `<namespace>_<name>_<uid>` directories (pod name and namespace by UID).' },
      kernel_hostname_prefixes: { kind: 'strings', default: [], doc: 'Filter in the kernel: only processes whose UTS host name starts with one of these (at most 4), e.g. `["jcode-"]` on nodes where every student pod follows the host name pattern. Cheaper than filtering in the agent, but then cwd/argv attribution cannot find students outside such pods. Empty: no kernel filter.' },
      ringbuf_bytes: { kind: 'int', default: 8388608, min: 4096, max: 1073741824, doc: 'Kernel ring buffer size (a power of two). 8 MiB holds about 20,000 exec records.' },
      drain_ms: { kind: 'int', default: 100, min: 1, max: 5000, doc: 'How often the loader drains the ring buffer (no wakeup per event).' },
      records: { kind: 'bool', default: true, doc: 'Also emit the raw `jcode.process.exec`, `.exec_failed` and `.exit` log records (the spans are always emitted).' },
      pod_workspace_paths: { kind: 'strings', default: ['/home', '/workspace', '/workspaces', '/project', '/config/workspace'], doc: 'Inside a student pod (attributed by host name), executables under these paths are the student\'s own programs (`run` spans).' },
      max_processes: { kind: 'int', default: 65536, min: 16, max: 10000000, doc: 'Most processes tracked at once (for exits and the process tree); beyond it the oldest are dropped and counted.' },
      stderr_max_bytes: { kind: 'int', default: 16384, min: 0, max: 1048576, doc: 'Bytes of stderr copied in the kernel per compiler, interpreter or build-tool process and each of its descendants (cc1, as, ld…); what is written past it is counted, not copied. Parsed into `jcode.diagnostic` span events. 0 turns stderr capture off.' },
      stdout_max_bytes: { kind: 'int', default: 0, min: 0, max: 1048576, doc: 'Opt-in (privacy): bytes of stdout copied per such process (a Python program\'s printed output, `make run`). 0 (default): stdout is never captured.' },
    },
  },
  snapshots: {
    doc: 'The content-addressed snapshot store (previous versions for diffs; survives restarts).',
    keys: {
      dir: { kind: 'string', default: null, nullable: true, doc: 'Directory of the store. Default: `<output.dir>/snapshots`.' },
    },
  },
  diff: {
    doc: 'Diff computation (in a worker thread).',
    keys: {
      timeout_ms: { kind: 'int', default: 500, min: 1, max: 60000, doc: 'Time limit for one diff; past it the record carries `jcode.file.diff_truncated=true`.' },
      max_bytes: { kind: 'int', default: 262144, min: 0, max: 67108864, doc: 'Longest diff text attached to a record; longer diffs are cut and flagged as truncated.' },
    },
  },
  output: {
    doc: 'Local outputs of the embedded default.',
    keys: {
      dir: { kind: 'string', default: './jcode-data', doc: 'Directory for `logs.jsonl`, `traces.jsonl`, `metrics.jsonl` (OTLP JSON, one export request per line). `--output` overrides it.' },
      files: { kind: 'bool', default: true, doc: 'Write the OTLP JSON line files.' },
      console: { kind: 'bool', default: true, doc: 'Print a one-line human summary per event on stdout.' },
      metrics_interval_s: { kind: 'int', default: 15, min: 1, max: 3600, doc: 'How often the agent exports its own metrics as OTLP.' },
    },
  },
  otlp: {
    doc: 'OTLP/gRPC export. Standard `OTEL_EXPORTER_OTLP_*` environment variables apply; this key only adds a config-file way to set the endpoint.',
    keys: {
      endpoint: { kind: 'string', default: null, nullable: true, doc: 'Collector endpoint, e.g. `http://127.0.0.1:4317`. Unset: `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal variables) if set, else no OTLP export.' },
      spool_dir: { kind: 'string', default: null, nullable: true, doc: 'Disk spool for OTLP batches: every batch is written here before it is sent and removed once the Collector accepted it, so outages and restarts lose nothing. Default: `<output.dir>/spool`.' },
      spool_max_bytes: { kind: 'int', default: 268435456, min: 1048576, max: 109951162777, doc: 'Spool size limit (split 70/20/10 between logs, traces and metrics); when full the oldest batches are dropped and counted in `jcode_watcher_export_dropped_total`.' },
    },
  },
  http: {
    doc: 'The health and metrics endpoint.',
    keys: {
      host: { kind: 'string', default: '127.0.0.1', doc: 'Bind address. Use `0.0.0.0` in a pod so Prometheus and the kubelet can reach it.' },
      port: { kind: 'int', default: 9464, min: 0, max: 65535, doc: 'Port for `/healthz`, `/readyz`, `/metrics` (0 picks a free one). `--http-port` overrides it.' },
    },
  },
  jupyter: {
    doc: 'The OTLP/HTTP receiver for Jupyter cell spans (`POST /v1/traces` on the HTTP endpoint, OTLP JSON), sent by the `jcode_jupyter` IPython extension in student kernels. Pods reach it at the node\'s IP: set `http.host` to `0.0.0.0` (or the node IP) and expose the port (README, "Jupyter notebooks").',
    keys: {
      enabled: { kind: 'bool', default: true, doc: 'Accept `jcode.jupyter.cell` spans at `POST /v1/traces` and forward them through the exporters.' },
      max_request_bytes: { kind: 'int', default: 1048576, min: 1024, max: 67108864, doc: 'Largest request body accepted; larger requests get 413 and are counted.' },
    },
  },
  node: {
    doc: 'Identity of the node the agent runs on.',
    keys: {
      name: { kind: 'string', default: null, nullable: true, doc: 'Kubernetes node name (`k8s.node.name`). Default: $NODE_NAME, else the host name.' },
    },
  },
  privacy: {
    doc: 'Pseudonymous student IDs and redaction, applied in the agent before anything is written or sent (see docs/data-inventory.md).',
    keys: {
      pseudonymize: { kind: 'bool', default: false, doc: 'Replace every student ID with its keyed pseudonym `s_` + 16 hex digits of HMAC-SHA256(key, ID): in `edu.student.id` and wherever the ID appears as a whole token in other attribute values (workspace paths in cwd and argv, pod and host names). The same key gives the same pseudonym on every node. Without a key the agent does not start.' },
      key_env: { kind: 'string', default: 'JCODE_PSEUDONYM_KEY', doc: 'Environment variable holding the pseudonym key (at least 16 bytes; trailing newlines are ignored).' },
      key_file: { kind: 'string', default: null, nullable: true, doc: 'File holding the pseudonym key, e.g. a Kubernetes Secret mounted as a volume; wins over `key_env` when set.' },
      send_real_id: { kind: 'bool', default: false, doc: 'With `pseudonymize`: also send the real ID as `edu.student.real_id`, for a Collector route allowed to see it (the shipped Collector config gives it to the Analytics API route only and removes it everywhere else).' },
      scrub_content: { kind: 'bool', default: false, doc: 'With `pseudonymize`: also replace the real ID inside file contents (save bodies and diffs), e.g. a name/ID header. The hashes stay those of the saved content.' },
      redact: { kind: 'bool', default: true, doc: 'Redact secrets in argv, diagnostics and span events with the built-in patterns (token formats such as `ghp_…` and `AKIA…`, `user:pass@` in URLs, bearer tokens and Authorization headers, `--password=x` and `NAME=x` for password/secret/token/key names, `--password x`, `sshpass -p x`, `curl -u user:x`).' },
      redact_patterns: { kind: 'strings', default: [], doc: 'Extra regular expressions (JavaScript syntax) redacted in argv, diagnostics and span events; each match becomes `[REDACTED]`.' },
    },
  },
  log: {
    doc: "The agent's own diagnostic log (JSON lines on stderr).",
    keys: {
      level: { kind: 'enum', default: 'info', values: ['debug', 'info', 'warn', 'error'], doc: 'Lowest level written.' },
    },
  },
} as const satisfies Record<string, Section>;

type LeafValue<L> = L extends { kind: 'int' } ? number
  : L extends { kind: 'bool' } ? boolean
  : L extends { kind: 'strings' } ? string[]
  : L extends { kind: 'enum'; values: readonly (infer V)[] } ? V
  : L extends { kind: 'string'; nullable: true } ? string | null
  : string;

export type Config = {
  -readonly [S in keyof typeof CONFIG_SPEC]: { -readonly [K in keyof (typeof CONFIG_SPEC)[S]['keys']]: LeafValue<(typeof CONFIG_SPEC)[S]['keys'][K]> };
};
