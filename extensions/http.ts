// The agent's HTTP endpoint: /healthz (process alive), /readyz (200 only once every receiver started),
// /metrics (Prometheus text), and POST routes receivers register (the OTLP/HTTP `/v1/traces`). Bound to
// 127.0.0.1 unless configured otherwise.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Component, Host } from '../core/component.ts';
import { METRICS } from '../telemetry/schema.ts';

export interface HttpConfig {
  host: string;
  port: number;
}

export class HttpServer implements Component {
  private server: http.Server | undefined;
  private ready = false;
  private readonly posts = new Map<string, http.RequestListener>();

  constructor(private readonly cfg: HttpConfig) {}

  /** Serve `POST path` with this handler (register before start). */
  handlePost(path: string, handler: http.RequestListener): void {
    this.posts.set(path, handler);
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.cfg.port;
  }

  async start(host: Host): Promise<void> {
    this.server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0]!;
      const post = this.posts.get(url);
      if (post && req.method === 'POST') {
        post(req, res);
        return;
      }
      if (post || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(405, { allow: post ? 'POST' : 'GET, HEAD' }).end();
        return;
      }
      switch (url) {
        case '/healthz':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
          return;
        case '/readyz':
          res.writeHead(this.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(this.ready ? 'ready\n' : 'starting\n');
          return;
        case '/metrics':
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(host.metrics.render());
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
      }
    });
    this.server.on('error', () => host.metrics.inc(METRICS.ERRORS, { component: 'http' }));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.cfg.port, this.cfg.host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    host.log.info('http endpoint listening', { address: `${this.cfg.host}:${this.port}`, paths: ['/healthz', '/readyz', '/metrics', ...this.posts.keys()] });
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
