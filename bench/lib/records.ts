// Reading the agent's local OTLP JSON output (logs.jsonl: one export request per line) without loading it whole.
import { createReadStream, existsSync } from 'node:fs';
import readline from 'node:readline';

export interface JsonRecord {
  eventName: string;
  attributes: Record<string, unknown>;
  observedTimeUnixNano?: string;
  timeUnixNano?: string;
}

function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  return undefined;
}

/** Calls `fn` for every log record in a logs.jsonl file. A line that does not contain `mustContain` is skipped unparsed. */
export async function forEachLogRecord(file: string, fn: (r: JsonRecord) => void, mustContain?: string): Promise<void> {
  if (!existsSync(file)) return;
  const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line || (mustContain && !line.includes(mustContain))) continue;
    let req: { resourceLogs?: { scopeLogs?: { logRecords?: Record<string, unknown>[] }[] }[] };
    try {
      req = JSON.parse(line);
    } catch {
      continue; // a line being written
    }
    for (const rl2 of req.resourceLogs ?? []) {
      for (const sl of rl2.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) {
          const attributes: Record<string, unknown> = {};
          for (const kv of (r.attributes as { key: string; value: Record<string, unknown> }[] | undefined) ?? []) attributes[kv.key] = anyValue(kv.value);
          fn({ eventName: String(r.eventName ?? attributes['event.name'] ?? ''), attributes, observedTimeUnixNano: r.observedTimeUnixNano as string, timeUnixNano: r.timeUnixNano as string });
        }
      }
    }
  }
}
