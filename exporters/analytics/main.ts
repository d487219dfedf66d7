// Analytics API bridge entry point.
//
//   tsx exporters/analytics/main.ts --listen 127.0.0.1:4319 --api http://watcher-backend-service.watcher.svc.cluster.local:3000
//
// Options (flags win over environment variables):
//   --listen HOST:PORT     JCW_ANALYTICS_LISTEN     default 127.0.0.1:4319 (port 0 = any free port; the chosen
//                                                  address is printed on stdout as `listening http://HOST:PORT`)
//   --api URL              JCW_ANALYTICS_API_URL    Analytics API base URL (required)
//   --token-file FILE      JCW_ANALYTICS_TOKEN      bearer token (file contents, or the variable's value)
//   --time-zone ZONE       JCW_ANALYTICS_TIME_ZONE  zone the API timestamps are written in, default UTC
//   --request-budget-ms N                           retries within one Collector request, default 20000
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBridge, stderrLog } from './server.ts';

function fail(msg: string): never {
  process.stderr.write(`analytics-bridge: ${msg}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    api: { type: 'string' },
    'token-file': { type: 'string' },
    'time-zone': { type: 'string' },
    'request-budget-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write('usage: analytics-bridge --listen HOST:PORT --api URL [--token-file FILE] [--time-zone ZONE] [--request-budget-ms N]\n');
  process.exit(0);
}

const listen = values.listen ?? process.env.JCW_ANALYTICS_LISTEN ?? '127.0.0.1:4319';
const m = /^(.*):(\d+)$/.exec(listen);
if (!m) fail(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
const port = Number(m[2]);

const api = values.api ?? process.env.JCW_ANALYTICS_API_URL;
if (!api) fail('--api URL (or JCW_ANALYTICS_API_URL) is required');
try { new URL(api); } catch { fail(`--api is not a URL: ${api}`); }

const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : process.env.JCW_ANALYTICS_TOKEN || undefined;
const timeZone = values['time-zone'] ?? process.env.JCW_ANALYTICS_TIME_ZONE ?? 'UTC';
try { new Intl.DateTimeFormat('en', { timeZone }); } catch { fail(`unknown time zone ${timeZone}`); }
const budget = values['request-budget-ms'] ? Number(values['request-budget-ms']) : undefined;
if (budget !== undefined && !(budget > 0)) fail('--request-budget-ms must be a positive number');

const bridge = await startBridge({ host, port, baseUrl: api, token, timeZone, requestBudgetMs: budget, log: stderrLog });
process.stdout.write(`listening ${bridge.url}\n`);

let stopping = false;
const stop = (sig: string) => {
  if (stopping) return;
  stopping = true;
  stderrLog('info', 'stopping', { signal: sig });
  const t = setTimeout(() => process.exit(0), 25_000);
  t.unref();
  void bridge.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
