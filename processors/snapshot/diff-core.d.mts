export function estimate(oldText: string, newText: string): { added: number; removed: number };
export function unifiedDiff(
  name: string,
  oldText: string,
  newText: string,
  timeoutMs: number,
  maxEditLength?: number,
): { truncated: false; diff: string; added: number; removed: number } | undefined;
