// The sandbox: an SP marked test (gnpay sp add --test) builds against gnpay
// without a phone on a live network. Its orders are sandbox orders: no
// sighting or pay-page visit finds them (OrderRepo.findByToken), they count in
// no subscriber's limits, and the payment worker settles them without calling
// the platform. simulate() plays the subscriber through the very paths a real
// one takes (identification, confirmation or a one-step sighting's
// confirmation, the payment outbox, expiry), so the SP gets the same state
// changes, events, webhooks and CAMARA notifications as from a real order.
import type { Binding } from './bindings';
import type { ConsentLimits } from './consent';
import type { DB } from './db';
import { DomainError } from './errors';
import { isOpen, type OrderRepo } from './orders';
import type { Consent } from './consent';
import type { Transitions } from './transitions';
import type { Clock, OrderRow, SandboxState, Sp } from './types';

export const SIMULATED_OUTCOMES = ['paid', 'declined', 'expired'] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

/** The subscriber a simulation uses when the SP names none (a number no network assigns: country code 999 is reserved by the ITU). */
export const SANDBOX_MSISDN = '999000000001';

/** What the simulated platform answers for a sandbox order's charge (or refund). */
export function sandboxAnswer(
  o: OrderRow,
): { outcome: 'succeeded' } | { outcome: 'declined'; reason: 'PLATFORM_DECLINED'; detail: string } {
  return o.sandbox === 'declined'
    ? { outcome: 'declined', reason: 'PLATFORM_DECLINED', detail: 'sandbox: simulated decline' }
    : { outcome: 'succeeded' };
}

export class Sandbox {
  private readonly setState;

  constructor(
    db: DB,
    private readonly orders: OrderRepo,
    private readonly consent: Consent,
    private readonly transitions: Transitions,
    private readonly clock: Clock,
  ) {
    this.setState = db.prepare('UPDATE orders SET sandbox = ? WHERE id = ? AND sandbox IS NOT NULL');
  }

  /**
   * Plays the subscriber of the test SP's order `id`:
   *   paid      a subscriber (`msisdn`, else SANDBOX_MSISDN) is identified and
   *             confirms (on the pay page, or by a sighting for an SP in
   *             one-step mode); the charge goes through the payment outbox and
   *             succeeds. A held order (CAMARA two-step) is reserved: the SP's
   *             confirm charges it.
   *   declined  the same, and the simulated platform declines the charge.
   *   expired   the order expires now.
   * The per-transaction limit applies as for a real subscriber (a decline).
   * Returns the order as it is after it.
   */
  simulate(sp: Sp, id: string, outcome: SimulatedOutcome, msisdn: string | undefined, limits: ConsentLimits): OrderRow {
    if (!sp.test)
      throw new DomainError(
        'TEST_KEY_REQUIRED',
        'only a test API key (an SP added with gnpay sp add --test) may simulate',
      );
    const number = msisdn === undefined ? SANDBOX_MSISDN : msisdn.replace(/^\+/, '');
    return this.transitions.tx(() => {
      const o = this.orders.get(sp.id, id);
      if (o.sandbox === null) throw new DomainError('NOT_FOUND', `no order ${id}`);
      if (!isOpen(o) || (o.confirmed_at !== null && outcome !== 'expired')) {
        throw new DomainError(
          'ORDER_NOT_OPEN',
          `order ${id} is ${o.status}${o.confirmed_at !== null ? ' and confirmed' : ''}: nothing left to simulate`,
        );
      }
      const now = this.clock();
      if (outcome === 'expired') return this.transitions.apply(o, 'expired', now);
      this.setState.run(outcome satisfies SandboxState, o.id);
      const fresh = this.orders.find(o.id)!;
      const s = { via: 'sandbox simulate', ts: new Date(now).toISOString() };
      if (sp.confirmation === 'none') {
        this.consent.confirmBySighting(fresh, number, null, s, limits, now);
        return this.orders.find(o.id)!;
      }
      const binding: Binding = {
        random: '',
        seenAt: now,
        ts: s.ts,
        sni: 'sandbox',
        msisdn: number,
        imsi: null,
        ueIp: null,
        teid: 0,
        gsnSrc: null,
        gsnDst: null,
      };
      const ctx = { binding, userAgent: 'gnpay sandbox' };
      this.consent.identify(fresh, ctx);
      return this.consent.confirm(fresh, ctx, limits).order;
    });
  }
}
