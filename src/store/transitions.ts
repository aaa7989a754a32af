// The one way an order changes state: in the caller's transaction, the order
// row, its event-feed row and its webhook outbox row are written together, so
// a crash never leaves a state change without its event or its notification.
import type { DB } from './db';
import { newEventId } from './ids';
import { FINAL_STATUSES } from '../client/types';
import type { OrderReason, OrderRow, OrderSnapshot, OrderStatus } from './types';

/** Which state may follow which (anything else is a bug). */
export const ALLOWED: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['identified', 'expired', 'cancelled'],
  // before the confirmation: expired, cancelled; after it (charge under way): the outcome
  identified: ['paid', 'declined', 'failed', 'conflict', 'expired', 'cancelled'],
  // a paid order may give money back, in parts or in full
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  declined: [],
  failed: [],
  expired: [],
  cancelled: [],
  conflict: [],
};

export interface TransitionChanges {
  reason?: OrderReason | null;
  msisdn?: string;
  imsi?: string | null;
  /** the confirmation time: the charge starts */
  confirmedAt?: number;
}

export type TransitionListener = (from: OrderStatus | null, to: OrderStatus, order: OrderRow) => void;

/** Runs inside the transaction of every change of an order (a transition, a confirmation, a capture). */
export type ChangeHook = (order: OrderRow) => void;

export function snapshotOf(o: OrderRow): OrderSnapshot {
  return {
    id: o.id,
    sp_id: o.sp_id,
    token: o.token,
    pay_url: o.pay_url,
    amount: o.amount,
    currency: o.currency,
    reference: o.reference,
    description: o.description,
    status: o.status,
    reason: o.reason,
    msisdn: o.msisdn,
    created_at: o.created_at,
    updated_at: o.updated_at,
    expires_at: o.expires_at,
    identified_at: o.identified_at,
    confirmed_at: o.confirmed_at,
    completed_at: o.completed_at,
    return_url: o.return_url,
    refunded_amount: o.refunded_amount,
  };
}

export class Transitions {
  private readonly update;
  private readonly insertEvent;
  private readonly insertWebhook;
  private readonly setConfirmed;
  readonly listeners: TransitionListener[] = [];
  /** hooks that write more rows in the same transaction as the change (CAMARA sink notifications) */
  readonly inTx: ChangeHook[] = [];
  private emitted: Array<[OrderStatus | null, OrderStatus, OrderRow]> = [];

  constructor(private readonly db: DB) {
    this.update = db.prepare(
      `UPDATE orders SET status = ?, reason = ?, msisdn = ?, imsi = ?, identified_at = ?, confirmed_at = ?, completed_at = ?, updated_at = ?
       WHERE id = ? AND status = ?`,
    );
    this.setConfirmed = db.prepare(
      `UPDATE orders SET msisdn = ?, imsi = ?, confirmed_at = ?, updated_at = ? WHERE id = ? AND status = 'identified' AND confirmed_at IS NULL`,
    );
    this.insertEvent = db.prepare(
      `INSERT INTO events (id, sp_id, order_id, status, previous_status, time, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertWebhook = db.prepare(
      `INSERT INTO webhook_outbox (event_seq, sp_id, order_id, next_attempt_at, created_at)
       SELECT ?, id, ?, ?, ? FROM sps WHERE id = ? AND webhook_url IS NOT NULL AND revoked_at IS NULL`,
    );
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction (a savepoint when nested); listeners
   * hear of the transitions only once the outermost transaction has committed.
   */
  tx<T>(fn: () => T): T {
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (err) {
      if (!this.db.inTransaction) this.emitted = [];
      throw err;
    }
    if (!this.db.inTransaction) {
      const done = this.emitted;
      this.emitted = [];
      for (const [from, to, o] of done) for (const l of this.listeners) l(from, to, o);
    }
    return result;
  }

  /** Records the creation of an order (state `pending`): event + webhook. */
  created(order: OrderRow): void {
    this.record(order, null);
  }

  /** Moves `order` to `to` (must be called inside a transaction); returns the new row. */
  apply(order: OrderRow, to: OrderStatus, now: number, changes: TransitionChanges = {}): OrderRow {
    if (!ALLOWED[order.status].includes(to))
      throw new Error(`illegal transition ${order.status} -> ${to} of ${order.id}`);
    const next: OrderRow = {
      ...order,
      status: to,
      reason: changes.reason !== undefined ? changes.reason : order.reason,
      msisdn: changes.msisdn ?? order.msisdn,
      imsi: changes.imsi !== undefined ? changes.imsi : order.imsi,
      identified_at: to === 'identified' ? now : order.identified_at,
      confirmed_at: changes.confirmedAt ?? order.confirmed_at,
      // the payment's completion: when it reached its outcome (a refund later keeps it)
      completed_at: order.completed_at ?? (FINAL_STATUSES.includes(to) ? now : null),
      updated_at: now,
    };
    const r = this.update.run(
      next.status,
      next.reason,
      next.msisdn,
      next.imsi,
      next.identified_at,
      next.confirmed_at,
      next.completed_at,
      next.updated_at,
      order.id,
      order.status,
    );
    if (r.changes !== 1) throw new Error(`order ${order.id} is no longer ${order.status}`);
    this.record(next, order.status);
    return next;
  }

  /**
   * Records the confirmation of an identified order by `msisdn` (the charge
   * starts): no state change, so no event; the outcome follows as one.
   * Returns the new row, or null when the order is no longer identified and
   * unconfirmed (someone else confirmed first, it expired, was cancelled).
   */
  confirm(order: OrderRow, msisdn: string, imsi: string | null, now: number): OrderRow | null {
    const r = this.setConfirmed.run(msisdn, imsi, now, now, order.id);
    if (r.changes !== 1) return null;
    return { ...order, msisdn, imsi, confirmed_at: now, updated_at: now };
  }

  private record(order: OrderRow, previous: OrderStatus | null): void {
    const ev = this.insertEvent.run(
      newEventId(),
      order.sp_id,
      order.id,
      order.status,
      previous,
      order.updated_at,
      JSON.stringify(snapshotOf(order)),
    );
    this.insertWebhook.run(ev.lastInsertRowid, order.id, order.updated_at, order.updated_at, order.sp_id);
    this.emitted.push([previous, order.status, order]);
    this.changed(order);
  }

  /** A change without a state change (a confirmation, a capture): the in-transaction hooks hear of it. */
  changed(order: OrderRow): void {
    for (const h of this.inTx) h(order);
  }
}
