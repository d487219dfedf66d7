// The shared front half of `export progsnap2` and `report`: stream the OTLP files, turn records into events,
// sort them by time on disk, drop exact duplicates (at-least-once delivery, or the same records in both the
// agent's files and a Collector's), and hand them on in time order.
import path from 'node:path';
import { EventBuilder, type ResearchEvent } from './events.ts';
import { ExternalSorter } from './external-sort.ts';
import { readOtlp, type ReadStats } from './otlp-read.ts';

export interface PipelineStats extends ReadStats {
  events: number;
  duplicates: number;
  skipped: EventBuilder['skipped'];
  sortRuns: number;
}

export interface Pipeline {
  readonly builder: EventBuilder;
  readonly stats: PipelineStats;
  events(): AsyncGenerator<ResearchEvent>;
  cleanup(): void;
}

/** Nanoseconds fit in 20 digits until the year 5138: a fixed-width prefix sorts as text. */
const keyOf = (ev: ResearchEvent) => `${ev.t.padStart(20, '0')} ${ev.id}`;

export function openPipeline(from: string, workDir: string, runBytes?: number): Pipeline {
  const builder = new EventBuilder(path.join(workDir, 'blobs'));
  const sorter = new ExternalSorter(path.join(workDir, 'sort'), runBytes);
  const stats: PipelineStats = { files: 0, lines: 0, badLines: 0, ignored: 0, events: 0, duplicates: 0, skipped: builder.skipped, sortRuns: 0 };
  return {
    builder,
    stats,
    async *events() {
      for await (const rec of readOtlp(from, stats)) {
        const ev = builder.build(rec);
        if (ev) await sorter.add(`${keyOf(ev)}\t${JSON.stringify(ev)}`);
      }
      let lastKey = '';
      for await (const line of sorter.sorted()) {
        const tab = line.indexOf('\t');
        const key = line.slice(0, tab);
        if (key === lastKey) {
          stats.duplicates++;
          continue;
        }
        lastKey = key;
        stats.events++;
        yield JSON.parse(line.slice(tab + 1)) as ResearchEvent;
      }
      stats.sortRuns = sorter.runsWritten;
    },
    cleanup: () => sorter.cleanup(),
  };
}
