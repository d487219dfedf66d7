import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc } from '../../config/load.ts';
import { renderTelemetryDoc } from '../../telemetry/render.ts';
import { METRICS } from '../../telemetry/schema.ts';

describe('generated documentation', () => {
  it('docs/telemetry.md matches telemetry/schema.ts (run `npm run docs`)', () => {
    expect(readFileSync(new URL('../../docs/telemetry.md', import.meta.url), 'utf8')).toBe(renderTelemetryDoc());
  });
  it('docs/config.md matches config/spec.ts (run `npm run docs`)', () => {
    expect(readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8')).toBe(renderConfigDoc());
  });
  it('names every metric by Prometheus conventions', () => {
    for (const m of Object.values(METRICS)) {
      expect(m.name).toMatch(/^jcode_watcher_[a-z0-9_]+$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      else expect(m.name).not.toMatch(/_total$/);
      if (m.type === 'histogram') expect(m.name).toMatch(/_seconds$|_bytes$|_ratio$/);
      for (const label of Object.keys(m.labels)) expect(label).toMatch(/^[a-z_]+$/);
    }
  });
});
