// The bridge's own Prometheus metrics (text exposition 0.0.4), `jcode_watcher_analytics_*`, bounded labels.

type Labels = Record<string, string>;

interface Family { name: string; help: string; type: 'counter' | 'gauge'; values: Map<string, { labels: Labels; value: number }> }

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class BridgeMetrics {
  private readonly families = new Map<string, Family>();

  constructor() {
    this.def('jcode_watcher_analytics_requests_total', 'counter', 'OTLP export requests from the Collector, by signal and HTTP status answered.');
    this.def('jcode_watcher_analytics_records_received_total', 'counter', 'Log records and spans received, by signal.');
    this.def('jcode_watcher_analytics_records_ignored_total', 'counter', 'Records the Analytics API has no call for (other events, toolchain spans), by signal.');
    this.def('jcode_watcher_analytics_records_dropped_total', 'counter', 'Records that should have become API calls but could not (unmappable, or rejected by the API), by reason.');
    this.def('jcode_watcher_analytics_calls_sent_total', 'counter', 'API calls the Analytics API accepted, by call.');
    this.def('jcode_watcher_analytics_calls_retried_total', 'counter', 'API call attempts repeated after a retryable failure (network error, 429, 5xx), by call.');
    this.def('jcode_watcher_analytics_calls_failed_total', 'counter', 'API calls that failed: reason=unavailable (gave up for this request; the Collector retries the batch) or rejected (permanent 4xx, dropped).');
    this.def('jcode_watcher_analytics_calls_deduplicated_total', 'counter', 'API calls not sent because the same record already succeeded (a batch retried by the Collector).');
    this.def('jcode_watcher_analytics_up', 'gauge', '1 while the bridge is serving.');
    this.set('jcode_watcher_analytics_up', {}, 1);
  }

  private def(name: string, type: Family['type'], help: string): void {
    this.families.set(name, { name, help, type, values: new Map() });
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    const k = labelKey(labels);
    const cur = f.values.get(k);
    if (cur) cur.value += by;
    else f.values.set(k, { labels, value: by });
  }

  set(name: string, labels: Labels, value: number): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    f.values.set(labelKey(labels), { labels, value });
  }

  /** Current value (0 when never incremented): for tests and logs. */
  get(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const { labels, value } of f.values.values()) {
        const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
        lines.push(`${f.name}${l ? `{${l}}` : ''} ${value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
