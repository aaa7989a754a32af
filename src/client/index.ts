// gnpay/client: what an SP platform needs to integrate (no dependency).
//
//   import { GnpayClient, verifyWebhook } from 'gnpay/client';
//   const gnpay = new GnpayClient({ baseUrl, apiKey });
//   const order = await gnpay.createOrder({ amount: 199, currency: 'EUR', reference: 'cart-42' });
//   redirect(order.payUrl);                                  // the phone opens it over the mobile network
//   // webhook handler:
//   const event = verifyWebhook(rawBody, req.headers, webhookSecret);
//   if (event.type === 'org.gnpay.order.paid') deliver(event.data.reference);
export { GnpayApiError, GnpayClient, GnpayNetworkError, parseRetryAfter } from './client';
export type { CallOptions, ClientOptions, EventsParams, ListOrdersParams } from './client';
export { ERROR_CODES, isErrorCode } from './codes';
export type { ErrorCode } from './codes';
export {
  computeSignature,
  EVENT_ID_HEADER,
  parseSignatureHeader,
  signatureHeader,
  SIGNATURE_HEADER,
  signatureMatches,
} from './signature';
export { verifyWebhook, WebhookVerificationError } from './webhook';
export type { VerifyOptions, WebhookErrorCode } from './webhook';
export * from './types';
