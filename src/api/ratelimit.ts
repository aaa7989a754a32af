// Token buckets per key: `perMinute` requests, refilled continuously, bursts up to `perMinute`.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Takes one token; when none is left, how many seconds until one is. */
  take(key: string, perMinute: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.clock();
    const rate = perMinute / 60_000; // tokens per ms
    const b = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)) };
  }
}
