// Inputs of the trace correlator: kernel process events, each exec tagged with who ran it.
import type { Attributes } from '@opentelemetry/api';
import type { ExecEvent, ExecFailedEvent, ExitEvent, ForkEvent, OutputEndEvent, OutputEvent } from '../../receiver/exec/events.ts';

/** Who ran a process, as the attribution step found it at exec time. */
export interface ProcessContext {
  /** Pod resource attributes (`k8s.*`, `container.id`): become the span's resource. */
  resource: Attributes;
  /** Student attributes (`edu.*`): copied onto every span of the process. */
  attributes: Attributes;
  workspaceRoot?: string;
  /** Whether an absolute path (as the process sees it) lies in the student's workspace. */
  inWorkspace: (absPath: string) => boolean;
  /** Maps a path as the process sees it to one the agent can open (another mount namespace: a pod). */
  hostPath?: (absPath: string) => string;
}

export type CorrelatorInput =
  | { kind: 'exec'; event: ExecEvent; context: ProcessContext }
  | { kind: 'exec_failed'; event: ExecFailedEvent; context: ProcessContext }
  | { kind: 'exit'; event: ExitEvent }
  | { kind: 'fork'; event: ForkEvent }
  /** What a flagged process wrote to fd 2 (fd 1 opt-in); and, at its exit, what its budget cut off. */
  | { kind: 'output'; event: OutputEvent }
  | { kind: 'output_end'; event: OutputEndEvent };

/** What a process image is, for tracing. `other` gets no span (shells, env, coreutils…). */
export type ExecKind = 'compile' | 'build' | 'interpret' | 'run' | 'toolchain' | 'other';

/** Identity of a file: what the compile → run join compares (names change with `mv`, inodes do not). */
export interface FileId {
  ino: bigint;
  /** st_dev as stat(2) reports it (the exec event uses the same encoding). */
  dev: number;
}

/**
 * Looks up a compile output. `context` lets a real implementation map the process's path (its mount
 * namespace's view) to one the agent can open; tests fake it.
 */
export type StatFn = (absPath: string, context?: ProcessContext) => FileId | undefined;

/** Why the correlator let go of state it would rather have kept. */
export type DropReason =
  /** The process table hit its cap: the oldest entry was evicted (its open span is emitted as exit-lost). */
  | 'process_table_full'
  /** flush(): a process seen longer ago than the age limit never reported its exit. */
  | 'process_expired'
  /** The compile-output table hit its cap: runs of the evicted binary will not join their compile. */
  | 'output_table_full';
