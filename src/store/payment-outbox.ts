// The payment outbox: one row per associated order, charged by a worker that
// holds a lease (so two workers never charge the same order). The row and the
// order's final state are settled in one transaction.
//
// Money is never in doubt without it showing: an attempt whose outcome is not
// known (a timeout, a reset, a 5xx, a process killed while its request was out)
// marks the row `doubt_since`, which only a definite answer (or an operator
// who checked with the platform) clears: such an order is never declared
// failed; it stays pending here, and is listed by `gnpay payments doubt`.
import type { DB } from './db';
import { DomainError } from './errors';
import { isOpen } from './orders';
import type { Transitions } from './transitions';
import type { Clock, OrderReason, OrderRow } from './types';

export interface LeasedPayment {
  order: OrderRow;
  /** 1 for the first attempt */
  attempt: number;
  /** since when an earlier attempt's outcome is unknown (ms), or null */
  doubtSince: number | null;
}

export type Settlement =
  { status: 'paid' } | { status: 'declined'; reason: OrderReason } | { status: 'failed'; reason: OrderReason };

export interface DoubtfulPayment {
  orderId: string;
  spId: string;
  amount: number;
  currency: string;
  msisdn: string | null;
  attempts: number;
  doubtSince: number;
  /** what made it doubtful (the first unknown outcome) */
  doubtError: string | null;
  lastError: string | null;
  nextAttemptAt: number;
  /** an attempt is under way now */
  leased: boolean;
}

interface OutboxRow {
  order_id: string;
  state: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  doubt_since: number | null;
}

export class PaymentOutbox {
  private readonly due;
  private readonly take;
  private readonly row;
  private readonly done;
  private readonly again;
  private readonly order;
  private readonly drop;
  private readonly release;
  private readonly pending;
  private readonly oldest;
  private readonly next;
  private readonly doubtful;
  private readonly doubtStats;

  constructor(
    db: DB,
    private readonly transitions: Transitions,
    private readonly clock: Clock,
  ) {
    // a leased row is not due until its lease ends (next_attempt_at = the lease's end): one index range
    this.due = db
      .prepare(
        `SELECT order_id FROM payment_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
      )
      .pluck();
    // a row still leased when its lease ran out: that attempt's outcome was never recorded (its
    // answer could not be written, or its worker hung): unknown, so the payment is in doubt
    this.take = db.prepare(
      `UPDATE payment_outbox SET
         doubt_error = CASE WHEN lease_owner IS NOT NULL AND doubt_since IS NULL THEN 'the outcome of an earlier attempt was never recorded' ELSE doubt_error END,
         doubt_since = CASE WHEN lease_owner IS NOT NULL THEN COALESCE(doubt_since, ?) ELSE doubt_since END,
         lease_owner = ?, lease_until = ?, next_attempt_at = ?, attempts = attempts + 1, started_at = COALESCE(started_at, ?)
       WHERE order_id = ? RETURNING attempts, doubt_since`,
    );
    this.row = db.prepare(
      'SELECT order_id, state, attempts, lease_owner, lease_until, doubt_since FROM payment_outbox WHERE order_id = ?',
    );
    this.done = db.prepare(
      `UPDATE payment_outbox SET state = ?, lease_owner = NULL, lease_until = NULL, last_error = ? WHERE order_id = ?`,
    );
    this.again = db.prepare(
      `UPDATE payment_outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, last_error = ?,
         doubt_since = CASE WHEN ? THEN COALESCE(doubt_since, ?) ELSE doubt_since END,
         doubt_error = CASE WHEN ? AND doubt_since IS NULL THEN ? ELSE doubt_error END
       WHERE order_id = ?`,
    );
    this.order = db.prepare('SELECT * FROM orders WHERE id = ?');
    // a queued charge that no attempt has started, of an order that may not be charged (any more): nothing
    // was sent, so nothing remains to settle (a held order's SP may still capture it, which queues it again)
    this.drop = db.prepare(
      `DELETE FROM payment_outbox WHERE order_id = ? AND state = 'pending' AND started_at IS NULL`,
    );
    // the process that held these leases died: their attempts may have reached the platform
    this.release = db.prepare(
      `UPDATE payment_outbox SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?,
         doubt_error = CASE WHEN doubt_since IS NULL THEN 'the process charging it stopped during the attempt' ELSE doubt_error END,
         doubt_since = COALESCE(doubt_since, ?)
       WHERE state = 'pending' AND lease_owner IS NOT NULL`,
    );
    this.pending = db.prepare(`SELECT COUNT(*) FROM payment_outbox WHERE state = 'pending'`).pluck();
    this.oldest = db.prepare(`SELECT MIN(created_at) FROM payment_outbox WHERE state = 'pending'`).pluck();
    this.next = db
      .prepare(`SELECT next_attempt_at FROM payment_outbox WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1`)
      .pluck();
    this.doubtful = db.prepare(
      `SELECT p.order_id AS orderId, o.sp_id AS spId, o.amount, o.currency, o.msisdn, p.attempts, p.doubt_since AS doubtSince,
              p.doubt_error AS doubtError, p.last_error AS lastError, p.next_attempt_at AS nextAttemptAt,
              (p.lease_owner IS NOT NULL AND p.lease_until >= ?) AS leased
       FROM payment_outbox p JOIN orders o ON o.id = p.order_id
       WHERE p.state = 'pending' AND p.doubt_since IS NOT NULL ORDER BY p.doubt_since LIMIT ?`,
    );
    this.doubtStats = db.prepare(
      `SELECT COUNT(*) AS n, MIN(doubt_since) AS oldest FROM payment_outbox WHERE state = 'pending' AND doubt_since IS NOT NULL`,
    );
  }

  /** Leases up to `max` due payments to `owner` for `leaseMs`. */
  lease(owner: string, max: number, leaseMs: number): LeasedPayment[] {
    const now = this.clock();
    return this.transitions.tx(() => {
      const ids = this.due.all(now, max) as string[];
      const leased: LeasedPayment[] = [];
      for (const id of ids) {
        const p = this.takeUnlessDropped(id, owner, now, leaseMs);
        if (p) leased.push(p);
      }
      return leased;
    });
  }

  /**
   * Leases a due payment, or drops it (null): a charge is made only for an
   * order that is identified and confirmed, and, when held (CAMARA two-step),
   * captured by its SP. A queued charge of any other order is removed if no
   * attempt has started; one that has started is leased as before (its outcome
   * may be anything, and only the platform can say).
   */
  private takeUnlessDropped(id: string, owner: string, now: number, leaseMs: number): LeasedPayment | null {
    const o = this.order.get(id) as OrderRow;
    if (!chargeable(o) && this.drop.run(id).changes === 1) return null;
    const t = this.take.get(now, owner, now + leaseMs, now + leaseMs, now, id) as {
      attempts: number;
      doubt_since: number | null;
    };
    return { order: o, attempt: t.attempts, doubtSince: t.doubt_since };
  }

  /**
   * Leases, charges and settles up to `max` due payments in ONE transaction,
   * for a driver that charges inside the database (`charge` runs in the
   * transaction; a retry leaves the payment for a later attempt).
   */
  processInTransaction(
    owner: string,
    max: number,
    charge: (
      order: OrderRow,
      attempt: number,
      doubtSince: number | null,
    ) => { settlement: Settlement; lastError?: string } | { retryAt: number; lastError: string },
  ): OrderRow[] {
    const now = this.clock();
    return this.transitions.tx(() => {
      const ids = this.due.all(now, max) as string[];
      const settled: OrderRow[] = [];
      for (const id of ids) {
        const p = this.takeUnlessDropped(id, owner, now, 60_000);
        if (!p) continue;
        const r = charge(p.order, p.attempt, p.doubtSince);
        if ('retryAt' in r) {
          this.again.run(r.retryAt, r.lastError.slice(0, 500), 0, null, 0, null, id);
          continue;
        }
        const o = this.settle(id, owner, r.settlement, r.lastError ?? null);
        if (o) settled.push(o);
      }
      return settled;
    });
  }

  /**
   * Final outcome of the charge: order and outbox in one transaction. Null if
   * the lease was lost. `attempt` (the leased attempt's number): also null when
   * the payment was leased again since, even by the same owner (an attempt
   * that outlived its lease must not settle over the one after it).
   */
  settle(
    orderId: string,
    owner: string,
    s: Settlement,
    lastError: string | null = null,
    attempt?: number,
  ): OrderRow | null {
    return this.transitions.tx(() => {
      const r = this.row.get(orderId) as OutboxRow | undefined;
      if (!this.holds(r, owner, attempt)) return null;
      return this.settleRow(orderId, s, lastError);
    });
  }

  private holds(r: OutboxRow | undefined, owner: string, attempt: number | undefined): r is OutboxRow {
    return !!r && r.state === 'pending' && r.lease_owner === owner && (attempt === undefined || r.attempts === attempt);
  }

  private settleRow(orderId: string, s: Settlement, lastError: string | null): OrderRow {
    const o = this.order.get(orderId) as OrderRow;
    this.done.run(s.status === 'paid' ? 'done' : s.status, lastError, orderId);
    return this.transitions.apply(o, s.status, this.clock(), { reason: s.status === 'paid' ? null : s.reason });
  }

  /**
   * Gives the payment back for another attempt at `nextAt`. `unknown`: this
   * attempt may have charged (timeout, reset, 5xx): the payment is in doubt
   * until a definite answer. False, as settle() null, when the lease was lost.
   */
  retry(orderId: string, owner: string, nextAt: number, lastError: string, unknown = false, attempt?: number): boolean {
    return this.transitions.tx(() => {
      const r = this.row.get(orderId) as OutboxRow | undefined;
      if (!this.holds(r, owner, attempt)) return false;
      const err = lastError.slice(0, 500);
      this.again.run(nextAt, err, unknown ? 1 : 0, this.clock(), unknown ? 1 : 0, err, orderId);
      return true;
    });
  }

  /**
   * At start (the database lock is ours): leases of a dead process are
   * released; the attempts they covered may have reached the platform, so
   * those payments are in doubt until a definite answer.
   */
  releaseAll(): number {
    const now = this.clock();
    return this.release.run(now, now).changes;
  }

  /** Every pending payment (a count over the backlog: for tests and tools, not for loops). */
  pendingCount(): number {
    return this.pending.get() as number;
  }

  /** When the oldest pending row was created (ms since the epoch), or null when none is pending. */
  oldestPendingAt(): number | null {
    return (this.oldest.get() as number | null) ?? null;
  }

  /** When the next pending payment is due (ms; a leased one: when its lease ends), or null. */
  nextDueAt(): number | null {
    return (this.next.get() as number | undefined) ?? null;
  }

  /** Whether the order's charge is settled (or was never queued). */
  isSettled(orderId: string): boolean {
    const r = this.row.get(orderId) as OutboxRow | undefined;
    return !r || r.state !== 'pending';
  }

  /** The order's payment row: attempts so far and whether it is in doubt (null when there is none). */
  status(orderId: string): { pending: boolean; attempts: number; doubtSince: number | null } | null {
    const r = this.row.get(orderId) as OutboxRow | undefined;
    return r ? { pending: r.state === 'pending', attempts: r.attempts, doubtSince: r.doubt_since } : null;
  }

  /** Payments whose outcome is unknown, oldest doubt first. */
  inDoubt(limit = 1000): DoubtfulPayment[] {
    return (this.doubtful.all(this.clock(), limit) as Array<Omit<DoubtfulPayment, 'leased'> & { leased: number }>).map(
      (r) => ({ ...r, leased: r.leased === 1 }),
    );
  }

  doubtSummary(): { count: number; oldestSince: number | null } {
    const r = this.doubtStats.get() as { n: number; oldest: number | null };
    return { count: r.n, oldestSince: r.oldest };
  }

  /**
   * An operator's definite answer, after checking with the payment platform:
   * `charged` settles the order paid, `not-charged` settles it failed
   * (PAYMENT_FAILED). Refused while an attempt holds the payment.
   */
  resolve(orderId: string, outcome: 'charged' | 'not-charged', note: string): OrderRow {
    return this.transitions.tx(() => {
      const r = this.row.get(orderId) as OutboxRow | undefined;
      if (!r) throw new DomainError('NOT_FOUND', `order ${orderId} has no payment`);
      if (r.state !== 'pending')
        throw new DomainError('CONFLICT', `the payment of ${orderId} is already settled (${r.state})`);
      if (r.lease_owner !== null && (r.lease_until ?? 0) >= this.clock()) {
        throw new DomainError('CONFLICT', `a charge attempt of ${orderId} is under way; try again in a moment`);
      }
      const s: Settlement = outcome === 'charged' ? { status: 'paid' } : { status: 'failed', reason: 'PAYMENT_FAILED' };
      return this.settleRow(
        orderId,
        s,
        `resolved by the operator: ${outcome}${note ? ` (${note.slice(0, 300)})` : ''}`,
      );
    });
  }
}

/** Whether a queued charge of `o` may be made: identified and no longer open (confirmed, and captured when held). */
function chargeable(o: OrderRow): boolean {
  return o.status === 'identified' && !isOpen(o);
}
