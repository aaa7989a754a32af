// The payment outbox: one row per associated order, charged by a worker that
// holds a lease (so two workers never charge the same order). The row and the
// order's final state are settled in one transaction.
import type { DB } from './db';
import type { Transitions } from './transitions';
import type { Clock, OrderReason, OrderRow } from './types';

export interface LeasedPayment {
  order: OrderRow;
  /** 1 for the first attempt */
  attempt: number;
}

export type Settlement =
  | { status: 'paid' }
  | { status: 'declined'; reason: OrderReason }
  | { status: 'failed'; reason: OrderReason };

interface OutboxRow {
  order_id: string;
  state: string;
  attempts: number;
  lease_owner: string | null;
}

export class PaymentOutbox {
  private readonly due;
  private readonly take;
  private readonly row;
  private readonly done;
  private readonly again;
  private readonly order;
  private readonly release;
  private readonly pending;
  private readonly oldest;
  private readonly next;

  constructor(
    private readonly db: DB,
    private readonly transitions: Transitions,
    private readonly clock: Clock,
  ) {
    this.due = db.prepare(
      `SELECT order_id FROM payment_outbox
       WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_attempt_at LIMIT ?`,
    );
    this.take = db.prepare(
      `UPDATE payment_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, started_at = COALESCE(started_at, ?)
       WHERE order_id = ? RETURNING attempts`,
    );
    this.row = db.prepare('SELECT order_id, state, attempts, lease_owner FROM payment_outbox WHERE order_id = ?');
    this.done = db.prepare(`UPDATE payment_outbox SET state = ?, lease_owner = NULL, lease_until = NULL, last_error = ? WHERE order_id = ?`);
    this.again = db.prepare(
      `UPDATE payment_outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, last_error = ? WHERE order_id = ?`,
    );
    this.order = db.prepare('SELECT * FROM orders WHERE id = ?');
    this.release = db.prepare(`UPDATE payment_outbox SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' AND lease_owner IS NOT NULL`);
    this.pending = db.prepare(`SELECT COUNT(*) FROM payment_outbox WHERE state = 'pending'`).pluck();
    this.oldest = db.prepare(`SELECT MIN(created_at) FROM payment_outbox WHERE state = 'pending'`).pluck();
    this.next = db
      .prepare(`SELECT MIN(next_attempt_at) FROM payment_outbox WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < ?)`)
      .pluck();
  }

  /** Leases up to `max` due payments to `owner` for `leaseMs`. */
  lease(owner: string, max: number, leaseMs: number): LeasedPayment[] {
    const now = this.clock();
    return this.transitions.tx(() => {
      const ids = this.due.pluck().all(now, now, max) as string[];
      return ids.map((id) => {
        const attempts = this.take.pluck().get(owner, now + leaseMs, now, id) as number;
        return { order: this.order.get(id) as OrderRow, attempt: attempts };
      });
    });
  }

  /**
   * Leases, charges and settles up to `max` due payments in ONE transaction,
   * for a driver that charges inside the database (`charge` runs in the
   * transaction; returning null leaves the payment for a later attempt).
   */
  processInTransaction(owner: string, max: number, charge: (order: OrderRow, attempt: number) => { settlement: Settlement; lastError?: string } | { retryAt: number; lastError: string }): OrderRow[] {
    const now = this.clock();
    return this.transitions.tx(() => {
      const ids = this.due.pluck().all(now, now, max) as string[];
      const settled: OrderRow[] = [];
      for (const id of ids) {
        const attempt = this.take.pluck().get(owner, now + 60_000, now, id) as number;
        const r = charge(this.order.get(id) as OrderRow, attempt);
        if ('retryAt' in r) {
          this.again.run(r.retryAt, r.lastError.slice(0, 500), id);
          continue;
        }
        const o = this.settle(id, owner, r.settlement, r.lastError ?? null);
        if (o) settled.push(o);
      }
      return settled;
    });
  }

  /** Final outcome of the charge: order and outbox in one transaction. Null if the lease was lost. */
  settle(orderId: string, owner: string, s: Settlement, lastError: string | null = null): OrderRow | null {
    return this.transitions.tx(() => {
      const r = this.row.get(orderId) as OutboxRow | undefined;
      if (!r || r.state !== 'pending' || r.lease_owner !== owner) return null;
      const o = this.order.get(orderId) as OrderRow;
      this.done.run(s.status === 'paid' ? 'done' : s.status, lastError, orderId);
      return this.transitions.apply(o, s.status, this.clock(), { reason: s.status === 'paid' ? null : s.reason });
    });
  }

  /** Gives the payment back for another attempt at `nextAt`. */
  retry(orderId: string, owner: string, nextAt: number, lastError: string): boolean {
    return this.transitions.tx(() => {
      const r = this.row.get(orderId) as OutboxRow | undefined;
      if (!r || r.state !== 'pending' || r.lease_owner !== owner) return false;
      this.again.run(nextAt, lastError.slice(0, 500), orderId);
      return true;
    });
  }

  /** At start (the database lock is ours): leases of a dead process are released. */
  releaseAll(): number {
    return this.release.run().changes;
  }

  pendingCount(): number {
    return this.pending.get() as number;
  }

  /** When the oldest pending row was created (ms since the epoch), or null when none is pending. */
  oldestPendingAt(): number | null {
    return (this.oldest.get() as number | null) ?? null;
  }

  /** When the next pending, unleased row is due (ms), or null. */
  nextDueAt(): number | null {
    return (this.next.get(this.clock()) as number | null) ?? null;
  }
}
