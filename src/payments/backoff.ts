// Exponential backoff with jitter, bounded: attempt n waits between half and
// all of min(maxMs, baseMs * 2^(n-1)).
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export function backoffMs(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(cap / 2 + random() * (cap / 2));
}
