// Written by `npm run docs` from src/client/types.ts: edit that file.
// Types of the SP API as seen on the wire (docs/api.md, docs/openapi.json).

export const ORDER_STATUSES = [
  'pending',
  'identified',
  'paid',
  'declined',
  'failed',
  'expired',
  'cancelled',
  'conflict',
  'partially_refunded',
  'refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Final states of the payment: its outcome never changes again (a paid order may still be refunded: paid -> partially_refunded -> refunded). */
export const FINAL_STATUSES: readonly OrderStatus[] = [
  'paid',
  'declined',
  'failed',
  'expired',
  'cancelled',
  'conflict',
  'partially_refunded',
  'refunded',
];

/** Why an order ended declined, failed or conflict. */
export const ORDER_REASONS = [
  'INSUFFICIENT_FUNDS',
  'CURRENCY_MISMATCH',
  'LIMIT_PER_TRANSACTION',
  'LIMIT_PER_MONTH',
  'LIMIT_AMOUNT_PER_DAY',
  'LIMIT_ORDERS_PER_HOUR',
  'PLATFORM_DECLINED',
  'PLATFORM_REJECTED',
  'PAYMENT_FAILED',
  'TOKEN_CONFLICT',
  'PHONE_NUMBER_MISMATCH',
] as const;
export type OrderReason = (typeof ORDER_REASONS)[number];

export interface Order {
  id: string;
  status: OrderStatus;
  amount: number;
  currency: string;
  reference: string;
  description: string;
  token: string;
  payUrl: string;
  /** who confirmed and pays: E.164 with '+', masked (e.g. "+49151*****67") unless the key has the msisdn:read scope; null until confirmed */
  msisdn: string | null;
  reason: OrderReason | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /** when a subscriber's phone was first identified for the order (status identified) */
  identifiedAt: string | null;
  /** when the subscriber confirmed (the charge started) */
  confirmedAt: string | null;
  completedAt: string | null;
  /** where the pay page links back to (an origin registered for the SP), or null */
  returnUrl: string | null;
  /** minor units given back by refunds so far */
  refundedAmount: number;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** A refund of a paid order (POST /v1/orders/{id}/refunds). */
export interface Refund {
  id: string;
  orderId: string;
  status: RefundStatus;
  /** minor units */
  amount: number;
  currency: string;
  reason: string | null;
  /** why a failed refund failed */
  failure: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export interface RefundList {
  refunds: Refund[];
  /** what can still be refunded (minor units): the amount less succeeded and pending refunds */
  remainingAmount: number;
}

export interface CreateOrderInput {
  amount: number;
  currency: string;
  reference: string;
  description?: string;
  ttlSeconds?: number;
  /** where the pay page links back to after the outcome; its origin must be registered for the SP */
  returnUrl?: string;
}

export interface OrderList {
  orders: Order[];
  /** pass as `after` for the next page; null when this page is the last */
  nextCursor: string | null;
}

export type OrderEventType = `org.gnpay.order.${OrderStatus}`;

/** A state change as a CloudEvents 1.0 event (webhook body and event-feed item). */
export interface OrderEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: OrderEventType;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** position in the SP's event feed (CloudEvents extension attribute) */
  cursor: string;
  data: Order;
}

export interface EventPage {
  events: OrderEvent[];
  /** the cursor to pass as `after` next time (the last event's, or the one given when there are none) */
  nextCursor: string;
}

export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
}

/** The answer of PUT /v1/webhook. */
export interface WebhookSettings {
  url: string | null;
  /** the new webhook secret, when rotated (shown this once) */
  secret?: string;
  /** until when the previous secret still signs, when rotated */
  previousSecretValidUntil?: string;
}
