// Binding tokens to subscribers: every sighting of a batch in ONE transaction.
// Rules (issue 3): a token counts only from a resolved subscriber, only while
// valid, only once; a second MSISDN before the charge started -> conflict;
// unknown / expired / used tokens are kept for audit, never charged; per-MSISDN
// limits decline. A sighting is identified by source|ts|packet|token: replaying
// the same capture after a crash finds it recorded and changes nothing.
import type { SightingEvent } from '../native/types';
import type { DB } from './db';
import type { OrderRepo } from './orders';
import type { Transitions } from './transitions';
import type { OrderRow, SightingOutcome } from './types';

export interface PerMsisdnLimits {
  /** most minor units associated or paid per MSISDN in 24 hours */
  amountPerDay?: number | null;
  /** most orders associated or paid per MSISDN in one hour */
  ordersPerHour?: number | null;
}

export interface AssociateContext {
  now: number;
  /** where the sightings come from ("live", or the replayed files) */
  sourceId: string;
  limits?: PerMsisdnLimits;
}

export interface SightingResult {
  outcome: SightingOutcome;
  orderId: string | null;
  /** true when this sighting had been processed before (replay): nothing changed */
  replayed: boolean;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

export function normalizeMsisdn(m: string): string {
  return m.startsWith('+') ? m.slice(1) : m;
}

export class Associator {
  private readonly seen;
  private readonly insert;
  private readonly payment;
  private readonly enqueue;
  private readonly cancelPayment;
  private readonly amountSince;
  private readonly countSince;
  private readonly prune;

  constructor(
    db: DB,
    private readonly orders: OrderRepo,
    private readonly transitions: Transitions,
  ) {
    this.seen = db.prepare('SELECT 1 FROM sightings WHERE source_key = ?');
    this.insert = db.prepare(
      `INSERT INTO sightings (source_key, seen_at, ts, packet, token, carrier, via, msisdn, imsi, imei, apn, ue_ip, teid,
                              resolved_by, outcome, order_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.payment = db.prepare('SELECT state, started_at FROM payment_outbox WHERE order_id = ?');
    this.enqueue = db.prepare('INSERT INTO payment_outbox (order_id, next_attempt_at, created_at) VALUES (?, ?, ?)');
    this.cancelPayment = db.prepare(`UPDATE payment_outbox SET state = 'cancelled' WHERE order_id = ?`);
    const active = `msisdn = ? AND associated_at > ? AND status IN ('associated', 'paid')`;
    this.amountSince = db.prepare(`SELECT COALESCE(SUM(amount), 0) AS n FROM orders WHERE ${active}`).pluck();
    this.countSince = db.prepare(`SELECT COUNT(*) AS n FROM orders WHERE ${active}`).pluck();
    this.prune = db.prepare(
      'DELETE FROM sightings WHERE id IN (SELECT id FROM sightings WHERE order_id IS NULL AND seen_at < ? ORDER BY seen_at LIMIT ?)',
    );
  }

  /**
   * Deletes up to `limit` sightings seen before `before` that matched no order
   * (unknown tokens: the audit trail of guesses and noise, and personal data
   * kept no longer than needed). Sightings of an order stay with the order.
   * Returns how many were deleted; call again while it returns `limit`.
   */
  pruneUnlinked(before: number, limit = 5000): number {
    return this.prune.run(before, limit).changes;
  }

  /** Processes a batch of sightings in one transaction; one result per sighting, in order. */
  process(sightings: readonly SightingEvent[], ctx: AssociateContext): SightingResult[] {
    return this.transitions.tx(() => sightings.map((s) => this.one(s, ctx)));
  }

  private one(s: SightingEvent, ctx: AssociateContext): SightingResult {
    // The identity of a sighting within a source, so that a replay after a crash
    // is recognised: packet indexes restart in each file of a multi-file run, so
    // the tunnel and UE address are part of it (two files written in the same
    // microsecond must not hide each other's sightings).
    const key = `${ctx.sourceId}|${s.ts}|${s.packet}|${s.token}|${s.teid}|${s.ueIp}`;
    if (this.seen.get(key)) return { outcome: 'duplicate', orderId: null, replayed: true };
    const msisdn = s.msisdn === null ? null : normalizeMsisdn(s.msisdn);
    const order = this.orders.findByToken(s.token);
    const outcome = this.decide(order, msisdn, s, ctx);
    this.insert.run(
      key,
      ctx.now,
      s.ts,
      s.packet,
      s.token,
      s.carrier,
      s.via,
      msisdn,
      s.imsi,
      s.imei,
      s.apn,
      s.ueIp,
      s.teid,
      s.resolvedBy,
      outcome,
      order?.id ?? null,
    );
    return { outcome, orderId: order?.id ?? null, replayed: false };
  }

  private decide(found: OrderRow | null, msisdn: string | null, s: SightingEvent, ctx: AssociateContext): SightingOutcome {
    if (!found) return 'unknown';
    if (msisdn === null) return 'unresolved';
    const order = this.orders.expireIfDue(found, ctx.now);
    switch (order.status) {
      case 'pending': {
        const associated = this.transitions.apply(order, 'associated', ctx.now, { msisdn, imsi: s.imsi });
        const reason = this.limitReason(msisdn, ctx);
        if (reason) {
          this.transitions.apply(associated, 'declined', ctx.now, { reason });
          return 'declined';
        }
        this.enqueue.run(order.id, ctx.now, ctx.now);
        return 'associated';
      }
      case 'associated': {
        if (order.msisdn === msisdn) return 'duplicate';
        const p = this.payment.get(order.id) as { state: string; started_at: number | null };
        if (p.started_at !== null) return 'used'; // the charge is under way: too late to call it a conflict
        this.cancelPayment.run(order.id);
        this.transitions.apply(order, 'conflict', ctx.now, { reason: 'TOKEN_CONFLICT' });
        return 'conflict';
      }
      case 'expired':
        return 'expired';
      case 'cancelled':
        return 'cancelled';
      case 'conflict':
        return 'conflict';
      default: // paid, declined, failed
        return order.msisdn === msisdn ? 'duplicate' : 'used';
    }
  }

  private limitReason(msisdn: string, ctx: AssociateContext) {
    const l = ctx.limits ?? {};
    // the sums include this order itself (it is `associated` now)
    if (l.amountPerDay != null && (this.amountSince.get(msisdn, ctx.now - DAY) as number) > l.amountPerDay) {
      return 'LIMIT_AMOUNT_PER_DAY' as const;
    }
    if (l.ordersPerHour != null && (this.countSince.get(msisdn, ctx.now - HOUR) as number) > l.ordersPerHour) {
      return 'LIMIT_ORDERS_PER_HOUR' as const;
    }
    return null;
  }
}
