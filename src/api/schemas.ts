// JSON Schemas of the SP API. The routes validate and serialize with these,
// and the OpenAPI document (openapi.ts) is generated from the same objects.
import { ERROR_CODES } from '../client/codes';
import { ORDER_REASONS, ORDER_STATUSES } from '../client/types';
import { CURRENCIES } from './currencies';

export type Schema = Record<string, unknown>;

/**
 * Enums of answers where values may be added (error codes, statuses,
 * reasons, event types): clients must accept values they do not know. The
 * routes keep the `enum` (what gnpay sends today); the OpenAPI document shows
 * these as `x-extensible-enum` (openapi.ts).
 */
export const OPEN_ENUMS = new Set<Schema>();
function open<T extends Schema>(s: T): T {
  OPEN_ENUMS.add(s);
  return s;
}

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const ORDER_ID_PATTERN = '^ord_[a-z2-7]{26}$';
/** opaque cursors (22 base64url characters); plain numbers are the cursors of earlier versions, "0" the start */
export const CURSOR_PATTERN = '^(?:[0-9]{1,15}|[A-Za-z0-9_-]{22})$';
export const CORRELATOR_PATTERN = '^[a-zA-Z0-9-_:;.\\/<>{}]{0,256}$';

export const ErrorBody: Schema = {
  type: 'object',
  description:
    'Every error: `status` equals the HTTP status; `code` is stable (see the error registry in docs/api.md).',
  required: ['status', 'code', 'message'],
  additionalProperties: false,
  properties: {
    status: { type: 'integer' },
    code: open({ type: 'string', enum: Object.keys(ERROR_CODES), description: 'stable; codes may be added' }),
    message: { type: 'string' },
  },
};

export const Order: Schema = {
  type: 'object',
  required: [
    'id',
    'status',
    'amount',
    'currency',
    'reference',
    'description',
    'token',
    'payUrl',
    'msisdn',
    'reason',
    'createdAt',
    'updatedAt',
    'expiresAt',
    'identifiedAt',
    'confirmedAt',
    'completedAt',
    'returnUrl',
    'refundedAmount',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: ORDER_ID_PATTERN },
    status: open({ type: 'string', enum: [...ORDER_STATUSES], description: 'statuses may be added' }),
    amount: { type: 'integer', minimum: 1, description: 'minor units of the currency' },
    currency: { type: 'string', description: 'ISO 4217' },
    reference: { type: 'string' },
    description: { type: 'string' },
    token: { type: 'string', pattern: '^[a-z2-7]{26}$' },
    payUrl: { type: 'string' },
    msisdn: {
      type: ['string', 'null'],
      description:
        'the subscriber who confirmed and pays, E.164 with "+"; masked ("+49151*****67") unless the key has the msisdn:read scope; null until confirmed (identification alone never reveals it)',
    },
    reason: open({
      type: ['string', 'null'],
      enum: [...ORDER_REASONS, null],
      description: 'why the order was declined, failed or is in conflict (reasons may be added)',
    }),
    createdAt: dateTime,
    updatedAt: dateTime,
    expiresAt: dateTime,
    identifiedAt: {
      ...nullableDateTime,
      description: "when a subscriber's phone was first identified on the pay page",
    },
    confirmedAt: { ...nullableDateTime, description: 'when the subscriber confirmed (the charge started)' },
    completedAt: nullableDateTime,
    returnUrl: { type: ['string', 'null'], description: 'where the pay page links back to' },
    refundedAmount: { type: 'integer', minimum: 0, description: 'minor units given back by refunds so far' },
  },
};

export const CreateOrderBody: Schema = {
  type: 'object',
  required: ['amount', 'currency', 'reference'],
  additionalProperties: false,
  properties: {
    amount: {
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000_000_000,
      description: 'minor units (cents): 499 = 4.99 EUR',
    },
    currency: { type: 'string', enum: [...CURRENCIES], description: 'ISO 4217 code' },
    reference: { type: 'string', minLength: 1, maxLength: 128, description: "the SP's own order id" },
    description: { type: 'string', maxLength: 1000 },
    ttlSeconds: {
      type: 'integer',
      minimum: 1,
      description: 'how long the token is valid (default and maximum in the configuration)',
    },
    returnUrl: {
      type: 'string',
      minLength: 8,
      maxLength: 2048,
      pattern: '^https?://',
      description:
        'where the pay page links back to after the outcome; its origin must be registered for the SP (gnpay sp configure --return-origin)',
    },
  },
};

export const OrderIdParams: Schema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', maxLength: 64 } },
};

export const IdempotencyHeaders: Schema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description: 'the same key with the same body returns the same order; with another body, 409 CONFLICT',
    },
  },
};

export const ListOrdersQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: [...ORDER_STATUSES] },
    reference: { type: 'string', minLength: 1, maxLength: 128 },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
    after: { type: 'string', pattern: CURSOR_PATTERN, description: 'nextCursor of the previous page' },
  },
};

export const OrderList: Schema = {
  type: 'object',
  required: ['orders', 'nextCursor'],
  additionalProperties: false,
  properties: {
    orders: { type: 'array', items: Order },
    nextCursor: { type: ['string', 'null'] },
  },
};

export const OrderEvent: Schema = {
  type: 'object',
  description: 'A CloudEvents 1.0 event: one state change of an order; `data` is the order right after it.',
  required: ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'cursor', 'data'],
  additionalProperties: false,
  properties: {
    specversion: { type: 'string', enum: ['1.0'] },
    id: { type: 'string', description: 'unique per event: deduplicate deliveries with it' },
    source: { type: 'string' },
    type: open({
      type: 'string',
      enum: ORDER_STATUSES.map((s) => `org.gnpay.order.${s}`),
      description: '`org.gnpay.order.<status>` of the status entered (types may be added with statuses)',
    }),
    subject: { type: 'string', description: 'the order id' },
    time: dateTime,
    datacontenttype: { type: 'string', enum: ['application/json'] },
    cursor: { type: 'string', description: 'position of this event in the feed (GET /v1/events?after=)' },
    data: Order,
  },
};

export const EventsQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    after: {
      type: 'string',
      pattern: CURSOR_PATTERN,
      default: '0',
      description: 'the last cursor you processed; 0 = from the start',
    },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
};

export const EventPage: Schema = {
  type: 'object',
  required: ['events', 'nextCursor'],
  additionalProperties: false,
  properties: {
    events: { type: 'array', items: OrderEvent },
    nextCursor: { type: 'string', description: 'pass as `after` next time' },
  },
};

/** A POST without parameters: no body, or an empty JSON object. */
export const EmptyBody: Schema = { type: 'object', additionalProperties: false, properties: {} };

export const NoQuery: Schema = { type: 'object', additionalProperties: false, properties: {} };

export const Health: Schema = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] } },
};

export const Readiness: Schema = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    reason: {
      type: 'string',
      description:
        'why the probe is not ready: starting, stopping, database closed, no capture source, no interface is captured',
    },
    capture: {
      type: 'string',
      enum: ['none', 'starting', 'up', 'down', 'finished'],
      description:
        'the capture source: none configured, starting, running, every interface lost, a replay that ran to its end',
    },
  },
};

export const REFUND_ID_PATTERN = '^rfd_[a-z2-7]{26}$';

export const Refund: Schema = {
  type: 'object',
  description:
    'A refund of a paid order: pending until the payment platform gave the money back (succeeded) or refused (failed).',
  required: [
    'id',
    'orderId',
    'status',
    'amount',
    'currency',
    'reason',
    'failure',
    'createdAt',
    'updatedAt',
    'completedAt',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: REFUND_ID_PATTERN },
    orderId: { type: 'string', pattern: ORDER_ID_PATTERN },
    status: open({ type: 'string', enum: ['pending', 'succeeded', 'failed'], description: 'statuses may be added' }),
    amount: { type: 'integer', minimum: 1, description: 'minor units given back' },
    currency: { type: 'string' },
    reason: { type: ['string', 'null'] },
    failure: { type: ['string', 'null'], description: 'why a failed refund failed' },
    createdAt: dateTime,
    updatedAt: dateTime,
    completedAt: nullableDateTime,
  },
};

export const CreateRefundBody: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    amount: {
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000_000_000,
      description: 'minor units to give back; absent: all that remains (a total refund)',
    },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
};

export const RefundList: Schema = {
  type: 'object',
  required: ['refunds', 'remainingAmount'],
  additionalProperties: false,
  properties: {
    refunds: { type: 'array', items: Refund },
    remainingAmount: {
      type: 'integer',
      minimum: 0,
      description: 'what can still be refunded: the amount less succeeded and pending refunds',
    },
  },
};

export const RefundIdParams: Schema = {
  type: 'object',
  required: ['id', 'refundId'],
  additionalProperties: false,
  properties: { id: { type: 'string', maxLength: 64 }, refundId: { type: 'string', maxLength: 64 } },
};

export const SimulateBody: Schema = {
  type: 'object',
  required: ['outcome'],
  additionalProperties: false,
  properties: {
    outcome: {
      type: 'string',
      enum: ['paid', 'declined', 'expired'],
      description:
        'paid: a subscriber confirms and the charge succeeds; declined: the subscriber confirms and the payment platform declines the charge; expired: the order expires now. A held CAMARA payment (two-step) is reserved by paid/declined: your confirm charges it',
    },
    msisdn: {
      type: 'string',
      pattern: '^\\+?[0-9]{6,15}$',
      description: 'the simulated subscriber, E.164 (default +999000000001, a number no network assigns)',
    },
  },
};

export const SetWebhookBody: Schema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: {
      type: ['string', 'null'],
      maxLength: 2048,
      description:
        'where state changes are POSTed (signed CloudEvents); null: no webhooks. Refused when its host is an address the destination policy refuses (loopback, private, link-local, ...)',
    },
    rotateSecret: { type: 'boolean', description: 'make a new webhook secret (shown once in the answer)' },
    overlapSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: 604800,
      description: 'how long the previous secret still signs (default 86400)',
    },
  },
};

export const WebhookSettings: Schema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: ['string', 'null'] },
    secret: { type: 'string', description: 'the new webhook secret, when rotated (shown this once)' },
    previousSecretValidUntil: { ...dateTime, description: 'until when the previous secret still signs, when rotated' },
  },
};

/** The body of GET /openapi.json. */
export const OpenApiDocument: Schema = {
  type: 'object',
  description: 'An OpenAPI 3.1 document',
  additionalProperties: true,
};

/** The body of GET /metrics (documentation only: text/plain). */
export const MetricsText: Schema = { type: 'string', description: 'Prometheus text exposition format' };

const cloudEvent = (description: string, types: string[], data: Schema): Schema => ({
  type: 'object',
  description,
  required: ['id', 'source', 'type', 'specversion', 'datacontenttype', 'time', 'data'],
  properties: {
    id: { type: 'string', description: 'unique per event: deduplicate deliveries with it' },
    source: { type: 'string' },
    type: open({ type: 'string', enum: types, description: 'types may be added' }),
    specversion: { type: 'string', enum: ['1.0'] },
    datacontenttype: { type: 'string', enum: ['application/json'] },
    time: dateTime,
    data,
  },
});

/** What gnpay POSTs to a CAMARA payment's `sink` (CAMARA Carrier Billing v0.5 notifications). */
export const CamaraPaymentEvent: Schema = cloudEvent(
  "A CAMARA Carrier Billing notification: a change of the payment's status, sent to its `sink` with `Authorization: Bearer <sinkCredential.accessToken>`",
  ['payment-pending-validation', 'payment-reserved', 'payment-completed', 'payment-cancelled', 'payment-denied'].map(
    (t) => `org.camaraproject.carrier-billing.v0.${t}`,
  ),
  {
    type: 'object',
    required: ['paymentId', 'status', 'description'],
    properties: {
      paymentId: { type: 'string' },
      status: { type: 'string', enum: ['succeeded', 'failed'], description: 'failed for payment-denied' },
      description: { type: 'string' },
      paymentDate: { ...dateTime, description: 'payment-completed: when it was charged' },
      denialReason: { type: 'string', description: 'payment-denied: why' },
    },
  },
);

/** What gnpay POSTs to a CAMARA refund's `sink` (CAMARA Carrier Billing Refund v0.3 notifications). */
export const CamaraRefundEvent: Schema = cloudEvent(
  'A CAMARA Carrier Billing Refund notification: the outcome of a refund, sent to its `sink` with `Authorization: Bearer <sinkCredential.accessToken>`',
  ['refund-completed', 'refund-denied'].map((t) => `org.camaraproject.carrier-billing-refund.v0.${t}`),
  {
    type: 'object',
    required: ['paymentId', 'refundId', 'status', 'description'],
    properties: {
      paymentId: { type: 'string' },
      refundId: { type: 'string' },
      status: { type: 'string', enum: ['succeeded', 'failed'] },
      description: { type: 'string' },
      refundDate: { ...dateTime, description: 'refund-completed: when the money was given back' },
      denialReason: { type: 'string', description: 'refund-denied: why' },
    },
  },
);

/**
 * The named schemas: `components.schemas` of the OpenAPI document, where
 * every use of one of these objects becomes a `$ref` to its name.
 */
export const NAMED_SCHEMAS: Record<string, Schema> = {
  Order,
  OrderList,
  CreateOrderRequest: CreateOrderBody,
  Refund,
  RefundList,
  CreateRefundRequest: CreateRefundBody,
  Event: OrderEvent,
  EventPage,
  WebhookConfig: SetWebhookBody,
  WebhookSettings,
  SimulateRequest: SimulateBody,
  EmptyRequest: EmptyBody,
  Error: ErrorBody,
  Health,
  Readiness,
  OpenApiDocument,
  MetricsText,
  CamaraPaymentEvent,
  CamaraRefundEvent,
};
