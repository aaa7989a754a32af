// Small units: fetch error descriptions, the work loop's error path, error mapping, the kit's exports.
import t from 'tap';
import { describeFetchError } from '../../src/payments/drivers/http';
import { WorkLoop } from '../../src/payments/loop';
import { toErrorBody } from '../../src/api/errors';
import { safeEqual } from '../../src/store/ids';
import * as kit from '../../src/client';
import { until } from '../e2e/harness';

t.test('describeFetchError', async (t) => {
  const timeout = Object.assign(new Error('x'), { name: 'TimeoutError' });
  t.equal(describeFetchError(timeout, 5), 'timeout after 5 ms');
  t.equal(describeFetchError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }), 5), 'fetch failed: ECONNRESET');
  t.equal(describeFetchError(Object.assign(new Error('fetch failed'), { cause: { message: 'other side closed' } }), 5), 'fetch failed: other side closed');
  t.equal(describeFetchError(new Error('boom'), 5), 'boom');
});

t.test('WorkLoop: an error while leasing is reported and the loop goes on', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const handled: number[] = [];
  const loop = new WorkLoop<number>({
    concurrency: 2,
    pollMs: 10,
    lease: () => {
      calls++;
      if (calls === 1) throw new Error('database is locked');
      return calls === 2 ? [1, 2] : [];
    },
    handle: async (n) => {
      handled.push(n);
      if (n === 2) throw new Error('handler failed');
    },
    nextDueAt: () => null,
    onError: (e) => errors.push(e),
  });
  loop.start();
  await until(() => handled.length === 2 && errors.length === 2);
  t.ok(await loop.stop(100));
  t.same(errors.map((e) => (e as Error).message), ['database is locked', 'handler failed']);
});

t.test('toErrorBody maps what fastify throws', async (t) => {
  t.same(toErrorBody(Object.assign(new Error('Request body size did not match Content-Length'), { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 })), { status: 400, code: 'INVALID_ARGUMENT', message: 'the body is not valid JSON' });
  t.same(toErrorBody(Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_X', statusCode: 406 })), { status: 400, code: 'INVALID_ARGUMENT', message: 'Unsupported Media Type' });
  t.same(toErrorBody(new Error('x')), { status: 500, code: 'INTERNAL', message: 'internal error' });
  t.same(toErrorBody(Object.assign(new Error('x'), { validation: [{ instancePath: '', keyword: 'type', params: {} }], validationContext: undefined })), { status: 400, code: 'INVALID_ARGUMENT', message: 'request is invalid' });
});

t.test('safeEqual', async (t) => {
  t.equal(safeEqual('abc', 'abc'), true);
  t.equal(safeEqual('abc', 'abd'), false);
  t.equal(safeEqual('abc', 'abcd'), false);
});

t.test('the kit exports what docs/api.md names', async (t) => {
  for (const name of ['GnpayClient', 'GnpayApiError', 'GnpayNetworkError', 'parseRetryAfter', 'verifyWebhook', 'WebhookVerificationError', 'computeSignature', 'signatureHeader', 'parseSignatureHeader', 'signatureMatches', 'isErrorCode']) {
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
