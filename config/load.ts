// Parse the config file once, at the edge, into a typed Config. Every error names the key and what is allowed.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CONFIG_SPEC, type Config, type Leaf, type Section } from './spec.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(leaf: Leaf): string {
  switch (leaf.kind) {
    case 'int': return `an integer from ${leaf.min} to ${leaf.max}`;
    case 'bool': return 'true or false';
    case 'enum': return `one of ${leaf.values.join(', ')}`;
    case 'strings': return 'a list of strings';
    case 'string': return leaf.nullable ? 'a string or null' : 'a non-empty string';
  }
}

function checkLeaf(key: string, leaf: Leaf, v: unknown): unknown {
  const bad = () => new ConfigError(`config: ${key}: expected ${describe(leaf)}, got ${JSON.stringify(v)}`);
  switch (leaf.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < leaf.min || v > leaf.max) throw bad();
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      return v;
    case 'enum':
      if (typeof v !== 'string' || !leaf.values.includes(v)) throw bad();
      return v;
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0)) throw bad();
      return [...v];
    case 'string':
      if (v === null && leaf.nullable) return null;
      if (typeof v !== 'string' || v.length === 0) throw bad();
      return v;
  }
}

/** Validate a parsed document (any shape) against CONFIG_SPEC and fill in defaults. */
export function validateConfig(doc: unknown): Config {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('config: the top level must be a mapping of sections');
  const sections = CONFIG_SPEC as Record<string, Section>;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!(name in sections)) throw new ConfigError(`config: ${name}: unknown section (allowed: ${Object.keys(sections).join(', ')})`);
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) throw new ConfigError(`config: ${name}: expected a mapping of keys`);
    for (const key of Object.keys(value ?? {})) {
      if (!(key in sections[name]!.keys)) throw new ConfigError(`config: ${name}.${key}: unknown key (allowed: ${Object.keys(sections[name]!.keys).join(', ')})`);
    }
  }
  for (const [name, section] of Object.entries(sections)) {
    const given = ((doc as Record<string, unknown>)[name] ?? {}) as Record<string, unknown>;
    out[name] = {};
    for (const [key, leaf] of Object.entries(section.keys)) {
      out[name][key] = key in given ? checkLeaf(`${name}.${key}`, leaf, given[key]) : structuredClone(leaf.default);
    }
  }
  return out as unknown as Config;
}

export interface CliOverrides {
  workspaces?: string;
  output?: string;
  httpPort?: number;
}

export function loadConfig(file: string | undefined, cli: CliOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  let doc: unknown = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
    }
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config: ${file} is not valid YAML: ${(err as Error).message}`);
    }
  }
  const cfg = validateConfig(doc);
  if (cli.workspaces) cfg.workspaces.root = cli.workspaces;
  if (cli.output) cfg.output.dir = cli.output;
  if (cli.httpPort !== undefined) cfg.http.port = checkLeaf('--http-port', CONFIG_SPEC.http.keys.port, cli.httpPort) as number;
  cfg.node.name ??= env.NODE_NAME || null;
  return cfg;
}

/** docs/config.md, generated from CONFIG_SPEC. */
export function renderConfigDoc(): string {
  const lines = ['# Configuration', '', 'Generated from `config/spec.ts` (`npm run docs`). Unknown keys and wrong values stop the agent with a message naming the key.', ''];
  const yaml: string[] = [];
  for (const [name, section] of Object.entries(CONFIG_SPEC as Record<string, Section>)) {
    lines.push(`## \`${name}\``, '', section.doc, '', '| key | type | default | meaning |', '|---|---|---|---|');
    yaml.push(`${name}:`);
    for (const [key, leaf] of Object.entries(section.keys)) {
      const def = JSON.stringify(leaf.default);
      lines.push(`| \`${name}.${key}\` | ${describe(leaf)} | \`${def.replace(/\|/g, '\\|')}\` | ${leaf.doc.replace(/\|/g, '\\|')} |`);
      yaml.push(`  ${key}: ${def}`);
    }
    lines.push('');
  }
  lines.push('## Every key with its default', '', '```yaml', ...yaml, '```', '');
  return lines.join('\n');
}
