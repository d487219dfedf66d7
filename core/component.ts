// The component model, after the OpenTelemetry Collector's: each component has a typed config, is made by a
// factory, and has a start/shutdown lifecycle. Records flow receiver → processors → exporters.
import type { MetricsRegistry } from './metrics.ts';
import type { Logger } from './log.ts';

/** What every component is handed at start: shared services, never globals. */
export interface Host {
  readonly metrics: MetricsRegistry;
  readonly log: Logger;
  /** Report a fatal component error; the agent logs it and marks the component down. */
  reportFatal(component: string, err: unknown): void;
}

export interface Component {
  start(host: Host): Promise<void>;
  /** Stop producing, flush what is buffered downstream, release resources. Idempotent. */
  shutdown(): Promise<void>;
}

export interface Factory<C, T extends Component, D> {
  readonly type: string;
  create(config: C, deps: D): T;
}

/** A consumer of typed records: the edge between pipeline stages. */
export interface Consumer<R> {
  consume(record: R): void;
}
