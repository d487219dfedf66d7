// docs/telemetry.md, generated from telemetry/schema.ts.
import { ATTR, COLLECTOR_METRICS, EVENTS, METRICS, SPANS, type AttributeDef } from './schema.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderTelemetryDoc(): string {
  const out = [
    '# Telemetry schema',
    '',
    'Every event, attribute and metric JCode Watcher emits. Generated from `telemetry/schema.ts` (`npm run docs`);',
    'the code refers to names through that file and a test fails when this page is out of date.',
    '',
    '## Events (OTel log records)',
    '',
    'Each event is a log record whose `EventName` is the event name; the Resource carries the resource attributes below.',
    '',
  ];
  for (const e of Object.values(EVENTS)) {
    out.push(`### \`${e.name}\``, '', e.description, '', `Body: ${e.body}`, '', 'Attributes: ' + e.attributes.map((a) => `\`${a.name}\``).join(', '), '');
  }
  out.push('## Spans (compile → run traces)', '', 'Spans follow the OTel CLI-span conventions: start and end are the kernel\'s exec and exit times; status ERROR iff the exit code is non-zero or a signal killed the process, with `error.type`. The resource carries the pod (`k8s.*`, `container.id`); the span carries the student (`edu.*`) and process attributes, and `jcode.exec.kind`.', '', '| kind | span name | shape |', '|---|---|---|');
  for (const sp of SPANS) out.push(`| \`${sp.kind}\` | ${cell(sp.name)} | ${cell(sp.description)} |`);
  out.push('', 'Trace shapes:', '', '```', 'gcc -o hw1 main.c && ./hw1 && ./hw1        make && ./prog             python3 a.py', 'gcc (compile, root)                         make (build, root)         python3 (interpret, root)', '├── cc1 (toolchain)                         ├── gcc (compile)', '├── as (toolchain)                          │   ├── cc1 …', '├── collect2 (toolchain)                    │   └── collect2', '│   └── ld (toolchain)                      │       └── ld', '├── run (./hw1)                             └── run (./prog)', '└── run (./hw1, second run)', '```', '');
  out.push('## Attributes', '', '| name | type | on | source | meaning |', '|---|---|---|---|---|');
  const seen = new Set<string>();
  for (const a of Object.values(ATTR) as AttributeDef[]) {
    if (seen.has(a.name)) continue;
    seen.add(a.name);
    out.push(`| \`${a.name}\` | ${a.type} | ${a.on} | ${a.source === 'semconv' ? 'OTel semantic conventions' : 'JCode Watcher'} | ${cell(a.description)} |`);
  }
  out.push('', '## Metrics (Prometheus `/metrics`, and OTLP with the same names)', '', '| name | type | labels (allowed values) | meaning |', '|---|---|---|---|');
  for (const m of Object.values(METRICS)) {
    const labels = Object.entries(m.labels).map(([k, v]) => `\`${k}\`: ${v.join(', ')}`).join('; ') || (m === METRICS.BUILD_INFO ? '`version`, `nodejs`' : '–');
    out.push(`| \`${m.name}\` | ${m.type} | ${cell(labels)} | ${cell(m.help)} |`);
  }
  out.push('', '## Metrics from the Collector (Prometheus, from `otel-collector-config.yaml`)', '', 'Span metrics come from the `span_metrics` connector (prometheus exporter, :8889); `otelcol_*` from the Collector\'s own telemetry (:8888). The chart\'s alerts and dashboard use only these and the agent metrics above.', '', '| name | type | source | labels | meaning |', '|---|---|---|---|---|');
  for (const m of Object.values(COLLECTOR_METRICS)) out.push(`| \`${m.name}\` | ${m.type} | ${m.source} | ${cell(m.labels)} | ${cell(m.help)} |`);
  out.push('');
  return out.join('\n');
}
