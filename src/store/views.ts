// How orders and events look to an SP (the API, webhooks and the CLI's --json).
import type { Order, OrderEvent, Refund } from '../client/types';
import type { RefundRow } from './refunds';
import type { EventRow, OrderSnapshot, Scope } from './types';

export const EVENT_SOURCE = '/gnpay/v1/orders';

/** "+49151*****67": the country code and the first digits, and the last two; all but the last two when short. */
export function maskMsisdn(digits: string): string {
  if (digits.length <= 7) return `+${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
  return `+${digits.slice(0, 5)}${'*'.repeat(digits.length - 7)}${digits.slice(-2)}`;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Snapshots written before the consent states have associated_at (identified and confirmed at once). */
const legacy = (o: OrderSnapshot) => o as OrderSnapshot & { associated_at?: number | null };

/** A subscriber's number as the pay page shows it: "+49 170 ***** 67". */
export function maskForPage(digits: string): string {
  if (digits.length <= 6) return `+${'*'.repeat(Math.max(0, digits.length - 2))} ${digits.slice(-2)}`;
  return `+${digits.slice(0, 2)} ${digits.slice(2, 5)} ${'*'.repeat(digits.length - 7)} ${digits.slice(-2)}`;
}

export function orderView(o: OrderSnapshot, scopes: readonly Scope[]): Order {
  return {
    id: o.id,
    status: o.status,
    amount: o.amount,
    currency: o.currency,
    reference: o.reference,
    description: o.description,
    token: o.token,
    payUrl: o.pay_url,
    msisdn: o.msisdn === null ? null : scopes.includes('msisdn:read') ? `+${o.msisdn}` : maskMsisdn(o.msisdn),
    reason: o.reason,
    createdAt: iso(o.created_at)!,
    updatedAt: iso(o.updated_at)!,
    expiresAt: iso(o.expires_at)!,
    identifiedAt: iso(o.identified_at ?? legacy(o).associated_at ?? null),
    confirmedAt: iso(o.confirmed_at ?? legacy(o).associated_at ?? null),
    completedAt: iso(o.completed_at),
    returnUrl: o.return_url ?? null,
    refundedAmount: o.refunded_amount ?? 0,
  };
}

/** A state change as a CloudEvents 1.0 event; `data` is the order at that moment; `cursor` its opaque position in the SP's feed. */
export function eventView(e: EventRow, scopes: readonly Scope[], cursor: string): OrderEvent {
  return {
    specversion: '1.0',
    id: e.id,
    source: EVENT_SOURCE,
    type: `org.gnpay.order.${e.status}`,
    subject: e.order_id,
    time: new Date(e.time).toISOString(),
    datacontenttype: 'application/json',
    cursor,
    data: orderView(JSON.parse(e.snapshot) as OrderSnapshot, scopes),
  };
}

/** A refund as the SP sees it. */
export function refundView(r: RefundRow): Refund {
  return {
    id: r.id,
    orderId: r.order_id,
    status: r.status,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    failure: r.failure,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    completedAt: iso(r.completed_at),
  };
}
