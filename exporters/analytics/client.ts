// Analytics API client: bounded retry with exponential backoff and jitter, idempotency by record identity.
//
// A call that succeeded is remembered (bounded LRU of keys), so when the Collector retries a whole batch
// after a partial failure only the calls that did not succeed are sent again. Concurrent requests carrying the
// same record share one in-flight attempt. The memory is per process: a bridge restart between a success and a
// Collector retry can repeat a call (the API stores a duplicate row, as the old watcher did on re-sends).
import type { ApiCall, CallKind } from './mapping.ts';
import type { BridgeMetrics } from './metrics.ts';

export interface ClientOptions {
  /** API base URL, e.g. http://watcher-backend-service.watcher.svc.cluster.local:3000 */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set (the JBNU API itself has no auth; a proxy may). */
  readonly token?: string;
  /** Per attempt (default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** Attempts per call within one Collector request (default 4). */
  readonly maxAttempts?: number;
  /** First backoff (default 200 ms), doubled per attempt up to maxBackoffMs (default 5 s), ±20 % jitter. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Remembered successful call keys (default 200,000). */
  readonly rememberKeys?: number;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export type CallOutcome =
  | { readonly ok: true; readonly duplicate: boolean }
  /** retryable: the API was unreachable or overloaded (the batch should be retried later). */
  | { readonly ok: false; readonly retryable: boolean; readonly status?: number; readonly error: string };

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class AnalyticsClient {
  private readonly done = new Map<string, true>();
  private readonly inflight = new Map<string, Promise<CallOutcome>>();
  private readonly o: Required<Omit<ClientOptions, 'token' | 'log'>> & Pick<ClientOptions, 'token' | 'log'>;

  constructor(opts: ClientOptions, private readonly metrics: BridgeMetrics) {
    this.o = {
      attemptTimeoutMs: 10_000, maxAttempts: 4, initialBackoffMs: 200, maxBackoffMs: 5_000, rememberKeys: 200_000,
      ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
  }

  /** Send one call unless the same record already succeeded; `deadline` (epoch ms) bounds retries. */
  send(call: ApiCall, deadline: number): Promise<CallOutcome> {
    if (this.done.has(call.key)) {
      this.metrics.inc('jcode_watcher_analytics_calls_deduplicated_total', { call: call.kind });
      return Promise.resolve({ ok: true, duplicate: true });
    }
    const running = this.inflight.get(call.key);
    if (running) return running;
    const p = this.attempts(call, deadline).finally(() => this.inflight.delete(call.key));
    this.inflight.set(call.key, p);
    return p;
  }

  private remember(key: string): void {
    this.done.set(key, true);
    if (this.done.size > this.o.rememberKeys) this.done.delete(this.done.keys().next().value!);
  }

  private async attempts(call: ApiCall, deadline: number): Promise<CallOutcome> {
    let backoff = this.o.initialBackoffMs;
    let last: CallOutcome = { ok: false, retryable: true, error: 'not attempted' };
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (attempt > 1) {
        const wait = Math.min(backoff, this.o.maxBackoffMs) * (0.8 + Math.random() * 0.4);
        backoff *= 2;
        if (Date.now() + wait >= deadline) break;
        await new Promise((r) => setTimeout(r, wait));
        this.metrics.inc('jcode_watcher_analytics_calls_retried_total', { call: call.kind });
      }
      last = await this.once(call, Math.max(1, Math.min(this.o.attemptTimeoutMs, deadline - Date.now())));
      if (last.ok) {
        this.remember(call.key);
        this.metrics.inc('jcode_watcher_analytics_calls_sent_total', { call: call.kind });
        return last;
      }
      if (!last.retryable) {
        // The API will answer the same again: remember it as settled so a batch retry does not resend it.
        this.remember(call.key);
        this.metrics.inc('jcode_watcher_analytics_calls_failed_total', { call: call.kind, reason: 'rejected' });
        this.metrics.inc('jcode_watcher_analytics_records_dropped_total', { reason: 'api_rejected' });
        this.o.log?.('error', 'analytics API rejected a call; dropped', { call: call.kind, path: call.path, status: last.status, error: last.error });
        return last;
      }
      if (Date.now() >= deadline) break;
    }
    this.metrics.inc('jcode_watcher_analytics_calls_failed_total', { call: call.kind, reason: 'unavailable' });
    this.o.log?.('warn', 'analytics API unavailable; the Collector will retry the batch', { call: call.kind, path: call.path, error: !last.ok ? last.error : '' });
    return last;
  }

  private async once(call: ApiCall, timeoutMs: number): Promise<CallOutcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    try {
      const res = await fetch(`${this.o.baseUrl}${call.path}`, {
        method: 'POST', headers, body: JSON.stringify(call.body), signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text().catch(() => '');
      if (res.status >= 200 && res.status < 300) return { ok: true, duplicate: false };
      return { ok: false, retryable: RETRYABLE_STATUS.has(res.status), status: res.status, error: `HTTP ${res.status} ${text.slice(0, 300)}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { ok: false, retryable: true, error: `${e.name}: ${e.cause?.code ?? e.message}` };
    }
  }
}

export type { CallKind };
