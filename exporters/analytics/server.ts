// The Analytics API bridge: an OTLP/HTTP endpoint for the Collector's `otlp_http` exporter that turns JCode
// Watcher records into the Analytics API's REST calls.
//
//   POST /v1/logs, /v1/traces   application/x-protobuf or application/json, optional gzip
//        200 (`{}` or an empty protobuf response)  every call accepted, deduplicated or permanently dropped
//        503 + Retry-After                       the API was unreachable/overloaded for some call: the
//                                                Collector's persistent queue retries the batch later, and
//                                                calls that already succeeded are not sent again
//        400 unparsable body, 413 too large, 415 unsupported content type or encoding
//   GET  /metrics   Prometheus text, jcode_watcher_analytics_*
//   GET  /healthz
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { AnalyticsClient, type CallOutcome, type ClientOptions } from './client.ts';
import { mapLog, mapSpan, type ApiCall, type DropReason, type MappingOptions } from './mapping.ts';
import { BridgeMetrics } from './metrics.ts';
import { decodeRequest, OtlpDecodeError, type Encoding, type Signal } from './otlp.ts';

export type LogFn = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface BridgeOptions extends Omit<ClientOptions, 'log'>, MappingOptions {
  readonly host?: string;
  /** 0 = any free port. */
  readonly port?: number;
  /** Time budget for one Collector request, retries included (default 20 s; keep below the exporter's timeout). */
  readonly requestBudgetMs?: number;
  /** Parallel API calls per request (default 16). */
  readonly concurrency?: number;
  /** Largest accepted request body after decompression (default 64 MiB). */
  readonly maxBodyBytes?: number;
  readonly log?: LogFn;
}

export interface Bridge {
  readonly url: string;
  readonly port: number;
  readonly metrics: BridgeMetrics;
  close(): Promise<void>;
}

/** JSON lines on stderr. */
export const stderrLog: LogFn = (level, msg, fields) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'analytics-bridge', msg, ...fields })}\n`);
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) { reject(new HttpError(413, 'request body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const log = opts.log ?? stderrLog;
  const metrics = new BridgeMetrics();
  const client = new AnalyticsClient({ ...opts, log }, metrics);
  const budget = opts.requestBudgetMs ?? 20_000;
  const concurrency = opts.concurrency ?? 16;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  const mapping: MappingOptions = { timeZone: opts.timeZone };

  // Drops are counted once per record even when the Collector resends the batch; logged at most once per
  // reason per 10 s (with the number suppressed meanwhile) so a stream of unmappable records cannot flood.
  const countedDrops = new Map<string, true>();
  const lastDropLog = new Map<DropReason, { at: number; suppressed: number }>();
  const noteDrop = (key: string, reason: DropReason, detail: string, fields: Record<string, unknown>) => {
    if (countedDrops.has(key)) return;
    countedDrops.set(key, true);
    if (countedDrops.size > 100_000) countedDrops.delete(countedDrops.keys().next().value!);
    metrics.inc('jcode_watcher_analytics_records_dropped_total', { reason });
    const l = lastDropLog.get(reason);
    const now = Date.now();
    if (!l || now - l.at >= 10_000) {
      log('error', 'record dropped: cannot be mapped to an Analytics API call', { reason, detail, ...fields, suppressed_since_last: l?.suppressed ?? 0 });
      lastDropLog.set(reason, { at: now, suppressed: 0 });
    } else l.suppressed++;
  };

  async function handleExport(signal: Signal, encoding: Encoding, body: Buffer): Promise<{ retryable: number }> {
    const records = decodeRequest(signal, encoding, body);
    metrics.inc('jcode_watcher_analytics_records_received_total', { signal }, records.length);
    const calls: ApiCall[] = [];
    for (const r of records) {
      const res = r.signal === 'logs' ? mapLog(r, mapping) : mapSpan(r, mapping);
      if (res.outcome === 'ignored') metrics.inc('jcode_watcher_analytics_records_ignored_total', { signal });
      else if (res.outcome === 'dropped') {
        const key = r.signal === 'logs' ? `log|${r.eventName}|${r.timeUnixNano}|${JSON.stringify(r.attributes['file.path'] ?? '')}|${JSON.stringify(r.attributes['jcode.file.sha256'] ?? '')}` : `span|${r.traceId}|${r.spanId}`;
        const a = r.attributes;
        noteDrop(key, res.reason, res.detail, r.signal === 'logs' ? { event: r.eventName, course: a['edu.course'], section: a['edu.section'], assignment: a['edu.assignment'], file_path: a['file.path'] } : { span: r.name, trace_id: r.traceId, span_id: r.spanId });
      } else calls.push(...res.calls);
    }
    const deadline = Date.now() + budget;
    const outcomes: CallOutcome[] = await mapLimit(calls, concurrency, (c) => client.send(c, deadline));
    return { retryable: outcomes.filter((o) => !o.ok && o.retryable).length };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bridge');
    const reply = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/metrics') return reply(200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render());
    if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/')) return reply(200, 'text/plain', 'ok\n');
    const signal: Signal | undefined = url.pathname === '/v1/logs' ? 'logs' : url.pathname === '/v1/traces' ? 'traces' : undefined;
    if (!signal) return reply(404, 'text/plain', 'not found\n');
    if (req.method !== 'POST') return reply(405, 'text/plain', 'method not allowed\n', { allow: 'POST' });

    const ctype = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding: Encoding | undefined = ctype === 'application/x-protobuf' ? 'protobuf' : ctype === 'application/json' ? 'json' : undefined;
    const answer = (status: number, message?: string, headers: Record<string, string> = {}) => {
      metrics.inc('jcode_watcher_analytics_requests_total', { signal, code: String(status) });
      if (encoding === 'protobuf' && status === 200) return reply(200, 'application/x-protobuf', Buffer.alloc(0));
      // google.rpc.Status-shaped JSON for errors, `{}` (an empty Export*ServiceResponse) for success.
      return reply(status, 'application/json', status === 200 ? '{}' : JSON.stringify({ code: status === 503 ? 14 : 3, message }), headers);
    };
    if (!encoding) { answer(415, `unsupported content type ${JSON.stringify(ctype)}`); req.resume(); return; }

    (async () => {
      let body = await readBody(req, maxBody);
      const ce = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
      if (ce === 'gzip') {
        try { body = gunzipSync(body, { maxOutputLength: maxBody }); } catch (e) { throw new HttpError(400, `bad gzip body: ${(e as Error).message}`); }
      } else if (ce !== '' && ce !== 'identity') throw new HttpError(415, `unsupported content encoding ${ce}`);
      const { retryable } = await handleExport(signal, encoding, body);
      if (retryable > 0) answer(503, `${retryable} Analytics API call(s) failed; retry later`, { 'retry-after': '5' });
      else answer(200);
    })().catch((err: unknown) => {
      if (err instanceof OtlpDecodeError) { log('warn', 'unparsable OTLP request', { signal, error: err.message }); answer(400, err.message); }
      else if (err instanceof HttpError) answer(err.status, err.message);
      else { log('error', 'bridge error', { error: String((err as Error)?.stack ?? err) }); answer(503, 'internal error; retry later', { 'retry-after': '5' }); }
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as import('node:net').AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log('info', 'analytics bridge listening', { listen: `${host}:${addr.port}`, api: opts.baseUrl });
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    metrics,
    close: () => new Promise<void>((resolve) => { metrics.set('jcode_watcher_analytics_up', {}, 0); server.close(() => resolve()); server.closeIdleConnections(); }),
  };
}
