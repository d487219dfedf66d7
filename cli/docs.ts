// Regenerates the documentation that is derived from code: docs/telemetry.md and docs/config.md.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from '../config/load.ts';
import { renderTelemetryDoc } from '../telemetry/render.ts';

writeFileSync(new URL('../docs/telemetry.md', import.meta.url), renderTelemetryDoc());
writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigDoc());
process.stdout.write('wrote docs/telemetry.md and docs/config.md\n');
