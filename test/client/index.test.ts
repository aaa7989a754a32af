// The client kit's exports (src/client/index.ts) are what docs/api.md names.
import t from 'tap';
import * as kit from '../../src/client';

t.test('the kit exports what docs/api.md names', async (t) => {
  for (const name of [
    'GnpayClient',
    'GnpayApiError',
    'GnpayNetworkError',
    'parseRetryAfter',
    'verifyWebhook',
    'WebhookVerificationError',
    'computeSignature',
    'signatureHeader',
    'parseSignatureHeader',
    'signatureMatches',
    'isErrorCode',
  ]) {
    t.type((kit as Record<string, unknown>)[name], 'function', name);
  }
  t.equal(kit.SIGNATURE_HEADER, 'gnpay-signature');
  t.equal(kit.EVENT_ID_HEADER, 'gnpay-event-id');
  t.equal(kit.ERROR_CODES.NOT_FOUND.status, 404);
  t.ok(kit.ORDER_STATUSES.includes('paid'));
  t.ok(kit.FINAL_STATUSES.includes('conflict'));
  t.ok(kit.ORDER_REASONS.includes('TOKEN_CONFLICT'));
  t.equal(kit.isErrorCode('NOT_FOUND'), true);
  t.equal(kit.isErrorCode('toString'), false);
});
