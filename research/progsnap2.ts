// `jcode-watcher export progsnap2`: a semester's OTLP JSON lines → a ProgSnap2 dataset (MainTable.csv,
// DatasetMetadata.csv, README.txt, CodeStates/ in the Directory representation).
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { VERSION } from '../core/version.ts';
import { CodeStates } from './codestates.ts';
import { csvLine } from './csv.ts';
import { openPipeline, type PipelineStats } from './pipeline.ts';
import { MAIN_COLUMNS, RowBuilder, type Row } from './rows.ts';

/** The ProgSnap2 version written to DatasetMetadata.csv: the machine-readable spec (ProgSnapToolkit v1.0, a superset of the v8 document's columns). */
export const PROGSNAP2_VERSION = '1.0';

export interface ExportOptions {
  readonly from: string;
  readonly out: string;
  readonly termId?: string;
  /** README.txt contact line ("Name <email>"); ProgSnap2 requires one. */
  readonly contact?: string;
  /** For tests: size of the in-memory sorted runs. */
  readonly sortRunBytes?: number;
  /** Called with each row after it is written (the report uses the same rows). */
  readonly onRow?: (row: Row) => void;
}

export interface ExportResult {
  readonly rows: number;
  readonly codeStates: number;
  readonly byType: Record<string, number>;
  readonly stats: PipelineStats;
}

export const METADATA: readonly [string, string][] = [
  ['Version', PROGSNAP2_VERSION],
  // One clock: the kernel's and the agent's times on NTP-synchronised nodes, sorted globally on export.
  ['IsEventOrderingConsistent', 'true'],
  ['EventOrderScope', 'Global'],
  ['EventOrderScopeColumns', ''],
  ['CodeStateRepresentation', 'Directory'],
];

export class ExportError extends Error {}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export async function exportProgsnap2(opts: ExportOptions): Promise<ExportResult> {
  if (!existsSync(opts.from)) throw new ExportError(`--from ${opts.from}: no such directory`);
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0) throw new ExportError(`--out ${opts.out} is not empty: choose a new directory`);
  mkdirSync(path.join(opts.out, 'CodeStates'), { recursive: true });
  const work = path.join(opts.out, '.jcw-export-work');
  const pipeline = openPipeline(opts.from, work, opts.sortRunBytes);
  const codeStates = new CodeStates(opts.out, (sha) => pipeline.builder.blobPath(sha));
  const rowsOf = new RowBuilder(codeStates, { termId: opts.termId });
  const main = createWriteStream(path.join(opts.out, 'MainTable.csv'));
  const byType: Record<string, number> = {};
  let rows = 0;
  try {
    await write(main, csvLine(MAIN_COLUMNS));
    for await (const ev of pipeline.events()) {
      for (const row of rowsOf.rows(ev)) {
        await write(main, csvLine(MAIN_COLUMNS.map((c) => row.cols[c] ?? '')));
        rows++;
        byType[row.cols.EventType!] = (byType[row.cols.EventType!] ?? 0) + 1;
        opts.onRow?.(row);
      }
    }
    await new Promise<void>((r, j) => main.end((err?: Error | null) => (err ? j(err) : r())));
  } finally {
    main.destroy();
    pipeline.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(path.join(opts.out, 'DatasetMetadata.csv'), csvLine(['Property', 'Value']) + METADATA.map((m) => csvLine(m)).join(''));
  writeFileSync(path.join(opts.out, 'README.txt'), readme(opts, pipeline.stats, rows));
  return { rows, codeStates: codeStates.written, byType, stats: pipeline.stats };
}

function readme(opts: ExportOptions, stats: PipelineStats, rows: number): string {
  return `ProgSnap2 dataset exported by JCode Watcher ${VERSION} (jcode-watcher export progsnap2).

Contact: ${opts.contact ?? '(fill in: the name and email address of the person responsible for this dataset)'}
${opts.termId ? `Term: ${opts.termId}\n` : ''}
Context: students worked in browser IDEs (code-server pods on Kubernetes) in C, C++ and Python courses. A
node agent recorded every settled file save (inotify, with the full content and its SHA-256) and every
compiler, interpreter and program run (eBPF, in the kernel: argv, exit code or signal, duration). This dataset
was converted from those OpenTelemetry records (${stats.files} files, ${stats.lines} lines, ${rows} rows).

Representation: ProgSnap2 ${PROGSNAP2_VERSION}; CodeStates in the Directory form: CodeStates/<CodeStateID>/
holds every text file of the student's assignment directory at that moment, by its path in the workspace
(e.g. hw1/main.c). CodeStateID is a content hash of the (path, SHA-256) list, so identical states share one
directory. Binary files, files over the size limit and symbolic links are not part of code states.
Order is global, by the time of each event (sorted on export); ties keep the rows of one event together.

Events:
- File.Create: the first save of a file; File.Edit: a later save with different content (an autosave and an
  explicit save cannot be told apart); File.Delete; File.Rename (CodeStateSection = old path,
  DestinationCodeStateSection = new path).
- Compile: one per compiler invocation (gcc, g++, clang; a make is represented by the compiles it runs).
  CompileResult Error when the compiler exited non-zero or was killed. When the agent captured the compiler's
  diagnostics, each error (warning) is a Compile.Error (Compile.Warning) row with ParentEventID = its Compile,
  CompileMessageData = the message, CompileMessageType = the message with quoted names and numbers replaced,
  SourceLocation = Text:line[:column].
- Run.Program: a run of a student-built program, of the Python interpreter, or of a Jupyter notebook cell. ExecutionResult: Success (exit
  0), Timeout (stopped by SIGINT, SIGTERM, SIGKILL, SIGXCPU, SIGHUP or SIGPIPE), Error (other non-zero exit or
  fatal signal, or the exec failed), empty when the exit was not seen.
- ServerTimestamp is the kernel's or the agent's clock in UTC (ServerTimezone +0000); no client timestamps.

X- columns:
- X-TraceID: the OpenTelemetry trace of the compile and the runs of what it built (join compiles and runs).
- X-ExitCode, X-Signal, X-Errno (a failed exec, e.g. ENOENT), X-DurationMs, X-ExitLost (true: the process
  was still running when recording stopped), X-Language (native, python, or jupyter for a notebook cell
  execution, reported by the jcode_jupyter IPython extension), X-ExceptionType (a failed cell's exception class).
- X-FileSha256: SHA-256 of the saved content; X-LinesAdded/X-LinesRemoved: diff line counts against the
  previous save of that file.

SubjectID is the student identifier as recorded (a keyed pseudonym when the agent's pseudonymisation is on).
CourseID, CourseSectionID (course-section) and AssignmentID come from the workspace directory names.
`;
}
