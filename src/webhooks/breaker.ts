// A circuit breaker per webhook endpoint (scheme, host and port): after
// `failures` failures in a row the endpoint is left alone for a while (open),
// then one delivery probes it (half-open); a success closes it, a failure
// opens it again for twice as long (up to maxMs). An endpoint that hangs or
// fails thus costs one probe per period instead of a slot per webhook.
export interface BreakerOptions {
  /** failures in a row that open the breaker */
  failures: number;
  /** how long it stays open the first time (ms); doubled on each failed probe */
  baseMs: number;
  maxMs: number;
}

interface State {
  failures: number;
  opens: number;
  openUntil: number | null;
  probing: boolean;
}

export type BreakerEvent = 'opened' | 'closed';

export class Breakers {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly o: BreakerOptions,
    private readonly clock: () => number,
    private readonly onChange?: (endpoint: string, event: BreakerEvent, openMs?: number) => void,
  ) {}

  private get(endpoint: string): State {
    let s = this.states.get(endpoint);
    if (!s) this.states.set(endpoint, (s = { failures: 0, opens: 0, openUntil: null, probing: false }));
    return s;
  }

  /** May a delivery to `endpoint` start now? (Half-open: one probe at a time, which this call takes.) */
  allow(endpoint: string): boolean {
    const s = this.states.get(endpoint);
    if (!s || s.openUntil === null) return true;
    if (this.clock() < s.openUntil || s.probing) return false;
    s.probing = true;
    return true;
  }

  /** How many deliveries `endpoint` may have at once: none while open, one probe when half-open. */
  capacity(endpoint: string, normal: number): number {
    const s = this.states.get(endpoint);
    if (!s || s.openUntil === null) return normal;
    return this.clock() >= s.openUntil && !s.probing ? 1 : 0;
  }

  success(endpoint: string): void {
    const s = this.states.get(endpoint);
    if (!s) return;
    const wasOpen = s.openUntil !== null;
    this.states.delete(endpoint);
    if (wasOpen) this.onChange?.(endpoint, 'closed');
  }

  failure(endpoint: string): void {
    const s = this.get(endpoint);
    s.failures++;
    const probe = s.probing;
    s.probing = false;
    if (probe || (s.openUntil === null && s.failures >= this.o.failures)) {
      const ms = Math.min(this.o.maxMs, this.o.baseMs * 2 ** Math.min(s.opens, 30));
      s.opens++;
      s.openUntil = this.clock() + ms;
      this.onChange?.(endpoint, 'opened', ms);
    }
  }

  /** A probe that ended without an answer either way (shutdown): the endpoint may be probed again. */
  release(endpoint: string): void {
    const s = this.states.get(endpoint);
    if (s) s.probing = false;
  }

  isOpen(endpoint: string): boolean {
    const s = this.states.get(endpoint);
    return !!s && s.openUntil !== null;
  }

  /** Endpoints open or half-open now. */
  openCount(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.openUntil !== null) n++;
    return n;
  }

  /** When the first open breaker may be probed (ms), or null. */
  nextProbeAt(): number | null {
    let next: number | null = null;
    for (const s of this.states.values())
      if (s.openUntil !== null && !s.probing && (next === null || s.openUntil < next)) next = s.openUntil;
    return next;
  }
}

/** The endpoint of a webhook URL: scheme, host and port, never the credentials or the path. */
export function endpointOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
