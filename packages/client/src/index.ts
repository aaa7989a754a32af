// @gnpay/client: what an SP platform needs to integrate with gnpay. No
// dependency; fetch and Web Crypto only (Node 18+, Deno, Bun, browsers, edge).
//
//   import { GnpayClient, verifyWebhook } from '@gnpay/client';
//   const gnpay = new GnpayClient({ baseUrl, apiKey });
//   const order = await gnpay.createOrder({ amount: 199, currency: 'EUR', reference: 'cart-42' });
//   redirect(order.payUrl);                                  // the phone opens it over the mobile network
//   // webhook handler (the raw body as received):
//   const event = await verifyWebhook(rawBody, req.headers, webhookSecret);
//   if (event.type === 'org.gnpay.order.paid') deliver(event.data.reference);
//
// codes.ts, types.ts and client.ts are written by `npm run docs` from the
// daemon's src/client (one source); the types are checked against the
// OpenAPI document by test/api/openapi.test.ts.
export { GnpayApiError, GnpayClient, GnpayNetworkError, parseRetryAfter } from './client.js';
export type { CallOptions, ClientOptions, EventsParams, ListOrdersParams } from './client.js';
export { ERROR_CODES, isErrorCode } from './codes.js';
export type { ErrorCode } from './codes.js';
export {
  computeSignature,
  EVENT_ID_HEADER,
  parseSignatureHeader,
  SIGNATURE_HEADER,
  signatureMatches,
} from './signature.js';
export type { ParsedSignature } from './signature.js';
export { verifyWebhook, WebhookVerificationError } from './webhook.js';
export type { VerifyOptions, WebhookErrorCode } from './webhook.js';
export * from './types.js';
