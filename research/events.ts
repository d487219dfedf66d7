// OTLP records → the compact events the export sorts by time: one per save, delete, rename, compile and run.
// Save bodies are not carried along: they go to a content-addressed blob directory once, by hash.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ATTR } from '../telemetry/schema.ts';
import { diagnosticsOf, type Diagnostic } from './diagnostics.ts';
import { studentOf, type Attrs, type OtlpRecord, type SpanRow } from './otlp-read.ts';

export interface Who {
  readonly subject: string;
  readonly course: string;
  readonly section: string;
  readonly assignment: string;
}

interface Base {
  /** Event time, ns since the epoch, as a decimal string (JSON has no bigint). */
  readonly t: string;
  readonly id: string;
  readonly who: Who;
  /** ProgSnap2 ToolInstances. */
  readonly tool: string;
}

export type ResearchEvent =
  | (Base & { readonly k: 'save'; readonly path: string; readonly sha?: string; readonly created: boolean; readonly content: boolean; readonly added?: number; readonly removed?: number })
  | (Base & { readonly k: 'delete'; readonly path: string })
  | (Base & { readonly k: 'rename'; readonly path: string; readonly oldPath: string; readonly sha?: string })
  | (Base & { readonly k: 'compile'; readonly failed: boolean; readonly exitCode?: number; readonly signal?: string; readonly durationMs: number; readonly traceId: string; readonly diags: readonly Diagnostic[] })
  | (Base & { readonly k: 'run'; readonly failed: boolean; readonly exitCode?: number; readonly signal?: string; readonly errno?: string; readonly durationMs: number; readonly traceId: string; readonly exitLost: boolean; readonly language: string; readonly exception?: string });

/** The span the jcode_jupyter IPython extension sends per cell execution (telemetry/schema.ts SPANS). */
const JUPYTER_CELL_SPAN = 'jcode.jupyter.cell';

const str = (a: Attrs, k: string): string | undefined => (typeof a[k] === 'string' && a[k] !== '' ? (a[k] as string) : undefined);
const num = (a: Attrs, k: string): number | undefined => (typeof a[k] === 'number' ? (a[k] as number) : undefined);

function toolOf(resource: Attrs, program?: string): string {
  const agent = `JCode Watcher ${str(resource, ATTR.SERVICE_VERSION.name) ?? ''}`.trim();
  return program ? `${program}; ${agent}` : agent;
}

/** Stable across re-exports, so two copies of one record (at-least-once delivery) get one ID and sort together. */
function logEventId(kind: string, rec: OtlpRecord & { signal: 'log' }, who: Who, p: string): string {
  const h = createHash('sha256');
  h.update([kind, rec.timeNs.toString(), who.subject, who.course, who.section, p, str(rec.attributes, ATTR.JCODE_FILE_SHA256.name) ?? ''].join('\0'));
  return 'f' + h.digest('hex').slice(0, 31);
}

/** A relative path inside a workspace: `/`-separated, no `.`/`..`/empty segments (never escapes a directory). */
export function safeRelPath(p: string | undefined): string | undefined {
  if (!p) return undefined;
  const parts = p.split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) return undefined;
  return p;
}

export class EventBuilder {
  /** Records left out, by reason (reported by the commands). */
  readonly skipped = { no_path: 0, toolchain_or_build: 0 };

  constructor(private readonly blobDir: string) {
    mkdirSync(blobDir, { recursive: true });
  }

  blobPath(sha: string): string {
    return path.join(this.blobDir, sha.slice(0, 2), sha);
  }

  private keepBlob(sha: string, body: string): void {
    const p = this.blobPath(sha);
    if (existsSync(p)) return;
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
  }

  build(rec: OtlpRecord): ResearchEvent | undefined {
    return rec.signal === 'log' ? this.fromLog(rec) : this.fromSpan(rec);
  }

  private fromLog(rec: OtlpRecord & { signal: 'log' }): ResearchEvent | undefined {
    const a = rec.attributes;
    const who = studentOf(a);
    const p = safeRelPath(str(a, ATTR.FILE_PATH.name));
    if (!p) {
      this.skipped.no_path++;
      return undefined;
    }
    const base = { t: rec.timeNs.toString(), id: logEventId(rec.event, rec, who, p), who, tool: toolOf(rec.resource) };
    const sha = str(a, ATTR.JCODE_FILE_SHA256.name);
    switch (rec.event) {
      case 'save': {
        // Truncated, binary and symlink records carry no text: the file is left out of the code state.
        const content = !!sha && !a[ATTR.JCODE_FILE_TRUNCATED.name] && !a[ATTR.JCODE_FILE_BINARY.name] && !a[ATTR.JCODE_FILE_SYMLINK.name];
        if (content) this.keepBlob(sha, rec.body);
        return {
          ...base, k: 'save', path: p, sha, content,
          created: str(a, ATTR.JCODE_FILE_PREVIOUS_SHA256.name) === undefined,
          added: num(a, ATTR.JCODE_FILE_LINES_ADDED.name), removed: num(a, ATTR.JCODE_FILE_LINES_REMOVED.name),
        };
      }
      case 'delete':
        return { ...base, k: 'delete', path: p };
      case 'rename': {
        const oldPath = safeRelPath(str(a, ATTR.JCODE_FILE_OLD_PATH.name));
        if (!oldPath) {
          this.skipped.no_path++;
          return undefined;
        }
        return { ...base, k: 'rename', path: p, oldPath, sha };
      }
    }
  }

  private fromSpan(span: SpanRow): ResearchEvent | undefined {
    const a = span.attributes;
    const kind = str(a, ATTR.JCODE_EXEC_KIND.name);
    const who = studentOf(a);
    const program = str(a, ATTR.PROCESS_EXECUTABLE_NAME.name) ?? span.name;
    const failed = span.statusCode === 2;
    const common = {
      t: span.startNs.toString(), id: `${span.traceId}-${span.spanId}`, who, tool: toolOf(span.resource, program),
      failed, exitCode: num(a, ATTR.PROCESS_EXIT_CODE.name), signal: str(a, ATTR.JCODE_PROCESS_SIGNAL.name),
      durationMs: Number(span.endNs - span.startNs) / 1e6, traceId: span.traceId,
    };
    if (kind === 'compile') return { ...common, k: 'compile', diags: diagnosticsOf(span) };
    if (span.name === JUPYTER_CELL_SPAN) {
      const exc = span.events.find((e) => e.name === 'exception');
      return { ...common, tool: toolOf(span.resource, 'jupyter'), k: 'run', exitLost: false, language: 'jupyter', exception: exc ? str(exc.attributes, ATTR.EXCEPTION_TYPE.name) : undefined };
    }
    if (kind === 'run' || kind === 'interpret') {
      return {
        ...common, k: 'run', errno: str(a, ATTR.JCODE_PROCESS_ERRNO.name) ?? (a[ATTR.JCODE_EXEC_FAILED.name] ? str(a, ATTR.ERROR_TYPE.name) : undefined),
        exitLost: a[ATTR.JCODE_PROCESS_EXIT_LOST.name] === true, language: kind === 'interpret' ? 'python' : 'native',
      };
    }
    // Builds (make) are represented by the compiles they run; toolchain spans (cc1, ld) by their compiler.
    this.skipped.toolchain_or_build++;
    return undefined;
  }
}
