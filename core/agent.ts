// Assembles the pipeline from a typed Config: receivers → processors → exporters, plus the HTTP endpoint.
// Start goes downstream-first so nothing is produced before its consumer exists; shutdown goes upstream-first
// so everything in flight is flushed to the exporters before they close.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/spec.ts';
import { OtelExporter } from '../exporters/otel.ts';
import { HttpServer } from '../extensions/http.ts';
import { SnapshotProcessor } from '../processors/snapshot/processor.ts';
import { SnapshotStore } from '../processors/snapshot/store.ts';
import { Attributor } from '../processors/attribution/attributor.ts';
import { PodDirectory } from '../processors/attribution/pods.ts';
import { Privacy } from '../processors/redact/privacy.ts';
import { TraceSink } from '../processors/correlate/sink.ts';
import { ProcessRecords } from '../processors/process/records.ts';
import { ProcessTracker } from '../processors/process/tracker.ts';
import { ExecReceiver } from '../receiver/exec/receiver.ts';
import { WorkspaceLayout } from '../receiver/files/layout.ts';
import { FileReceiver } from '../receiver/files/receiver.ts';
import { JupyterReceiver, TRACES_PATH } from '../receiver/jupyter/receiver.ts';
import { METRICS } from '../telemetry/schema.ts';
import type { Host } from './component.ts';
import { createLogger, type Logger } from './log.ts';
import { MetricsRegistry } from './metrics.ts';
import { VERSION } from './version.ts';

export interface AgentOptions {
  log?: Logger;
}

export class Agent {
  readonly metrics = new MetricsRegistry();
  readonly log: Logger;
  readonly http: HttpServer;
  readonly exporter: OtelExporter;
  readonly snapshots: SnapshotProcessor;
  readonly files: FileReceiver;
  readonly jupyter: JupyterReceiver | undefined;
  private readonly store: SnapshotStore;
  exec: ExecReceiver | undefined;
  private tracker: ProcessTracker | undefined;
  private traces: TraceSink | undefined;
  private readonly host: Host;
  private stopping: Promise<void> | undefined;

  constructor(readonly config: Config, opts: AgentOptions = {}) {
    // Privacy first: its key check stops the agent before anything runs, and it pseudonymises the agent's own log.
    const privacy = Privacy.fromConfig(config.privacy, this.metrics);
    this.log = privacy.logger(opts.log ?? createLogger(config.log.level), config.workspaces.root, config.workspaces.layout);
    this.metrics.setBuildInfo({ version: VERSION, nodejs: process.version });
    this.host = {
      metrics: this.metrics,
      log: this.log,
      reportFatal: (component, err) => this.log.error('component failed', { component, error: (err as Error).message }),
    };
    const c = config;
    this.http = new HttpServer(c.http);
    this.exporter = new OtelExporter({
      outputDir: c.output.dir, files: c.output.files, console: c.output.console, otlpEndpoint: c.otlp.endpoint,
      metricsIntervalS: c.output.metrics_interval_s, nodeName: c.node.name,
      spoolDir: c.otlp.spool_dir ?? path.join(c.output.dir, 'spool'), spoolMaxBytes: c.otlp.spool_max_bytes,
      privacy,
    });
    const store = new SnapshotStore(c.snapshots.dir ?? path.join(c.output.dir, 'snapshots'));
    this.store = store;
    this.snapshots = new SnapshotProcessor(
      { diffTimeoutMs: c.diff.timeout_ms, diffMaxBytes: c.diff.max_bytes, renameWindowMs: c.files.rename_window_ms },
      store,
      this.exporter,
      () => this.exporter.forceFlush(),
    );
    if (c.jupyter.enabled) {
      const jupyter = new JupyterReceiver(
        { maxRequestBytes: c.jupyter.max_request_bytes, workspacesRoot: c.workspaces.root, layout: c.workspaces.layout, hostnamePattern: c.exec.hostname_pattern },
        (span) => this.exporter.exportSpan(span),
      );
      this.http.handlePost(TRACES_PATH, (req, res) => jupyter.handle(req, res));
      this.jupyter = jupyter;
    }
    this.files = new FileReceiver(
      {
        root: c.workspaces.root, layout: c.workspaces.layout, watcher: c.files.watcher, extensions: c.files.extensions,
        names: c.files.names, ignore: c.files.ignore, maxBytes: c.files.max_bytes, maxDepth: c.files.max_depth,
        debounceMs: c.files.debounce_ms, maxWaitMs: c.files.max_wait_ms, scanIntervalS: c.files.scan_interval_s,
        overflowBurst: c.files.overflow_burst, readMode: c.files.read_mode,
      },
      store,
      this.snapshots,
    );
  }

  async start(): Promise<void> {
    await this.http.start(this.host);
    await this.exporter.start(this.host);
    await this.snapshots.start(this.host);
    await this.jupyter?.start(this.host);
    try {
      await this.files.start(this.host);
    } catch (err) {
      this.metrics.set(METRICS.RECEIVER_UP, 0, { receiver: 'files' });
      throw err;
    }
    if (this.config.exec.enabled) {
      this.exec = this.createExecReceiver();
      // An exec receiver that cannot run here has said why; the agent is ready with file capture alone.
      await this.exec.start(this.host);
    }
    this.http.setReady(true);
    this.log.info('agent ready', { workspaces: path.resolve(this.config.workspaces.root), http: `${this.config.http.host}:${this.http.port}` });
  }

  private createExecReceiver(): ExecReceiver {
    const c = this.config;
    // Kernel paths are real paths: match them against the real workspaces root.
    const root = realpathSync(c.workspaces.root);
    const layout = new WorkspaceLayout(root, c.workspaces.layout);
    const attributor = new Attributor(layout, c.exec.hostname_pattern, new PodDirectory(c.exec.pod_logs_dir));
    this.traces = new TraceSink(this.host, {
      workspacesRoot: root,
      podWorkspacePaths: c.exec.pod_workspace_paths,
      sourceHash: (abs) => this.store.head(path.relative(root, abs).split(path.sep).join('/'))?.sha256,
      emit: (span) => this.exporter.exportSpan(span),
    });
    const sinks = [...(c.exec.records ? [new ProcessRecords(this.exporter)] : []), this.traces];
    const tracker = new ProcessTracker(this.host, attributor, c.exec.report === 'all', c.exec.max_processes, sinks);
    this.tracker = tracker;
    const traces = this.traces;
    return new ExecReceiver(
      {
        loader: c.exec.loader, ringbufBytes: c.exec.ringbuf_bytes, drainMs: c.exec.drain_ms, hostnamePrefixes: c.exec.kernel_hostname_prefixes,
        stderrMaxBytes: c.exec.stderr_max_bytes, stdoutMaxBytes: c.exec.stdout_max_bytes,
      },
      // Captured output only feeds spans: the correlator keeps it for processes it follows (students').
      (ev) => (ev.type === 'output' || ev.type === 'output_end' ? traces.output(ev) : tracker.handle(ev)),
    );
  }

  /** Wait until every change seen so far has been turned into records and handed to the exporters. */
  async settle(): Promise<void> {
    await this.files.idle();
    await this.snapshots.drain();
    await this.exporter.forceFlush();
  }

  /** Run a reconciliation scan now and wait for its records (tests and the demo use it). */
  async scanNow(): Promise<void> {
    await this.files.scan('periodic');
    await this.settle();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.http.setReady(false);
      await this.jupyter?.shutdown();
      await this.exec?.shutdown();
      this.tracker?.flush();
      this.traces?.shutdown();
      await this.files.shutdown();
      await this.snapshots.shutdown();
      await this.exporter.shutdown();
      await this.http.shutdown();
      this.log.info('agent stopped');
    })();
    return this.stopping;
  }
}
