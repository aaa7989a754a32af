// The route table: method, URL, schemas and documentation of every route. The
// app registers handlers for these; openapi.ts documents exactly these.
import * as S from './schemas';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** requires `Authorization: Bearer <api key>` */
  auth: boolean;
  schema: {
    params?: S.Schema;
    querystring?: S.Schema;
    headers?: S.Schema;
    body?: S.Schema;
    response: Record<number, S.Schema>;
  };
  /** non-JSON response media type (documentation only) */
  produces?: string;
}

const err = S.ErrorBody;
const authErrors = { 401: err, 429: err, 500: err, 503: err };

export const ROUTES: RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/orders',
    operationId: 'createOrder',
    summary: 'Create an order and get its payment token and pay URL',
    tags: ['orders'],
    auth: true,
    schema: {
      querystring: S.NoQuery,
      headers: S.IdempotencyHeaders,
      body: S.CreateOrderBody,
      response: { 201: S.Order, 400: err, 409: err, 413: err, 415: err, ...authErrors },
    },
  },
  {
    method: 'GET',
    url: '/v1/orders',
    operationId: 'listOrders',
    summary: 'List your orders, oldest first, optionally by status or reference',
    tags: ['orders'],
    auth: true,
    schema: { querystring: S.ListOrdersQuery, response: { 200: S.OrderList, 400: err, ...authErrors } },
  },
  {
    method: 'GET',
    url: '/v1/orders/:id',
    operationId: 'getOrder',
    summary: 'Get one of your orders',
    tags: ['orders'],
    auth: true,
    schema: {
      params: S.OrderIdParams,
      querystring: S.NoQuery,
      response: { 200: S.Order, 400: err, 404: err, ...authErrors },
    },
  },
  {
    method: 'POST',
    url: '/v1/orders/:id/cancel',
    operationId: 'cancelOrder',
    summary: 'Cancel a pending order (cancelling a cancelled order returns it unchanged)',
    tags: ['orders'],
    auth: true,
    schema: {
      params: S.OrderIdParams,
      querystring: S.NoQuery,
      body: S.EmptyBody,
      response: { 200: S.Order, 400: err, 404: err, 409: err, 415: err, ...authErrors },
    },
  },
  {
    method: 'POST',
    url: '/v1/orders/:id/refunds',
    operationId: 'createRefund',
    summary:
      'Give money of a paid order back, all that remains (no amount) or a part; exactly once per Idempotency-Key',
    tags: ['refunds'],
    auth: true,
    schema: {
      params: S.OrderIdParams,
      querystring: S.NoQuery,
      headers: S.IdempotencyHeaders,
      body: S.CreateRefundBody,
      response: { 201: S.Refund, 400: err, 404: err, 409: err, 413: err, 415: err, 422: err, 501: err, ...authErrors },
    },
  },
  {
    method: 'GET',
    url: '/v1/orders/:id/refunds',
    operationId: 'listRefunds',
    summary: "The order's refunds, oldest first, and the amount that remains to refund",
    tags: ['refunds'],
    auth: true,
    schema: {
      params: S.OrderIdParams,
      querystring: S.NoQuery,
      response: { 200: S.RefundList, 400: err, 404: err, ...authErrors },
    },
  },
  {
    method: 'GET',
    url: '/v1/orders/:id/refunds/:refundId',
    operationId: 'getRefund',
    summary: 'One refund of the order',
    tags: ['refunds'],
    auth: true,
    schema: {
      params: S.RefundIdParams,
      querystring: S.NoQuery,
      response: { 200: S.Refund, 400: err, 404: err, ...authErrors },
    },
  },
  {
    method: 'PUT',
    url: '/v1/webhook',
    operationId: 'setWebhook',
    summary:
      'Set (or clear, null) your webhook URL, and rotate your webhook secret (both secrets sign during the overlap)',
    tags: ['webhooks'],
    auth: true,
    schema: {
      querystring: S.NoQuery,
      body: S.SetWebhookBody,
      response: { 200: S.WebhookSettings, 400: err, 413: err, 415: err, ...authErrors },
    },
  },
  {
    method: 'POST',
    url: '/v1/test/orders/:id/simulate',
    operationId: 'simulateOrder',
    summary:
      'Sandbox (test keys only): play the subscriber of your order, paid, declined or expired; the state changes, events and webhooks follow as for a real order',
    tags: ['sandbox'],
    auth: true,
    schema: {
      params: S.OrderIdParams,
      querystring: S.NoQuery,
      body: S.SimulateBody,
      response: { 200: S.Order, 400: err, 403: err, 404: err, 409: err, 413: err, 415: err, ...authErrors },
    },
  },
  {
    method: 'GET',
    url: '/v1/events',
    operationId: 'listEvents',
    summary: 'State changes of your orders in commit order, after a cursor (poll it)',
    tags: ['events'],
    auth: true,
    schema: { querystring: S.EventsQuery, response: { 200: S.EventPage, 400: err, ...authErrors } },
  },
  {
    method: 'GET',
    url: '/openapi.json',
    operationId: 'openapi',
    summary: 'This OpenAPI document',
    tags: ['operations'],
    auth: false,
    schema: { querystring: S.NoQuery, response: { 200: S.OpenApiDocument, 400: err } },
  },
  {
    method: 'GET',
    url: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    auth: false,
    schema: { querystring: S.NoQuery, response: { 200: S.Health, 400: err } },
  },
  {
    method: 'GET',
    url: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: the database is open, the daemon is not starting or draining, and a capture source runs',
    tags: ['operations'],
    auth: false,
    schema: { querystring: S.NoQuery, response: { 200: S.Readiness, 400: err, 503: S.Readiness } },
  },
  {
    method: 'GET',
    url: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['operations'],
    auth: false,
    produces: 'text/plain',
    schema: { querystring: S.NoQuery, response: { 200: S.MetricsText, 400: err } },
  },
];
