// The agent's privacy step: every log record and span passes through it inside the exporter, before any
// processor or exporter sees it (JSON-lines files, console summary, OTLP spool), so nothing leaves the node
// without it.
//
// - Pseudonymisation (privacy.pseudonymize): `edu.student.id` becomes its keyed pseudonym, and the real ID is
//   replaced wherever else it appears as a whole token in an attribute value: the workspace directory
//   `<course>-<section>-<student>` inside cwd, argv and executable paths, the pod name `jcode-os-1-<student>-…`,
//   host names, diagnostics. Optionally (privacy.send_real_id) the real ID rides along in `edu.student.real_id`
//   for a Collector route that is allowed to see it (otel-collector-config.yaml drops it on the others).
// - Redaction (privacy.redact): secrets in argv, diagnostics and span events are replaced with `[REDACTED]`.
// Every replacement is counted in jcode_watcher_redactions_total{kind}.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { Config } from '../../config/spec.ts';
import type { Logger } from '../../core/log.ts';
import type { MetricsRegistry } from '../../core/metrics.ts';
import { escapeRegExp } from '../../core/regexp.ts';
import type { EventRecord, SpanRecord } from '../../core/records.ts';
import { WorkspaceLayout } from '../../receiver/files/layout.ts';
import { ATTR, METRICS } from '../../telemetry/schema.ts';
import { BUILTIN_RULES, compileCustomRules, redactArgv, redactString, type Counter, type RedactionKind } from './patterns.ts';
import { loadPseudonymKey, pseudonym } from './pseudonym.ts';

const ID = ATTR.EDU_STUDENT_ID.name;
const REAL_ID = ATTR.EDU_STUDENT_REAL_ID.name;
/** Values that are the student context itself, never rewritten token by token. */
const CONTEXT_KEYS = new Set([ATTR.EDU_COURSE.name, ATTR.EDU_SECTION.name, ATTR.EDU_ASSIGNMENT.name, ID, REAL_ID]);
/** File content: left as saved unless privacy.scrub_content (the hashes are those of the saved content). */
const CONTENT_KEYS = new Set([ATTR.JCODE_FILE_DIFF.name]);
const ARGV_KEYS = new Set([ATTR.PROCESS_COMMAND_ARGS.name]);
const DIAGNOSTIC_PREFIX = 'jcode.diagnostic.';
const MAX_CACHED_STUDENTS = 65_536;

export interface PrivacyOptions {
  /** HMAC key; null: IDs stay as they are. */
  key: Buffer | null;
  sendRealId: boolean;
  scrubContent: boolean;
  redact: boolean;
  patterns: readonly string[];
}

interface Student { pseudonym: string; re: RegExp }

export class Privacy {
  private readonly rules;
  private readonly students = new Map<string, Student>();
  private readonly count: Counter;

  constructor(private readonly opts: PrivacyOptions, metrics?: MetricsRegistry) {
    this.rules = opts.redact ? [...BUILTIN_RULES, ...compileCustomRules(opts.patterns)] : compileCustomRules(opts.patterns);
    this.count = (kind: RedactionKind, n: number) => metrics?.inc(METRICS.REDACTIONS, { kind }, n);
  }

  /** From the validated config; throws a ConfigError (the agent exits 2) when the key is missing. */
  static fromConfig(c: Config['privacy'], metrics?: MetricsRegistry, env: NodeJS.ProcessEnv = process.env): Privacy {
    return new Privacy({
      key: c.pseudonymize ? loadPseudonymKey({ keyEnv: c.key_env, keyFile: c.key_file }, env) : null,
      sendRealId: c.pseudonymize && c.send_real_id,
      scrubContent: c.pseudonymize && c.scrub_content,
      redact: c.redact,
      patterns: c.redact_patterns,
    }, metrics);
  }

  /** Pseudonym of one ID (the same on every node with the same key); undefined when pseudonymisation is off. */
  pseudonymOf(studentId: string): string | undefined {
    return this.student(studentId)?.pseudonym;
  }

  record(rec: EventRecord): EventRecord {
    const s = this.studentOf(rec.attributes);
    const out: EventRecord = {
      ...rec,
      attributes: this.attributes(rec.attributes, s, false),
      resource: rec.resource && this.attributes(rec.resource, s, false),
    };
    if (s && this.opts.scrubContent && rec.body) return { ...out, body: this.replaceId(rec.body, s) };
    return out;
  }

  span(rec: SpanRecord): SpanRecord {
    const s = this.studentOf(rec.attributes);
    const str = (v: string) => this.text(v, s, true);
    return {
      ...rec,
      name: s ? this.replaceId(rec.name, s) : rec.name,
      attributes: this.attributes(rec.attributes, s, false),
      resource: this.attributes(rec.resource, s, false),
      status: rec.status.message === undefined ? rec.status : { ...rec.status, message: str(rec.status.message) },
      // Span events carry diagnostics and exceptions: every string in them is redacted.
      events: rec.events?.map((e) => ({ ...e, attributes: this.attributes(e.attributes, s, true) })),
      links: rec.links?.map((l) => (l.attributes ? { ...l, attributes: this.attributes(l.attributes, s, false) } : l)),
    };
  }

  /**
   * The agent's own log goes to the cluster's log collector too: with pseudonymisation on, a real ID in a
   * workspace path (a key `os-1-202012180/hw1/x.c`, or an absolute path under the workspaces root inside an error
   * message) becomes the pseudonym. Only paths are parsed: the layout would take any `a-b-c` word for a student.
   */
  logger(inner: Logger, workspacesRoot: string, layoutPattern: string): Logger {
    if (!this.opts.key) return inner;
    let layout: WorkspaceLayout;
    try {
      layout = new WorkspaceLayout(workspacesRoot, layoutPattern);
    } catch {
      return inner; // the file receiver reports a bad layout
    }
    const roots = new Set([path.resolve(workspacesRoot)]);
    try {
      roots.add(realpathSync(workspacesRoot));
    } catch { /* not there yet */ }
    const underRoot = new RegExp(`(?:${[...roots].map(escapeRegExp).join('|')})/([^/\\s'"]+)`, 'g');
    const scrub = (v: string): string => {
      const ids = new Set<string>();
      for (const m of v.matchAll(underRoot)) {
        const st = layout.student(m[1]!);
        if (st) ids.add(st.studentId);
      }
      if (!v.startsWith('/')) {
        const st = layout.student(v.split('/')[0]!);
        if (st && v.includes('/')) ids.add(st.studentId);
      }
      let out = v;
      for (const id of ids) {
        const s = this.student(id)!;
        out = out.replace(s.re, s.pseudonym);
      }
      return out;
    };
    const fields = (f?: Record<string, unknown>) => f && Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v instanceof Error ? scrub(v.message) : v]));
    return {
      debug: (m, f) => inner.debug(scrub(m), fields(f)),
      info: (m, f) => inner.info(scrub(m), fields(f)),
      warn: (m, f) => inner.warn(scrub(m), fields(f)),
      error: (m, f) => inner.error(scrub(m), fields(f)),
    };
  }

  private studentOf(a: Attributes): Student | undefined {
    const id = a[ID];
    return typeof id === 'string' && id ? this.student(id) : undefined;
  }

  private student(id: string): Student | undefined {
    if (!this.opts.key) return undefined;
    let s = this.students.get(id);
    if (!s) {
      s = { pseudonym: pseudonym(this.opts.key, id), re: new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(id)}(?![A-Za-z0-9])`, 'g') };
      if (this.students.size >= MAX_CACHED_STUDENTS) this.students.delete(this.students.keys().next().value!);
      this.students.set(id, s);
    }
    return s;
  }

  private replaceId(v: string, s: Student): string {
    let n = 0;
    const out = v.replace(s.re, () => (n++, s.pseudonym));
    if (n) this.count('student_id', n);
    return out;
  }

  /** One string: the real ID replaced (if known), then secrets redacted when `secrets` is set. */
  private text(v: string, s: Student | undefined, secrets: boolean): string {
    const t = s ? this.replaceId(v, s) : v;
    return secrets ? redactString(t, this.rules, this.count) : t;
  }

  private attributes(a: Attributes, s: Student | undefined, allSecrets: boolean): Attributes {
    const out: Attributes = {};
    for (const [k, v] of Object.entries(a)) {
      if (v === undefined) continue;
      if (k === ID && s) {
        out[k] = s.pseudonym;
        this.count('student_id', 1);
        if (this.opts.sendRealId) out[REAL_ID] = v;
        continue;
      }
      if (CONTEXT_KEYS.has(k) || (CONTENT_KEYS.has(k) && !this.opts.scrubContent)) {
        out[k] = v;
        continue;
      }
      const secrets = allSecrets || k.startsWith(DIAGNOSTIC_PREFIX);
      if (ARGV_KEYS.has(k) && Array.isArray(v)) {
        const ids = s ? (v as string[]).map((x) => (typeof x === 'string' ? this.replaceId(x, s) : x)) : (v as string[]);
        out[k] = this.opts.redact ? redactArgv(ids, this.rules, this.count) : ids.map((x) => redactString(x, this.rules, this.count));
      } else {
        out[k] = this.value(v, s, secrets);
      }
    }
    return out;
  }

  private value(v: AttributeValue, s: Student | undefined, secrets: boolean): AttributeValue {
    if (typeof v === 'string') return this.text(v, s, secrets);
    if (Array.isArray(v)) return (v as unknown[]).map((x) => (typeof x === 'string' ? this.text(x, s, secrets) : x)) as AttributeValue;
    return v;
  }
}
