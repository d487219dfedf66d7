import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../core/metrics.ts';
import { METRICS } from '../../telemetry/schema.ts';

describe('metrics registry', () => {
  it('renders Prometheus text with counters, gauges and cumulative histograms', () => {
    const m = new MetricsRegistry();
    m.inc(METRICS.FILE_EVENTS, { event: 'save', detected_by: 'watch' }, 2);
    m.set(METRICS.PENDING_FILES, 3);
    m.observe(METRICS.SAVE_LATENCY, 0.2);
    m.observe(METRICS.SAVE_LATENCY, 0.7);
    const text = m.render();
    expect(text).toContain('# TYPE jcode_watcher_file_events_total counter');
    expect(text).toContain('jcode_watcher_file_events_total{event="save",detected_by="watch"} 2');
    expect(text).toContain('jcode_watcher_pending_files 3');
    expect(text).toContain('jcode_watcher_save_latency_seconds_bucket{le="0.25"} 1');
    expect(text).toContain('jcode_watcher_save_latency_seconds_bucket{le="0.75"} 2');
    expect(text).toContain('jcode_watcher_save_latency_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('jcode_watcher_save_latency_seconds_count 2');
    expect(text).toContain('jcode_watcher_file_saves_unchanged_total 0');
  });
  it('rejects label values outside the schema (bounded cardinality)', () => {
    const m = new MetricsRegistry();
    expect(() => m.inc(METRICS.FILE_SKIPPED, { reason: 'student-42' })).toThrow(/not in the schema/);
  });
});
