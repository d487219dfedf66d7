// The exec receiver: runs the eBPF loader (bpf/build/jcw-exec), parses each NDJSON line once into a typed
// event, and hands exec/exit/fork events on. A loader that dies is restarted with backoff (counted); one that
// cannot load (no privileges, no BTF) is reported once with its reason, and the agent goes on without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Component, Host } from '../../core/component.ts';
import { METRICS } from '../../telemetry/schema.ts';
import { isParseError, parseBpfLine, type EventKind, type ExecEvent, type ExecFailedEvent, type ExitEvent, type ForkEvent, type OutputEndEvent, type OutputEvent, type PerKind } from './events.ts';

export const DEFAULT_LOADER = fileURLToPath(new URL('../../bpf/build/jcw-exec', import.meta.url));

export interface ExecReceiverConfig {
  loader: string | null;
  ringbufBytes: number;
  drainMs: number;
  /** Kernel-side filter on the UTS host name (empty: none). */
  hostnamePrefixes?: readonly string[];
  /** Cap on the restart backoff. */
  maxBackoffMs?: number;
  /** Bytes of fd 2 / fd 1 copied per flagged process (0: that stream is not captured). */
  stderrMaxBytes?: number;
  stdoutMaxBytes?: number;
  /** Programs whose output is captured, with their descendants: base names, version suffixes and
   * cross-compiler triplet prefixes match too (`gcc` covers `x86_64-linux-gnu-gcc-12`). */
  captureNames?: readonly string[];
}

/** Compilers, interpreters and build tools (the classifier's defaults, by base name). */
export const DEFAULT_CAPTURE_NAMES: readonly string[] = ['gcc', 'g++', 'cc', 'c++', 'clang', 'clang++', 'python3', 'python', 'make', 'gmake', 'cmake', 'ninja'];

export type ExecReceiverEvent = ExecEvent | ExecFailedEvent | ExitEvent | ForkEvent | OutputEvent | OutputEndEvent;

export type ExecReceiverState = 'starting' | 'running' | 'unavailable' | 'stopped';

const KINDS: readonly EventKind[] = ['exec', 'exec_failed', 'exit', 'fork', 'output', 'output_end'];
/** Exit code the loader uses for "cannot load here" (privileges, BTF, verifier): restarting will not help. */
const EXIT_UNSUPPORTED = 2;

export class ExecReceiver implements Component {
  private host!: Host;
  private child: ChildProcess | undefined;
  private stopped = false;
  private backoffMs = 500;
  private restartTimer: NodeJS.Timeout | undefined;
  private stderrTail: string[] = [];
  private loaderError: string | undefined;
  /** Loader counters are cumulative per loader run; these carry totals across restarts. */
  private base = { lost: zero(), delivered: zero() };
  private last = { lost: zero(), delivered: zero() };
  state: ExecReceiverState = 'starting';
  /** Why exec capture is unavailable, for logs and tests. */
  reason: string | undefined;

  constructor(
    private readonly cfg: ExecReceiverConfig,
    private readonly next: (ev: ExecReceiverEvent) => void,
  ) {}

  /** Resolves once the loader attached its programs, or once it is clear it cannot (then state = unavailable). */
  async start(host: Host): Promise<void> {
    this.host = host;
    const loader = this.cfg.loader ?? DEFAULT_LOADER;
    try {
      accessSync(loader, constants.X_OK);
    } catch {
      return this.unavailable(`the eBPF loader ${loader} is missing or not executable; build it with \`npm run build:bpf\``);
    }
    await new Promise<void>((resolve) => this.spawnLoader(loader, resolve));
  }

  private spawnLoader(loader: string, onSettled: () => void): void {
    const args = [
      '--self-pid', String(process.pid), '--skip-descendants',
      '--ringbuf-bytes', String(this.cfg.ringbufBytes), '--drain-ms', String(this.cfg.drainMs), '--stats-ms', '1000',
      ...(this.cfg.hostnamePrefixes ?? []).flatMap((p) => ['--hostname-prefix', p]),
      ...this.captureArgs(),
    ];
    const child = spawn(loader, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrTail = [];
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        onSettled();
      }
    };
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (l) => {
      this.stderrTail = [...this.stderrTail.slice(-4), l];
    });
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      const ev = parseBpfLine(line);
      if (isParseError(ev)) {
        this.host.metrics.inc(METRICS.BPF_PARSE_ERRORS);
        return;
      }
      switch (ev.type) {
        case 'hello':
          this.state = 'running';
          this.backoffMs = 500;
          this.host.metrics.set(METRICS.RECEIVER_UP, 1, { receiver: 'exec' });
          this.host.log.info('exec capture running', { loader: ev.loaderVersion, kernel: ev.kernel, programs: ev.programs, ringbuf_bytes: ev.ringbufBytes });
          settle();
          return;
        case 'stats':
          this.recordStats(ev.lost, ev.delivered);
          return;
        case 'error':
          // The loader's own one-line reason beats libbpf's chatter on stderr.
          this.loaderError = ev.message;
          return;
        default:
          this.next(ev);
      }
    });
    child.on('error', (err) => {
      this.stderrTail.push(err.message);
    });
    child.on('close', (code, signal) => {
      this.child = undefined;
      this.host.metrics.set(METRICS.RECEIVER_UP, 0, { receiver: 'exec' });
      // Counters restart from zero with the next loader.
      for (const k of KINDS) {
        this.base.lost[k] += this.last.lost[k];
        this.base.delivered[k] += this.last.delivered[k];
      }
      this.last = { lost: zero(), delivered: zero() };
      if (this.stopped) return settle();
      const why = this.loaderError ?? (this.stderrTail.join('; ') || `exit code ${code}${signal ? `, signal ${signal}` : ''}`);
      this.loaderError = undefined;
      if (this.state !== 'running' && code === EXIT_UNSUPPORTED) {
        this.unavailable(`exec capture cannot run on this node: ${why}`);
        return settle();
      }
      this.host.metrics.inc(METRICS.BPF_RESTARTS);
      this.host.log.warn('eBPF loader died; restarting', { reason: why, backoff_ms: this.backoffMs });
      this.restartTimer = setTimeout(() => this.spawnLoader(loader, settle), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.cfg.maxBackoffMs ?? 30_000);
    });
  }

  private captureArgs(): string[] {
    const err = this.cfg.stderrMaxBytes ?? 0;
    const out = this.cfg.stdoutMaxBytes ?? 0;
    if (err <= 0 && out <= 0) return [];
    return [
      '--capture-stderr-bytes', String(Math.max(0, err)), '--capture-stdout-bytes', String(Math.max(0, out)),
      ...(this.cfg.captureNames ?? DEFAULT_CAPTURE_NAMES).flatMap((n) => ['--capture-name', n]),
    ];
  }

  private recordStats(lost: PerKind, delivered: PerKind): void {
    for (const k of KINDS) {
      this.host.metrics.set(METRICS.BPF_LOST, this.base.lost[k] + lost[k], { type: k });
      this.host.metrics.set(METRICS.BPF_DELIVERED, this.base.delivered[k] + delivered[k], { type: k });
    }
    this.last = { lost: { ...lost }, delivered: { ...delivered } };
  }

  private unavailable(reason: string): void {
    this.state = 'unavailable';
    this.reason = reason;
    this.host.metrics.set(METRICS.RECEIVER_UP, 0, { receiver: 'exec' });
    this.host.log.error(`${reason}; continuing with file capture only`);
  }

  /** Stop the loader: it drains the ring and prints its final stats before exiting on SIGTERM. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child) {
      const closed = new Promise<void>((r) => child.once('close', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await closed;
      clearTimeout(timer);
    }
    if (this.state !== 'unavailable') this.state = 'stopped';
  }

  /** The loader's pid (tests use it to kill the loader and check the restart). */
  get loaderPid(): number | undefined {
    return this.child?.pid;
  }
}

function zero(): PerKind {
  return { exec: 0, exec_failed: 0, exit: 0, fork: 0, output: 0, output_end: 0 };
}
