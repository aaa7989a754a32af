// Types of the SP API as seen on the wire (docs/api.md, docs/openapi.json).

export const ORDER_STATUSES = [
  'pending',
  'associated',
  'paid',
  'declined',
  'failed',
  'expired',
  'cancelled',
  'conflict',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Final states: the order never changes again. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['paid', 'declined', 'failed', 'expired', 'cancelled', 'conflict'];

/** Why an order ended declined, failed or conflict. */
export const ORDER_REASONS = [
  'INSUFFICIENT_FUNDS',
  'CURRENCY_MISMATCH',
  'LIMIT_AMOUNT_PER_DAY',
  'LIMIT_ORDERS_PER_HOUR',
  'PLATFORM_DECLINED',
  'PLATFORM_REJECTED',
  'PAYMENT_FAILED',
  'TOKEN_CONFLICT',
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
  /** E.164 with '+', masked (e.g. "+49151*****67") unless the key has the msisdn:read scope; null before association */
  msisdn: string | null;
  reason: OrderReason | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  associatedAt: string | null;
  completedAt: string | null;
}

export interface CreateOrderInput {
  amount: number;
  currency: string;
  reference: string;
  description?: string;
  ttlSeconds?: number;
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
