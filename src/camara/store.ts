// CAMARA Carrier Billing (v0.5) over gnpay's orders. A CAMARA payment is an
// order plus what the dialect echoes (camara_payments). Two-step: prepare
// makes a held order whose pay page is the `validationURL`; the subscriber's
// confirmation on it reserves (`reserved`); the SP's confirm queues the charge
// (`processing` -> `succeeded` | `denied`); cancel ends it. One-step (only for
// an SP in one-step mode, which proves consent itself): the named number is
// charged at once.
//
// Every change of a CAMARA payment's status writes, in the same transaction,
// a CloudEvent for its `sink` (sink_outbox), delivered by the sink worker.
import { randomUUID } from 'node:crypto';
import type { DB } from '../store/db';
import { DomainError } from '../store/errors';
import { canonicalJson } from '../store/ids';
import { isReserved, type OrderRepo } from '../store/orders';
import type { Consent, ConsentLimits } from '../store/consent';
import type { Transitions } from '../store/transitions';
import { withoutAccessToken } from '../store/refunds';
import type { SecretBox } from '../store/secrets';
import type { Clock, OrderReason, OrderRow, Sp } from '../store/types';
import { toMajorUnits, toMinorUnits } from './amount';

export const CAMARA_BASE = '/carrier-billing/v0.5';
export const CAMARA_EVENT_SOURCE = `${CAMARA_BASE}/payments`;

export const CAMARA_STATUSES = [
  'processing',
  'pending_validation',
  'denied',
  'reserved',
  'succeeded',
  'cancelled',
] as const;
export type CamaraStatus = (typeof CAMARA_STATUSES)[number];

/** An error in CAMARA's format: {status, code, message} with CAMARA's codes. */
export class CamaraError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CamaraError';
  }
}

export interface ChargingInformation {
  amount: number;
  currency: string;
  description: string;
  isTaxIncluded?: boolean;
  taxAmount?: number;
}

export interface AmountTransactionInput {
  phoneNumber?: string;
  clientCorrelator?: string;
  paymentAmount: {
    chargingInformation: ChargingInformation;
    chargingMetaData?: Record<string, unknown>;
    paymentDetails?: unknown[];
  };
  referenceCode: string;
}

export interface SinkCredential {
  credentialType: string;
  accessToken?: string;
  accessTokenExpiresUtc?: string;
  accessTokenType?: string;
}

export interface CamaraPaymentInput {
  amountTransaction: AmountTransactionInput;
  sink?: string;
  sinkCredential?: SinkCredential;
}

export interface CamaraCreateOptions {
  oneStep: boolean;
  limits: ConsentLimits;
  payUrlTemplate: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

interface PaymentRow {
  order_id: string;
  sp_id: string;
  one_step: number;
  client_correlator: string | null;
  request: string;
  merchant_identifier: string | null;
  sink: string | null;
  sink_token: string | null;
  last_status: string | null;
  created_at: number;
}

export interface SinkDelivery {
  id: number;
  order_id: string;
  sp_id: string;
  sink: string;
  token: string | null;
  body: string;
  attempts: number;
}

export interface ListQuery {
  page: number;
  perPage: number;
  gte?: number;
  lte?: number;
  order: 'asc' | 'desc';
  statuses?: CamaraStatus[];
  merchantIdentifier?: string;
}

/** The CAMARA status of an order. */
export function camaraStatus(o: OrderRow): CamaraStatus {
  switch (o.status) {
    case 'pending':
      return 'pending_validation';
    case 'identified':
      if (o.confirmed_at === null) return 'pending_validation';
      return isReserved(o) ? 'reserved' : 'processing';
    case 'paid':
    case 'partially_refunded':
    case 'refunded':
      return 'succeeded';
    case 'expired':
    case 'cancelled':
      return 'cancelled';
    default:
      return 'denied';
  }
}

/** The same mapping in SQL (for filters), over orders aliased `o`. */
const STATUS_SQL = `CASE
  WHEN o.status = 'pending' THEN 'pending_validation'
  WHEN o.status = 'identified' AND o.confirmed_at IS NULL THEN 'pending_validation'
  WHEN o.status = 'identified' AND o.hold = 1 AND o.captured_at IS NULL THEN 'reserved'
  WHEN o.status = 'identified' THEN 'processing'
  WHEN o.status IN ('paid', 'partially_refunded', 'refunded') THEN 'succeeded'
  WHEN o.status IN ('expired', 'cancelled') THEN 'cancelled'
  ELSE 'denied' END`;

const EVENT_OF: Partial<Record<CamaraStatus, string>> = {
  pending_validation: 'payment-pending-validation',
  reserved: 'payment-reserved',
  succeeded: 'payment-completed',
  cancelled: 'payment-cancelled',
  denied: 'payment-denied',
};

/** A denial reason a person (and the SP's support) understands. */
export function denialReason(reason: OrderReason | null, status: OrderRow['status']): string {
  if (status === 'expired') return 'The payment expired before it was confirmed';
  switch (reason) {
    case 'INSUFFICIENT_FUNDS':
      return 'Insufficient balance';
    case 'CURRENCY_MISMATCH':
      return 'The account cannot pay in this currency';
    case 'LIMIT_PER_TRANSACTION':
      return 'Amount above the limit per payment';
    case 'LIMIT_PER_MONTH':
    case 'LIMIT_AMOUNT_PER_DAY':
    case 'LIMIT_ORDERS_PER_HOUR':
      return 'Accumulated payments overpass the user amount threshold';
    case 'PHONE_NUMBER_MISMATCH':
      return 'The phone number identified by the network is not the one given';
    case 'PLATFORM_DECLINED':
    case 'PLATFORM_REJECTED':
      return 'Payment denied by the billing system';
    case 'TOKEN_CONFLICT':
      return 'The payment link was used from another phone';
    default:
      return 'The payment could not be completed';
  }
}

const digitsOf = (phone: string) => phone.replace(/^\+/, '');

export class CamaraPayments {
  private readonly insert;
  private readonly byOrder;
  private readonly byCorrelator;
  private readonly setStatus;
  private readonly setHold;
  private readonly insertSink;
  private readonly dueSinks;
  private readonly sinkDone;
  private readonly sinkAgain;
  private readonly sinkLease;
  private readonly sinkNext;

  constructor(
    private readonly db: DB,
    private readonly orders: OrderRepo,
    private readonly consent: Consent,
    private readonly transitions: Transitions,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO camara_payments (order_id, sp_id, one_step, client_correlator, request, merchant_identifier, sink, sink_token, last_status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    );
    this.byOrder = db.prepare('SELECT * FROM camara_payments WHERE order_id = ?');
    this.byCorrelator = db.prepare('SELECT * FROM camara_payments WHERE sp_id = ? AND client_correlator = ?');
    this.setStatus = db.prepare('UPDATE camara_payments SET last_status = ? WHERE order_id = ?');
    this.setHold = db.prepare('UPDATE orders SET hold = ?, requested_msisdn = ? WHERE id = ?');
    this.insertSink = db.prepare(
      `INSERT INTO sink_outbox (order_id, sp_id, sink, token, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.dueSinks = db.prepare(
      `SELECT id, order_id, sp_id, sink, token, body, attempts FROM sink_outbox WHERE done_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
    );
    this.sinkDone = db.prepare(
      'UPDATE sink_outbox SET done_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?',
    );
    this.sinkAgain = db.prepare(
      'UPDATE sink_outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?',
    );
    this.sinkLease = db.prepare('UPDATE sink_outbox SET next_attempt_at = ? WHERE id = ?');
    this.sinkNext = db
      .prepare('SELECT next_attempt_at FROM sink_outbox WHERE done_at IS NULL ORDER BY next_attempt_at LIMIT 1')
      .pluck();
    transitions.inTx.push((o) => this.onChange(o));
  }

  /**
   * Creates a payment: two-step (prepare: a held order, `pending_validation`)
   * or one-step (the named number is charged at once). `clientCorrelator`
   * makes it idempotent per SP: the same request returns the same payment.
   */
  create(
    sp: Sp,
    input: CamaraPaymentInput,
    opts: CamaraCreateOptions,
  ): { order: OrderRow; replayed: boolean; declined?: OrderReason } {
    const at = input.amountTransaction;
    const ci = at.paymentAmount.chargingInformation;
    const amount = toMinorUnits(ci.amount, ci.currency);
    if (!amount.ok)
      throw new CamaraError(
        400,
        'INVALID_ARGUMENT',
        `amountTransaction.paymentAmount.chargingInformation.amount ${amount.why}`,
      );
    if (input.sinkCredential) {
      const c = input.sinkCredential;
      if (c.credentialType !== 'ACCESSTOKEN')
        throw new CamaraError(400, 'INVALID_CREDENTIAL', 'Only Access token is supported');
      if (c.accessTokenType !== 'bearer' || typeof c.accessToken !== 'string')
        throw new CamaraError(400, 'INVALID_TOKEN', 'Only bearer token is supported');
    }
    if (input.sinkCredential && !input.sink)
      throw new CamaraError(400, 'INVALID_ARGUMENT', 'sinkCredential without sink');
    const phone = at.phoneNumber === undefined ? null : digitsOf(at.phoneNumber);
    if (opts.oneStep && phone === null)
      throw new CamaraError(
        422,
        'MISSING_IDENTIFIER',
        'The phone number cannot be identified: a one-step payment needs phoneNumber',
      );
    const limitReason = this.consent.perTransactionReason(amount.minor, ci.currency, opts.limits);
    if (limitReason)
      throw new CamaraError(
        422,
        'CARRIER_BILLING.UNAUTHORIZED_AMOUNT',
        'Unauthorized amount requested: above the limit per payment',
      );
    // the access token is stored only sealed (sink_token): a replay must bring the same one
    const request = canonicalJson({ oneStep: opts.oneStep, ...withoutAccessToken(input) });
    const token = input.sinkCredential?.accessToken ?? null;
    return this.transitions.tx((): { order: OrderRow; replayed: boolean; declined?: OrderReason } => {
      if (at.clientCorrelator !== undefined) {
        const prior = this.byCorrelator.get(sp.id, at.clientCorrelator) as PaymentRow | undefined;
        if (prior) {
          const priorToken = prior.sink_token === null ? null : this.secrets.open(prior.sink_token);
          if (prior.request !== request || priorToken !== token)
            throw new CamaraError(
              409,
              'ALREADY_EXISTS',
              'clientCorrelator already exists on the server with another request',
            );
          return { order: this.orders.expireIfDue(this.orders.find(prior.order_id)!), replayed: true };
        }
      }
      const { order } = this.orders.create(
        sp.id,
        { amount: amount.minor, currency: ci.currency, reference: at.referenceCode, description: ci.description },
        {
          payUrlTemplate: opts.payUrlTemplate,
          defaultTtlSeconds: opts.defaultTtlSeconds,
          maxTtlSeconds: opts.maxTtlSeconds,
        },
      );
      const now = this.clock();
      this.setHold.run(opts.oneStep ? 0 : 1, phone, order.id);
      const merchant = at.paymentAmount.chargingMetaData?.merchantIdentifier;
      this.insert.run(
        order.id,
        sp.id,
        opts.oneStep ? 1 : 0,
        at.clientCorrelator ?? null,
        request,
        typeof merchant === 'string' ? merchant : null,
        input.sink ?? null,
        token === null ? null : this.secrets.seal(token),
        now,
      );
      let o: OrderRow = { ...order, hold: opts.oneStep ? 0 : 1, requested_msisdn: phone };
      if (opts.oneStep) {
        const reason = this.consent.confirmBySighting(
          o,
          phone!,
          null,
          { via: 'camara createPayment', ts: new Date(now).toISOString() },
          opts.limits,
          now,
        );
        o = this.orders.find(o.id)!;
        if (reason) {
          this.onChange(o);
          return { order: o, replayed: false, declined: reason };
        }
      }
      this.onChange(o);
      return { order: o, replayed: false };
    });
  }

  /** The SP confirms a reserved payment: its charge is queued. */
  confirm(spId: string, id: string, phoneNumber: string | undefined): OrderRow {
    return this.transitions.tx(() => {
      const o = this.get(spId, id);
      if (phoneNumber !== undefined && o.msisdn !== null && digitsOf(phoneNumber) !== o.msisdn) {
        throw new CamaraError(
          403,
          'CARRIER_BILLING.PAYMENT_DENIED',
          'The phone number is not the one that validated the payment',
        );
      }
      const s = camaraStatus(o);
      switch (s) {
        case 'reserved':
          return this.consent.capture(o, this.clock());
        case 'pending_validation':
          throw new CamaraError(
            403,
            'PERMISSION_DENIED',
            'The subscriber has not validated the payment on its validationURL yet (paymentStatus pending_validation)',
          );
        case 'processing':
        case 'succeeded':
          throw new CamaraError(409, 'CARRIER_BILLING.PAYMENT_CONFIRMED', 'Payment has been confirmed.');
        case 'cancelled':
          throw new CamaraError(409, 'CARRIER_BILLING.PAYMENT_CANCELLED', 'Payment has been cancelled.');
        default:
          throw new CamaraError(
            403,
            'CARRIER_BILLING.PAYMENT_DENIED',
            `Payment denied: ${denialReason(o.reason, o.status)}`,
          );
      }
    });
  }

  /** The SP cancels a payment nobody has charged (pending validation or reserved). */
  cancel(spId: string, id: string, phoneNumber: string | undefined): OrderRow {
    return this.transitions.tx(() => {
      const o = this.get(spId, id);
      if (phoneNumber !== undefined && o.msisdn !== null && digitsOf(phoneNumber) !== o.msisdn) {
        throw new CamaraError(403, 'PERMISSION_DENIED', 'The phone number is not the one of the payment');
      }
      const s = camaraStatus(o);
      if (s === 'cancelled')
        throw new CamaraError(409, 'CARRIER_BILLING.PAYMENT_CANCELLED', 'Payment has been cancelled.');
      if (s === 'processing' || s === 'succeeded')
        throw new CamaraError(409, 'CARRIER_BILLING.PAYMENT_CONFIRMED', 'Payment has been confirmed.');
      if (s === 'denied')
        throw new CamaraError(403, 'PERMISSION_DENIED', `Payment was denied: ${denialReason(o.reason, o.status)}`);
      return this.orders.cancel(spId, id);
    });
  }

  /** A CAMARA payment of this SP (NOT_FOUND for anything else). */
  get(spId: string, id: string): OrderRow {
    const p = this.byOrder.get(id) as PaymentRow | undefined;
    if (!p || p.sp_id !== spId) throw new CamaraError(404, 'NOT_FOUND', 'The specified resource is not found.');
    return this.orders.get(spId, id);
  }

  payment(orderId: string): PaymentRow | null {
    return (this.byOrder.get(orderId) as PaymentRow | undefined) ?? null;
  }

  /** A page of the SP's CAMARA payments and how many match in all. */
  list(spId: string, q: ListQuery): { orders: Array<{ order: OrderRow; payment: PaymentRow }>; total: number } {
    this.orders.expireDue();
    const where = ['p.sp_id = ?'];
    const args: unknown[] = [spId];
    if (q.gte !== undefined) {
      where.push('p.created_at >= ?');
      args.push(q.gte);
    }
    if (q.lte !== undefined) {
      where.push('p.created_at <= ?');
      args.push(q.lte);
    }
    if (q.merchantIdentifier !== undefined) {
      where.push('p.merchant_identifier = ?');
      args.push(q.merchantIdentifier);
    }
    if (q.statuses?.length) {
      where.push(`(${STATUS_SQL}) IN (${q.statuses.map(() => '?').join(', ')})`);
      args.push(...q.statuses);
    }
    const from = `FROM camara_payments p JOIN orders o ON o.id = p.order_id WHERE ${where.join(' AND ')}`;
    const total = this.db
      .prepare(`SELECT COUNT(*) ${from}`)
      .pluck()
      .get(...args) as number;
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(`SELECT p.order_id ${from} ORDER BY p.created_at ${dir}, o.seq ${dir} LIMIT ? OFFSET ?`)
      .pluck()
      .all(...args, q.perPage, (q.page - 1) * q.perPage) as string[];
    return {
      orders: rows.map((id) => ({ order: this.orders.find(id)!, payment: this.byOrder.get(id) as PaymentRow })),
      total,
    };
  }

  /** In the transaction of a change: a new CAMARA status is recorded and, with a sink, its CloudEvent queued. */
  private onChange(o: OrderRow): void {
    const p = this.byOrder.get(o.id) as PaymentRow | undefined;
    if (!p) return;
    const s = camaraStatus(o);
    if (s === p.last_status) return;
    this.setStatus.run(s, o.id);
    const type = EVENT_OF[s];
    if (!p.sink || !type) return;
    const now = this.clock();
    const data: Record<string, unknown> = {
      paymentId: o.id,
      status: s === 'denied' ? 'failed' : 'succeeded',
      description:
        s === 'denied' ? `Payment denied: ${denialReason(o.reason, o.status)}` : `Payment ${s.replace('_', ' ')}`,
    };
    if (s === 'succeeded') data.paymentDate = new Date(o.completed_at ?? now).toISOString();
    if (s === 'denied') data.denialReason = denialReason(o.reason, o.status);
    const event = {
      id: randomUUID(),
      source: CAMARA_EVENT_SOURCE,
      type: `org.camaraproject.carrier-billing.v0.${type}`,
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: new Date(now).toISOString(),
      data,
    };
    this.insertSink.run(o.id, o.sp_id, p.sink, p.sink_token, JSON.stringify(event), now, now);
  }

  /** Notifications due for delivery (not leased). */
  dueNotifications(max: number): SinkDelivery[] {
    return this.dueSinks.all(this.clock(), max) as SinkDelivery[];
  }

  /** Takes up to `max` due notifications for `leaseMs` (they are not due again until then). */
  leaseNotifications(max: number, leaseMs: number): SinkDelivery[] {
    return this.transitions.tx(() => {
      const rows = this.dueNotifications(max);
      const until = this.clock() + leaseMs;
      for (const r of rows) this.sinkLease.run(until, r.id);
      return rows;
    });
  }

  /** When the next notification is due, or null. */
  nextNotificationAt(): number | null {
    return (this.sinkNext.get() as number | undefined) ?? null;
  }

  /** A notification was delivered (or given up: `error`). */
  notificationDone(id: number, error: string | null = null): void {
    this.sinkDone.run(this.clock(), error, id);
  }

  notificationRetry(id: number, at: number, error: string): void {
    this.sinkAgain.run(at, error.slice(0, 300), id);
  }

  /** The CAMARA view of a payment (Payment / PaymentCreated / BodyAmountReservationTransactionForReserve). */
  view(o: OrderRow, p: PaymentRow, showNumber: boolean): Record<string, unknown> {
    const req = JSON.parse(p.request) as CamaraPaymentInput & { oneStep: boolean };
    const at = req.amountTransaction;
    const msisdn = o.msisdn ?? o.requested_msisdn;
    // the number is shown when the SP named it, or when its key may read numbers
    const phone = msisdn !== null && (showNumber || o.requested_msisdn !== null) ? `+${msisdn}` : undefined;
    const ci = at.paymentAmount.chargingInformation;
    const amountTransaction: Record<string, unknown> = {
      ...(phone !== undefined ? { phoneNumber: phone } : {}),
      ...(at.clientCorrelator !== undefined ? { clientCorrelator: at.clientCorrelator } : {}),
      paymentAmount: {
        ...at.paymentAmount,
        chargingInformation: { ...ci, amount: toMajorUnits(o.amount, o.currency) },
      },
      referenceCode: at.referenceCode,
      resourceURL: `${CAMARA_BASE}/payments/${o.id}`,
      serverReferenceCode: o.id,
    };
    const status = camaraStatus(o);
    const out: Record<string, unknown> = {
      paymentId: o.id,
      amountTransaction,
      paymentStatus: status,
      paymentCreationDate: new Date(o.created_at).toISOString(),
    };
    if (status === 'succeeded' && o.completed_at !== null) out.paymentDate = new Date(o.completed_at).toISOString();
    if (p.sink) out.sink = p.sink;
    if (status === 'pending_validation' && !p.one_step)
      out.validationInfo = { action: 'open', validationURL: o.pay_url };
    return out;
  }
}

export { DomainError };
