// The OTLP/HTTP receiver for Jupyter cell spans: `POST /v1/traces` on the agent's HTTP endpoint, OTLP JSON only.
// The sender is a student's kernel, so the request is bounded (size, span count) and validated at the edge;
// what is missing from the kernel's student attributes is found like for processes: the pod host name pattern,
// else the notebook's path (or the kernel's cwd) under the workspaces root. Accepted spans go to the exporters.
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { Component, Host } from '../../core/component.ts';
import type { SpanRecord } from '../../core/records.ts';
import { hostnamePattern } from '../../processors/attribution/attributor.ts';
import { ATTR, METRICS } from '../../telemetry/schema.ts';
import { WorkspaceLayout } from '../files/layout.ts';
import { parseTraceRequest, RequestError } from './spans.ts';

export const TRACES_PATH = '/v1/traces';

export interface JupyterReceiverConfig {
  maxRequestBytes: number;
  workspacesRoot: string;
  layout: string;
  hostnamePattern: string;
}

type Result = (typeof METRICS.OTLP_HTTP_REQUESTS.labels.result)[number];

const STUDENT = [ATTR.EDU_COURSE.name, ATTR.EDU_SECTION.name, ATTR.EDU_STUDENT_ID.name] as const;

export class JupyterReceiver implements Component {
  private host: Host | undefined;
  private readonly layout: WorkspaceLayout;
  private readonly matchHost: (h: string) => Attributes | undefined;

  constructor(private readonly cfg: JupyterReceiverConfig, private readonly emit: (span: SpanRecord) => void) {
    this.layout = new WorkspaceLayout(path.resolve(cfg.workspacesRoot), cfg.layout);
    this.matchHost = hostnamePattern(cfg.hostnamePattern);
  }

  async start(host: Host): Promise<void> {
    this.host = host;
  }

  async shutdown(): Promise<void> {
    this.host = undefined;
  }

  /** The HTTP handler for `POST /v1/traces`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const host = this.host;
    const reply = (status: number, result: Result, body: object) => {
      host?.metrics.inc(METRICS.OTLP_HTTP_REQUESTS, { result });
      // A body left unread (too large, wrong type) cannot be followed by another request on this connection.
      const headers = { 'content-type': 'application/json', ...(req.complete ? {} : { connection: 'close' }) };
      res.writeHead(status, headers).end(JSON.stringify(body));
      if (!req.complete) req.resume();
    };
    // Accepted only between start and shutdown: before, the exporters are not there yet.
    if (!host) return reply(503, 'unavailable', { error: 'the agent is starting or stopping' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (type !== 'application/json' || encoding !== 'identity') {
      return reply(415, 'unsupported_media_type', { error: 'only uncompressed OTLP/HTTP JSON (content-type: application/json) is accepted' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => reply(413, 'too_large', { error: `request body over ${this.cfg.maxRequestBytes} bytes` });
    if (declared > this.cfg.maxRequestBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > this.cfg.maxRequestBytes) {
        done = true;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => { done = true; });
    req.on('end', () => {
      if (done) return;
      done = true;
      this.accept(Buffer.concat(chunks), reply);
    });
  }

  private accept(raw: Buffer, reply: (status: number, result: Result, body: object) => void): void {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return reply(400, 'bad_json', { error: `not JSON: ${(err as Error).message}` });
    }
    let parsed;
    try {
      parsed = parseTraceRequest(body);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      return reply(400, 'bad_request', { error: err.message });
    }
    const metrics = this.host!.metrics;
    for (const s of parsed.spans) this.emit(this.attribute(s));
    if (parsed.spans.length) metrics.inc(METRICS.JUPYTER_SPANS, { outcome: 'accepted' }, parsed.spans.length);
    if (!parsed.rejected.length) return reply(200, 'ok', {});
    metrics.inc(METRICS.JUPYTER_SPANS, { outcome: 'rejected' }, parsed.rejected.length);
    // OTLP/HTTP partial success: 200, with how many were rejected and why.
    return reply(200, 'partial', { partialSuccess: { rejectedSpans: String(parsed.rejected.length), errorMessage: [...new Set(parsed.rejected)].slice(0, 5).join('; ') } });
  }

  /** Fill in the student the kernel did not name: pod host name pattern, else a path under the workspaces root. */
  private attribute(span: SpanRecord): SpanRecord {
    const a: Attributes = { ...span.attributes };
    const resource: Attributes = {};
    let how: string | undefined = typeof a[ATTR.EDU_STUDENT_ID.name] === 'string' ? 'kernel' : undefined;
    const hostname = a[ATTR.JCODE_PROCESS_HOSTNAME.name];
    const byHost = typeof hostname === 'string' ? this.matchHost(hostname) : undefined;
    if (byHost) {
      // In Kubernetes a pod's host name is its name.
      resource[ATTR.K8S_POD_NAME.name] = hostname!;
      if (!how) {
        for (const k of STUDENT) a[k] ??= byHost[k];
        how = 'hostname';
      }
    }
    const notebook = a[ATTR.JCODE_JUPYTER_NOTEBOOK_PATH.name];
    const cwd = a[ATTR.PROCESS_WORKING_DIRECTORY.name];
    const candidates: [string, boolean][] = [];
    if (typeof notebook === 'string' && path.isAbsolute(notebook)) candidates.push([notebook, true]);
    if (typeof cwd === 'string' && path.isAbsolute(cwd)) candidates.push([cwd, false]);
    for (const [p, isNotebook] of candidates) {
      const loc = isNotebook ? this.layout.locate(p) : this.layout.locateDir(p);
      if (loc.kind !== 'file') continue;
      const { student, assignment, relPath } = loc.location;
      // A path in another student's workspace than the one the kernel or host name named says nothing more.
      if (how && a[ATTR.EDU_STUDENT_ID.name] !== student.studentId) continue;
      if (!how) {
        a[ATTR.EDU_COURSE.name] ??= student.course;
        a[ATTR.EDU_SECTION.name] ??= student.section;
        a[ATTR.EDU_STUDENT_ID.name] ??= student.studentId;
        how = 'path';
      }
      if (assignment) a[ATTR.EDU_ASSIGNMENT.name] ??= assignment;
      if (isNotebook) a[ATTR.FILE_PATH.name] ??= relPath;
      break;
    }
    if (how) a[ATTR.JCODE_ATTRIBUTION.name] = how;
    return { ...span, attributes: a, resource };
  }
}
