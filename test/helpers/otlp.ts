// Reads the agent's OTLP JSON lines back into flat records, the way a user's tooling would.
import { existsSync, readFileSync } from 'node:fs';

type AnyValue = { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number; arrayValue?: { values: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

export function anyValue(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue;
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return v.arrayValue!.values.map(anyValue);
  return undefined;
}

export function attrs(kvs: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

export interface LogRow {
  eventName: string;
  body: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** Parse logs.jsonl; throws if a line is not an OTLP ExportLogsServiceRequest. */
export function readLogs(file: string): LogRow[] {
  if (!existsSync(file)) return [];
  const rows: LogRow[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const req = JSON.parse(line) as { resourceLogs: { resource: { attributes: KeyValue[] }; scopeLogs: { logRecords: { eventName: string; body?: AnyValue; timeUnixNano: string; attributes: KeyValue[] }[] }[] }[] };
    if (!Array.isArray(req.resourceLogs)) throw new Error(`not an OTLP logs request: ${line.slice(0, 100)}`);
    for (const rl of req.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const lr of sl.logRecords) {
          rows.push({ eventName: lr.eventName, body: String(anyValue(lr.body) ?? ''), timeUnixNano: lr.timeUnixNano, attributes: attrs(lr.attributes), resource: attrs(rl.resource.attributes) });
        }
      }
    }
  }
  return rows;
}

export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
