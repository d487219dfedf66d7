// Regenerates the documentation that is derived from code: docs/telemetry.md and docs/config.md.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../config/load.ts';
import { renderTelemetryDoc } from '../telemetry/render.ts';
import { generate as generateChart } from '../deploy/helm/generate.ts';

writeFileSync(new URL('../docs/telemetry.md', import.meta.url), renderTelemetryDoc());
writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigDoc());
// The Helm chart's values.schema.json (from config/spec.ts) and its copy of otel-collector-config.yaml.
const chart = generateChart();
process.stdout.write('wrote docs/telemetry.md and docs/config.md\n');
if (chart.length) process.stdout.write(`wrote deploy/helm/jcode-watcher/${chart.join(', ')}\n`);
