// The work a replay (`gnpay run --read … --exit-when-done`) waits for before
// it exits: the charges and webhooks of the orders whose tokens its capture
// carried (sightings recorded by an earlier, interrupted run of the same
// capture included), and nothing else in the database: other SPs' webhooks
// owed for hours do not hold it. An order is done when its charge is settled
// (or in doubt after every attempt it is owed: visible, asked again by the
// next daemon) and none of its webhooks is pending.
import type { SightingEvent } from '../native/types';
import type { Store } from '../store';
import type { SightingResult } from '../store/associate';

export class ReplayWork {
  private readonly open = new Set<string>();
  private readonly doubtful = new Set<string>();
  private seen = 0;

  constructor(
    private readonly store: Store,
    private readonly maxAttempts: number,
  ) {}

  /**
   * Notes the orders whose tokens a batch's sightings carry, once the batch
   * is stored (`results[i]`: what sightings[i] came to, null when it could
   * not be processed). A result names its order when the sighting was
   * matched; an "unknown" one found no order when it was stored; the others
   * (replayed, rate-limited, failed) are looked up by token.
   */
  note(sightings: readonly SightingEvent[], results: readonly (SightingResult | null)[]): void {
    sightings.forEach((s, i) => {
      const r = results[i];
      if (r?.outcome === 'unknown') return;
      const id = r?.orderId ?? this.store.orders.findByToken(s.token)?.id;
      if (id !== undefined && !this.open.has(id)) {
        this.open.add(id);
        this.seen++;
      }
    });
  }

  /** Orders of the replay. */
  get orders(): number {
    return this.seen;
  }

  /** Looks at up to `max` orders still open; returns how many are open. */
  check(max = 500): number {
    let n = 0;
    for (const id of this.open) {
      if (n++ >= max) break;
      const pay = this.store.payments.status(id);
      const charged = pay === null || !pay.pending;
      const doubtful = pay !== null && pay.pending && pay.doubtSince !== null && pay.attempts >= this.maxAttempts;
      if (!charged && !doubtful) continue;
      if (this.store.webhooks.hasPending(id)) continue;
      this.open.delete(id);
      if (doubtful) this.doubtful.add(id);
    }
    return this.open.size;
  }

  /** Orders left in doubt (their charge's outcome still unknown after every attempt it was owed). */
  inDoubt(): string[] {
    return [...this.doubtful].filter((id) => this.store.payments.status(id)?.pending === true);
  }
}
