import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../config/load.ts';

describe('config', () => {
  it('fills every default', () => {
    const c = validateConfig({});
    expect(c.files.debounce_ms).toBe(500);
    expect(c.files.max_wait_ms).toBe(3000);
    expect(c.files.max_bytes).toBe(1048576);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(c.workspaces.layout).toBe('{course}-{section}-{student}/{assignment}');
    expect(c.files.extensions).toEqual(['.c', '.h', '.cpp', '.hpp', '.cc', '.py', '.ipynb', '.java', '.js', '.ts']);
  });

  it.each([
    [{ files: { debounse_ms: 5 } }, /files\.debounse_ms: unknown key \(allowed: watcher, extensions/],
    [{ filez: {} }, /filez: unknown section/],
    [{ files: { debounce_ms: 'fast' } }, /files\.debounce_ms: expected an integer from 0 to 60000, got "fast"/],
    [{ files: { watcher: 'inotify' } }, /files\.watcher: expected one of parcel, chokidar, got "inotify"/],
    [{ http: { port: 70000 } }, /http\.port: expected an integer from 0 to 65535/],
    [{ output: { console: 'yes' } }, /output\.console: expected true or false/],
    [{ files: { extensions: '.c' } }, /files\.extensions: expected a list of strings/],
    [[1, 2], /top level must be a mapping/],
  ])('rejects %j with a message naming the key', (doc, msg) => {
    expect(() => validateConfig(doc)).toThrow(ConfigError);
    expect(() => validateConfig(doc)).toThrow(msg);
  });

  it('reads YAML and applies CLI overrides and NODE_NAME', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jcw-cfg-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, 'files:\n  debounce_ms: 250\nworkspaces:\n  root: /srv/ws\n');
    const c = loadConfig(file, { output: '/tmp/o', httpPort: 0 }, { NODE_NAME: 'node-7' });
    expect(c.files.debounce_ms).toBe(250);
    expect(c.workspaces.root).toBe('/srv/ws');
    expect(c.output.dir).toBe('/tmp/o');
    expect(c.http.port).toBe(0);
    expect(c.node.name).toBe('node-7');
    writeFileSync(file, 'files: [unclosed\n');
    expect(() => loadConfig(file)).toThrow(/is not valid YAML/);
    expect(() => loadConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read/);
  });
});
