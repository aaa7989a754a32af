// Refunds: a paid order gives money back, totally or in parts, each refund
// exactly once. A refund is its own outbox row (the refunds table), worked by
// the payment worker with the payment driver under the same rules as charges:
// leased, retried with the same idempotency key (the refund id), never taken
// for failed while its outcome is unknown (in doubt until a definite answer).
// A refund in progress holds its amount: the remaining amount of an order is
// its amount less what was refunded and what is being refunded, so two
// refunds can never give back more than was paid.
//
// When a refund succeeds, the order's refunded amount grows and the order
// goes to `partially_refunded` or `refunded` (an event and a webhook, as any
// state change), in the same transaction.
import { randomUUID } from 'node:crypto';
import type { DB } from './db';
import { DomainError } from './errors';
import { canonicalJson, randomBase32, sha256 } from './ids';
import type { SecretBox } from './secrets';
import type { Transitions } from './transitions';
import type { Clock, OrderRow } from './types';

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface RefundRow {
  seq: number;
  id: string;
  order_id: string;
  sp_id: string;
  type: 'total' | 'partial';
  amount: number;
  currency: string;
  reason: string | null;
  status: RefundStatus;
  failure: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  camara: string | null;
  sink: string | null;
  sink_token: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  doubt_since: number | null;
  last_error: string | null;
}

export interface CreateRefundInput {
  /** minor units; absent: the whole remaining amount (a total refund) */
  amount?: number;
  reason?: string;
  idempotencyKey?: string;
  /** what the CAMARA dialect echoes (its request), and its sink */
  camara?: { request: unknown; sink?: string; sinkToken?: string };
}

export interface LeasedRefund {
  refund: RefundRow;
  order: OrderRow;
  attempt: number;
  doubtSince: number | null;
}

/** Orders whose money can be given back. */
export const REFUNDABLE: readonly string[] = ['paid', 'partially_refunded'];

/** A CAMARA request as stored: its sinkCredential's access token is kept only sealed (sink_token). */
export function withoutAccessToken<T>(request: T): T {
  const r = request as { sinkCredential?: Record<string, unknown> } | null;
  if (!r || typeof r !== 'object' || !r.sinkCredential || r.sinkCredential.accessToken === undefined) return request;
  const sinkCredential = { ...r.sinkCredential };
  delete sinkCredential.accessToken;
  return { ...r, sinkCredential } as T;
}

export function newRefundId(): string {
  return `rfd_${randomBase32(26)}`;
}

export class RefundRepo {
  private readonly insert;
  private readonly byId;
  private readonly byIdem;
  private readonly byOrder;
  private readonly held;
  private readonly due;
  private readonly take;
  private readonly finish;
  private readonly again;
  private readonly addRefunded;
  private readonly order;
  private readonly insertSink;
  private readonly next;
  private readonly release;

  constructor(
    db: DB,
    private readonly transitions: Transitions,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO refunds (id, order_id, sp_id, type, amount, currency, reason, status, idempotency_key, request_hash, camara, sink, sink_token,
                            created_at, updated_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
    this.byId = db.prepare('SELECT * FROM refunds WHERE id = ?');
    this.byIdem = db.prepare('SELECT * FROM refunds WHERE sp_id = ? AND idempotency_key = ?');
    this.byOrder = db.prepare('SELECT * FROM refunds WHERE order_id = ? ORDER BY seq');
    this.held = db
      .prepare(`SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE order_id = ? AND status = 'pending'`)
      .pluck();
    this.due = db
      .prepare(
        `SELECT id FROM refunds WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
      )
      .pluck();
    this.take = db.prepare(
      `UPDATE refunds SET
         doubt_since = CASE WHEN lease_owner IS NOT NULL THEN COALESCE(doubt_since, ?) ELSE doubt_since END,
         lease_owner = ?, lease_until = ?, next_attempt_at = ?, attempts = attempts + 1
       WHERE id = ? RETURNING *`,
    );
    this.finish = db.prepare(
      `UPDATE refunds SET status = ?, failure = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?, completed_at = ?
       WHERE id = ? AND status = 'pending'`,
    );
    this.again = db.prepare(
      `UPDATE refunds SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, last_error = ?, updated_at = ?,
         doubt_since = CASE WHEN ? THEN COALESCE(doubt_since, ?) ELSE doubt_since END
       WHERE id = ? AND status = 'pending' AND lease_owner = ? AND (? IS NULL OR attempts = ?)`,
    );
    this.addRefunded = db.prepare('UPDATE orders SET refunded_amount = refunded_amount + ? WHERE id = ? RETURNING *');
    this.order = db.prepare('SELECT * FROM orders WHERE id = ?');
    this.insertSink = db.prepare(
      `INSERT INTO sink_outbox (order_id, sp_id, sink, token, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.next = db
      .prepare(`SELECT next_attempt_at FROM refunds WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1`)
      .pluck();
    this.release = db.prepare(
      `UPDATE refunds SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, doubt_since = COALESCE(doubt_since, ?)
       WHERE status = 'pending' AND lease_owner IS NOT NULL`,
    );
  }

  /** What can still be refunded of the order (minor units): its amount less refunded and pending refunds. */
  remaining(o: OrderRow): number {
    if (!REFUNDABLE.includes(o.status)) return 0;
    return o.amount - o.refunded_amount - (this.held.get(o.id) as number);
  }

  /**
   * Asks for a refund of the SP's order: idempotent per SP and key (the same
   * key and request return the first refund; another request: CONFLICT).
   */
  create(spId: string, orderId: string, input: CreateRefundInput): { refund: RefundRow; replayed: boolean } {
    const requestHash = sha256(
      canonicalJson({
        orderId,
        amount: input.amount ?? null,
        reason: input.reason ?? null,
        camara: input.camara?.request ?? null,
      }),
    ).toString('hex');
    return this.transitions.tx(() => {
      if (input.idempotencyKey !== undefined) {
        const prior = this.byIdem.get(spId, input.idempotencyKey) as RefundRow | undefined;
        if (prior) {
          if (prior.request_hash !== requestHash)
            throw new DomainError('CONFLICT', 'the idempotency key was already used with a different refund request');
          return { refund: prior, replayed: true };
        }
      }
      const o = this.order.get(orderId) as OrderRow | undefined;
      if (!o || o.sp_id !== spId) throw new DomainError('NOT_FOUND', `no order ${orderId}`);
      if (!REFUNDABLE.includes(o.status)) {
        throw new DomainError(
          'ORDER_NOT_REFUNDABLE',
          o.status === 'refunded'
            ? `order ${orderId} is refunded in full`
            : `order ${orderId} is ${o.status}: only a paid order can be refunded`,
        );
      }
      const remaining = this.remaining(o);
      const amount = input.amount ?? remaining;
      if (amount <= 0)
        throw new DomainError(
          'REFUND_EXCEEDS_REMAINING',
          `nothing of order ${orderId} is left to refund (refunds in progress hold the rest)`,
        );
      if (amount > remaining)
        throw new DomainError(
          'REFUND_EXCEEDS_REMAINING',
          `the refund (${amount}) is more than the remaining amount (${remaining} minor units)`,
        );
      const now = this.clock();
      const refund = this.insert.get(
        newRefundId(),
        o.id,
        spId,
        input.amount === undefined ? 'total' : 'partial',
        amount,
        o.currency,
        input.reason ?? null,
        input.idempotencyKey ?? null,
        requestHash,
        input.camara ? JSON.stringify(withoutAccessToken(input.camara.request)) : null,
        input.camara?.sink ?? null,
        input.camara?.sinkToken === undefined ? null : this.secrets.seal(input.camara.sinkToken),
        now,
        now,
        now,
      ) as RefundRow;
      return { refund, replayed: false };
    });
  }

  get(spId: string, orderId: string, refundId: string): RefundRow {
    const r = this.byId.get(refundId) as RefundRow | undefined;
    if (!r || r.sp_id !== spId || r.order_id !== orderId)
      throw new DomainError('NOT_FOUND', `no refund ${refundId} of order ${orderId}`);
    return r;
  }

  find(refundId: string): RefundRow | null {
    return (this.byId.get(refundId) as RefundRow | undefined) ?? null;
  }

  list(orderId: string): RefundRow[] {
    return this.byOrder.all(orderId) as RefundRow[];
  }

  /** Leases up to `max` due refunds to `owner` for `leaseMs`; a lease that ran out unrecorded leaves its refund in doubt. */
  lease(owner: string, max: number, leaseMs: number): LeasedRefund[] {
    const now = this.clock();
    return this.transitions.tx(() =>
      (this.due.all(now, max) as string[]).map((id) => {
        const r = this.take.get(now, owner, now + leaseMs, now + leaseMs, id) as RefundRow;
        return {
          refund: r,
          order: this.order.get(r.order_id) as OrderRow,
          attempt: r.attempts,
          doubtSince: r.doubt_since,
        };
      }),
    );
  }

  nextDueAt(): number | null {
    return (this.next.get() as number | undefined) ?? null;
  }

  /** At start: leases of a dead process are released; their attempts may have reached the platform (in doubt). */
  releaseAll(): number {
    const now = this.clock();
    return this.release.run(now, now).changes;
  }

  /**
   * The definite outcome of a refund (by its lease `owner`, or null for a
   * driver that refunds in the caller's transaction): the refund, and on
   * success the order's refunded amount and state, in one transaction.
   * Returns the order as it is after it, or null when the lease was lost
   * (`attempt`, the leased attempt's number: also when the refund was leased
   * again since, even by the same owner).
   */
  settle(
    refundId: string,
    owner: string | null,
    outcome: { status: 'succeeded' } | { status: 'failed'; failure: string },
    lastError: string | null = null,
    attempt?: number,
  ): OrderRow | null {
    return this.transitions.tx(() => {
      const r = this.byId.get(refundId) as RefundRow | undefined;
      if (!r || r.status !== 'pending' || (owner !== null && r.lease_owner !== owner)) return null;
      if (attempt !== undefined && r.attempts !== attempt) return null;
      const now = this.clock();
      this.finish.run(
        outcome.status,
        outcome.status === 'failed' ? outcome.failure : null,
        lastError,
        now,
        now,
        refundId,
      );
      let o = this.order.get(r.order_id) as OrderRow;
      if (outcome.status === 'succeeded') {
        const updated = this.addRefunded.get(r.amount, r.order_id) as OrderRow;
        o = this.transitions.apply(
          updated,
          updated.refunded_amount >= updated.amount ? 'refunded' : 'partially_refunded',
          now,
        );
      }
      if (r.sink)
        this.notify(
          {
            ...r,
            status: outcome.status,
            failure: outcome.status === 'failed' ? outcome.failure : null,
            completed_at: now,
          },
          now,
        );
      return o;
    });
  }

  /** Another attempt later; `unknown`: this attempt may have refunded (in doubt until a definite answer). */
  retry(refundId: string, owner: string, at: number, lastError: string, unknown: boolean, attempt?: number): boolean {
    const now = this.clock();
    return (
      this.again.run(
        at,
        lastError.slice(0, 500),
        now,
        unknown ? 1 : 0,
        now,
        refundId,
        owner,
        attempt ?? null,
        attempt ?? null,
      ).changes === 1
    );
  }

  private notify(r: RefundRow, now: number): void {
    const ok = r.status === 'succeeded';
    const data: Record<string, unknown> = {
      paymentId: r.order_id,
      refundId: r.id,
      status: ok ? 'succeeded' : 'failed',
      description: ok ? 'Refund completed' : `Refund denied: ${r.failure ?? 'refused'}`,
    };
    if (ok) data.refundDate = new Date(r.completed_at ?? now).toISOString();
    else data.denialReason = r.failure ?? 'refused';
    const event = {
      id: randomUUID(),
      source: '/carrier-billing-refund/v0.3/payments',
      type: `org.camaraproject.carrier-billing-refund.v0.${ok ? 'refund-completed' : 'refund-denied'}`,
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: new Date(now).toISOString(),
      data,
    };
    this.insertSink.run(r.order_id, r.sp_id, r.sink, r.sink_token, JSON.stringify(event), now, now);
  }
}
