// Consent: identification never charges; the confirmation does.
//   identify  a subscriber's phone (a pay-page connection bound by its TLS
//             ClientHello to a tunnel-resolved MSISDN) opened the order's page:
//             pending -> identified; several phones may be identified.
//   confirm   the subscriber pressed Confirm on that page: the confirming
//             connection's MSISDN pays, after the per-MSISDN limits; the
//             evidence a dispute needs is stored with it.
// Everything here runs in the caller's transaction (Transitions.tx).
import { randomBytes } from 'node:crypto';
import type { Binding } from './bindings';
import type { DB } from './db';
import { isOpen, type OrderRepo } from './orders';
import type { Transitions } from './transitions';
import type { Clock, OrderReason, OrderRow } from './types';

/** Per-MSISDN limits, in major units of the order's currency (null: off). */
export interface ConsentLimits {
  perTransaction: number | null;
  perMonth: number | null;
  /** most minor units confirmed per MSISDN in 24 hours */
  amountPerDay?: number | null;
  /** most orders confirmed per MSISDN in one hour */
  ordersPerHour?: number | null;
}

export const DEFAULT_LIMITS: ConsentLimits = {
  perTransaction: 50,
  perMonth: 300,
  amountPerDay: null,
  ordersPerHour: null,
};

/** What a pay-page request knows about the subscriber and the page. */
export interface PageContext {
  binding: Binding;
  userAgent: string | null;
  /** SHA-256 (hex) of the page the subscriber was shown, without its per-view CSRF token */
  pageDigest?: string;
}

export interface Evidence {
  orderId: string;
  /** 'page': confirmed on gnpay's pay page; 'none': the SP's one-step mode (a sighting) */
  mode: 'page' | 'none';
  msisdn: string;
  imsi: string | null;
  pageDigest: string | null;
  identifiedAt: string | null;
  pageViewAt: string | null;
  confirmedAt: string;
  /** capture time of the ClientHello (page) or of the sighting (none) */
  helloTs: string | null;
  sni: string | null;
  ueIp: string | null;
  teid: number | null;
  gsnSrc: string | null;
  gsnDst: string | null;
  userAgent: string | null;
  /** one-step mode: the sighting that charged (carrier, via, host, packet) */
  sighting: Record<string, unknown> | null;
}

export type ConfirmResult =
  | { outcome: 'confirmed'; order: OrderRow }
  /** a held order: the subscriber confirmed; the charge waits for the SP's confirmation (capture) */
  | { outcome: 'reserved'; order: OrderRow }
  | { outcome: 'declined'; order: OrderRow; reason: OrderReason }
  | { outcome: 'not-open'; order: OrderRow }
  | { outcome: 'not-identified'; order: OrderRow };

/** Digits after the decimal point of a currency (ISO 4217 via ICU), 2 when unknown. */
export function currencyExponent(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Major units to minor units of a currency (50 EUR -> 5000). */
export function toMinor(major: number, currency: string): number {
  return Math.round(major * 10 ** currencyExponent(currency));
}

interface IdRow {
  order_id: string;
  msisdn: string;
  imsi: string | null;
  first_at: number;
  last_at: number;
  page_digest: string | null;
  hello_ts: string | null;
  sni: string | null;
  ue_ip: string | null;
  teid: number | null;
  gsn_src: string | null;
  gsn_dst: string | null;
  user_agent: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class Consent {
  private readonly upsertId;
  private readonly getId;
  private readonly countIds;
  private readonly insertConfirmation;
  private readonly getConfirmation;
  private readonly enqueue;
  private readonly enqueueCaptured;
  private readonly setCaptured;
  private readonly monthSum;
  private readonly amountSince;
  private readonly countSince;
  private readonly getKey;
  private readonly putKey;
  private key: Buffer | null = null;

  constructor(
    db: DB,
    private readonly orders: OrderRepo,
    private readonly transitions: Transitions,
    private readonly clock: Clock,
  ) {
    this.upsertId = db.prepare(
      `INSERT INTO identifications (order_id, msisdn, imsi, first_at, last_at, page_digest, hello_ts, sni, ue_ip, teid, gsn_src, gsn_dst, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_id, msisdn) DO UPDATE SET last_at = excluded.last_at,
         page_digest = COALESCE(excluded.page_digest, page_digest), hello_ts = excluded.hello_ts, sni = excluded.sni,
         ue_ip = excluded.ue_ip, teid = excluded.teid, gsn_src = excluded.gsn_src, gsn_dst = excluded.gsn_dst,
         user_agent = excluded.user_agent`,
    );
    this.getId = db.prepare('SELECT * FROM identifications WHERE order_id = ? AND msisdn = ?');
    this.countIds = db.prepare('SELECT COUNT(*) FROM identifications WHERE order_id = ?').pluck();
    this.insertConfirmation = db.prepare(
      `INSERT INTO confirmations (order_id, mode, msisdn, imsi, page_digest, identified_at, page_view_at, confirmed_at, hello_ts, sni,
                                  ue_ip, teid, gsn_src, gsn_dst, user_agent, sighting)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getConfirmation = db.prepare('SELECT * FROM confirmations WHERE order_id = ?');
    this.enqueue = db.prepare('INSERT INTO payment_outbox (order_id, next_attempt_at, created_at) VALUES (?, ?, ?)');
    // a capture keeps a charge already queued for the order, if there is one: captured, it may now be made
    this.enqueueCaptured = db.prepare(
      'INSERT INTO payment_outbox (order_id, next_attempt_at, created_at) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING',
    );
    this.setCaptured = db.prepare(
      `UPDATE orders SET captured_at = ?, updated_at = ? WHERE id = ? AND status = 'identified' AND hold = 1 AND confirmed_at IS NOT NULL AND captured_at IS NULL`,
    );
    // what an MSISDN confirmed this calendar month (UTC) in a currency: paid, or confirmed and under way
    this.monthSum = db
      .prepare(
        `SELECT COALESCE(SUM(amount), 0) FROM orders
         WHERE msisdn = ? AND currency = ? AND confirmed_at >= ? AND sandbox IS NULL AND (status = 'paid' OR (status = 'identified' AND confirmed_at IS NOT NULL))`,
      )
      .pluck();
    // sandbox orders count in no subscriber's limits
    const active = `msisdn = ? AND confirmed_at > ? AND sandbox IS NULL AND (status = 'paid' OR (status = 'identified' AND confirmed_at IS NOT NULL))`;
    this.amountSince = db.prepare(`SELECT COALESCE(SUM(amount), 0) FROM orders WHERE ${active}`).pluck();
    this.countSince = db.prepare(`SELECT COUNT(*) FROM orders WHERE ${active}`).pluck();
    this.getKey = db.prepare(`SELECT value FROM meta WHERE name = 'csrf_key'`).pluck();
    this.putKey = db.prepare(`INSERT OR IGNORE INTO meta (name, value) VALUES ('csrf_key', ?)`);
  }

  /** The key the pay page's anti-CSRF tokens are made with (one per database, shared by every pay front-end). */
  csrfKey(): Buffer {
    if (this.key) return this.key;
    let k = this.getKey.get() as Buffer | undefined;
    if (!k) {
      this.putKey.run(randomBytes(32));
      k = this.getKey.get() as Buffer;
    }
    this.key = k;
    return k;
  }

  /**
   * A bound connection opened the order's page: records the identification
   * (pending -> identified on the first one). Returns the order as it is now.
   */
  identify(order: OrderRow, ctx: PageContext): OrderRow {
    return this.transitions.tx(() => {
      const now = this.clock();
      let o = this.orders.expireIfDue(this.orders.find(order.id)!, now);
      if (!isOpen(o)) return o;
      const b = ctx.binding;
      this.upsertId.run(
        o.id,
        b.msisdn,
        b.imsi,
        now,
        now,
        ctx.pageDigest ?? null,
        b.ts,
        b.sni,
        b.ueIp,
        b.teid,
        b.gsnSrc,
        b.gsnDst,
        ctx.userAgent,
      );
      if (o.status === 'pending') o = this.transitions.apply(o, 'identified', now);
      return o;
    });
  }

  identifications(orderId: string): number {
    return this.countIds.get(orderId) as number;
  }

  /**
   * The subscriber on `ctx.binding` pressed Confirm: the order must be open and
   * identified for that MSISDN (it was shown the page). Limits decline; else
   * the charge is queued and the evidence stored.
   */
  confirm(order: OrderRow, ctx: PageContext, limits: ConsentLimits): ConfirmResult {
    return this.transitions.tx(() => {
      const now = this.clock();
      const o = this.orders.expireIfDue(this.orders.find(order.id)!, now);
      if (!isOpen(o) || o.status !== 'identified') return { outcome: 'not-open', order: o };
      const b = ctx.binding;
      const id = this.getId.get(o.id, b.msisdn) as IdRow | undefined;
      if (!id) return { outcome: 'not-identified', order: o };
      if (o.confirmed_at !== null) return { outcome: 'not-open', order: o };
      const confirmed = this.transitions.confirm(o, b.msisdn, b.imsi, now);
      if (!confirmed) return { outcome: 'not-open', order: this.orders.find(o.id)! };
      this.insertConfirmation.run(
        o.id,
        'page',
        b.msisdn,
        b.imsi,
        id.page_digest,
        o.identified_at,
        id.last_at,
        now,
        b.ts,
        b.sni,
        b.ueIp,
        b.teid,
        b.gsnSrc,
        b.gsnDst,
        ctx.userAgent ?? id.user_agent,
        null,
      );
      const reason =
        confirmed.requested_msisdn !== null && confirmed.requested_msisdn !== b.msisdn
          ? 'PHONE_NUMBER_MISMATCH'
          : this.limitReason(confirmed, b.msisdn, limits, now);
      if (reason)
        return { outcome: 'declined', order: this.transitions.apply(confirmed, 'declined', now, { reason }), reason };
      // a held order is reserved: its SP's confirmation queues the charge (capture)
      if (confirmed.hold === 1) {
        this.transitions.changed(confirmed);
        return { outcome: 'reserved', order: confirmed };
      }
      this.enqueue.run(o.id, now, now);
      return { outcome: 'confirmed', order: confirmed };
    });
  }

  /**
   * One-step mode (an SP configured with confirmation "none"): a tunnel-resolved
   * sighting identifies and confirms at once. In the caller's transaction.
   * As on the pay page, a subscriber other than the number the SP asked for
   * is declined (PHONE_NUMBER_MISMATCH), and a held order (CAMARA
   * preparePayment) is only reserved: its SP's confirmation queues the charge.
   * Returns the declined reason, or null when the charge was queued or the
   * order reserved.
   */
  confirmBySighting(
    o: OrderRow,
    msisdn: string,
    imsi: string | null,
    s: Record<string, unknown>,
    limits: ConsentLimits,
    now: number,
  ): OrderReason | null {
    const identified =
      o.status === 'pending'
        ? this.transitions.apply(o, 'identified', now, { msisdn, imsi, confirmedAt: now })
        : this.transitions.confirm(o, msisdn, imsi, now);
    if (!identified) throw new Error(`order ${o.id} is no longer open`);
    this.insertConfirmation.run(
      o.id,
      'none',
      msisdn,
      imsi,
      null,
      now,
      null,
      now,
      s.ts ?? null,
      null,
      s.ueIp ?? null,
      s.teid ?? null,
      null,
      null,
      null,
      JSON.stringify(s),
    );
    const reason =
      identified.requested_msisdn !== null && identified.requested_msisdn !== msisdn
        ? 'PHONE_NUMBER_MISMATCH'
        : this.limitReason(identified, msisdn, limits, now);
    if (reason) {
      this.transitions.apply(identified, 'declined', now, { reason });
      return reason;
    }
    if (identified.hold === 1) {
      // reserved; a pending order's transition to identified has told its listeners already
      if (o.status !== 'pending') this.transitions.changed(identified);
      return null;
    }
    this.enqueue.run(o.id, now, now);
    return null;
  }

  /**
   * The SP confirms a reserved order (CAMARA confirmPayment): its charge is
   * queued. In the caller's transaction; the order must be reserved.
   */
  capture(o: OrderRow, now: number): OrderRow {
    const r = this.setCaptured.run(now, now, o.id);
    if (r.changes !== 1) throw new Error(`order ${o.id} is not reserved`);
    this.enqueueCaptured.run(o.id, now, now);
    const captured = { ...o, captured_at: now, updated_at: now };
    this.transitions.changed(captured);
    return captured;
  }

  /** The per-transaction limit, checked before an order is made (null when within it). */
  perTransactionReason(amount: number, currency: string, limits: ConsentLimits): OrderReason | null {
    return limits.perTransaction != null && amount > toMinor(limits.perTransaction, currency)
      ? 'LIMIT_PER_TRANSACTION'
      : null;
  }

  private limitReason(o: OrderRow, msisdn: string, limits: ConsentLimits, now: number): OrderReason | null {
    if (limits.perTransaction != null && o.amount > toMinor(limits.perTransaction, o.currency))
      return 'LIMIT_PER_TRANSACTION';
    if (limits.perMonth != null) {
      const d = new Date(now);
      const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      // the sum includes this order (confirmed now)
      const sum = this.monthSum.get(msisdn, o.currency, monthStart) as number;
      if (sum > toMinor(limits.perMonth, o.currency)) return 'LIMIT_PER_MONTH';
    }
    if (limits.amountPerDay != null && (this.amountSince.get(msisdn, now - 86_400_000) as number) > limits.amountPerDay)
      return 'LIMIT_AMOUNT_PER_DAY';
    if (limits.ordersPerHour != null && (this.countSince.get(msisdn, now - 3_600_000) as number) > limits.ordersPerHour)
      return 'LIMIT_ORDERS_PER_HOUR';
    return null;
  }

  /** The evidence of an order's confirmation, or null when it was never confirmed. */
  evidence(orderId: string): Evidence | null {
    const r = this.getConfirmation.get(orderId) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      orderId,
      mode: r.mode as 'page' | 'none',
      msisdn: r.msisdn as string,
      imsi: r.imsi as string | null,
      pageDigest: r.page_digest as string | null,
      identifiedAt: iso(r.identified_at as number | null),
      pageViewAt: iso(r.page_view_at as number | null),
      confirmedAt: iso(r.confirmed_at as number)!,
      helloTs: r.hello_ts as string | null,
      sni: r.sni as string | null,
      ueIp: r.ue_ip as string | null,
      teid: r.teid as number | null,
      gsnSrc: r.gsn_src as string | null,
      gsnDst: r.gsn_dst as string | null,
      userAgent: r.user_agent as string | null,
      sighting: r.sighting ? (JSON.parse(r.sighting as string) as Record<string, unknown>) : null,
    };
  }
}
