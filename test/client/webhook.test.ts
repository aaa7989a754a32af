// verifyWebhook: the SP's side of the webhook signature (issue 5 and 6).
import t from 'tap';
import {
  computeSignature,
  parseSignatureHeader,
  signatureHeader,
  verifyWebhook,
  WebhookVerificationError,
} from '../../src/client';
import { eventView } from '../../src/store/views';

const secret = 'whsec_test';
const now = 1_750_000_000_000;
const event = eventView(
  {
    seq: 3,
    id: 'evt-1',
    sp_id: 'sp_x',
    order_id: 'ord_x',
    status: 'paid',
    previous_status: 'identified',
    time: now,
    snapshot: JSON.stringify({
      id: 'ord_x',
      sp_id: 'sp_x',
      token: 't',
      pay_url: 'u',
      amount: 199,
      currency: 'EUR',
      reference: 'cart-1',
      description: '',
      status: 'paid',
      reason: null,
      msisdn: '491511234567',
      created_at: now,
      updated_at: now,
      expires_at: now,
      associated_at: now,
      completed_at: now,
    }),
  },
  [],
  '3',
);
const body = JSON.stringify(event);
const signed = (b = body, t = now / 1000, s = secret) => ({
  'Gnpay-Signature': signatureHeader(s, t, b),
  'content-type': 'application/cloudevents+json',
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.code;
    throw e;
  }
  return 'VERIFIED';
}

t.test('a genuine webhook verifies and returns the typed event', async (t) => {
  const e = verifyWebhook(body, signed(), secret, { now });
  t.equal(e.type, 'org.gnpay.order.paid');
  t.equal(e.data.reference, 'cart-1');
  t.equal(e.data.msisdn, '+49151*****67');
  t.equal(verifyWebhook(Buffer.from(body), signed(), secret, { now }).id, 'evt-1', 'raw bytes work too');
  const h = new Headers(signed());
  t.equal(verifyWebhook(body, h, secret, { now }).id, 'evt-1', 'a fetch Headers object works');
  t.equal(
    verifyWebhook(body, { 'gnpay-signature': [signed()['Gnpay-Signature']] }, secret, { now }).id,
    'evt-1',
    'array header values',
  );
  t.equal(
    code(() => verifyWebhook(body, signed(body, now / 1000 - 299), secret, { now })),
    'VERIFIED',
    'within the tolerance',
  );
  // secret rotation: two signatures, one with the new secret
  const two = `t=${now / 1000},v1=${computeSignature('old', now / 1000, body)},v1=${computeSignature(secret, now / 1000, body)},v0=zzz`;
  t.equal(verifyWebhook(body, { 'gnpay-signature': two }, secret, { now }).id, 'evt-1');
  t.ok(Math.abs(Date.now() - now) > 300_000, 'the default clock is now');
  t.equal(
    code(() => verifyWebhook(body, signed(), secret)),
    'TIMESTAMP_OUT_OF_TOLERANCE',
  );
});

t.test('replayed, tampered or forged webhooks fail', async (t) => {
  t.equal(
    code(() => verifyWebhook(body, signed(), secret, { now: now + 301_000 })),
    'TIMESTAMP_OUT_OF_TOLERANCE',
    'replayed after 5 minutes',
  );
  t.equal(
    code(() => verifyWebhook(body, signed(), secret, { now: now + 3_600_000, toleranceSeconds: 7200 })),
    'VERIFIED',
    'tolerance is configurable',
  );
  t.equal(
    code(() => verifyWebhook(body, signed(body, now / 1000 + 600), secret, { now })),
    'TIMESTAMP_OUT_OF_TOLERANCE',
    'from the future',
  );
  const tampered = body.replace('"amount":199', '"amount":1');
  t.not(tampered, body);
  t.equal(
    code(() => verifyWebhook(tampered, signed(), secret, { now })),
    'SIGNATURE_MISMATCH',
    'altered body',
  );
  const header = signed()['Gnpay-Signature'];
  const newT = header.replace(/^t=\d+/, `t=${now / 1000 + 10}`);
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': newT }, secret, { now })),
    'SIGNATURE_MISMATCH',
    'altered timestamp (to beat the tolerance)',
  );
  t.equal(
    code(() => verifyWebhook(body, signed(body, now / 1000, 'whsec_other'), secret, { now })),
    'SIGNATURE_MISMATCH',
    'another secret',
  );
  t.equal(
    code(() => verifyWebhook(body, {}, secret, { now })),
    'MISSING_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, new Headers(), secret, { now })),
    'MISSING_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': 'sha256=abc' }, secret, { now })),
    'MALFORMED_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': `t=abc,v1=${'0'.repeat(64)}` }, secret, { now })),
    'MALFORMED_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': `t=${now / 1000},v1=xyz` }, secret, { now })),
    'MALFORMED_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': `t=${now / 1000}` }, secret, { now })),
    'MALFORMED_SIGNATURE',
  );
  t.equal(
    code(() => verifyWebhook(body, { 'gnpay-signature': `garbage` }, secret, { now })),
    'MALFORMED_SIGNATURE',
  );
  t.equal(parseSignatureHeader(` t = 5 , v1 = ${'a'.repeat(64)} `)?.timestamp, 5);
  const notJson = 'not json';
  t.equal(
    code(() => verifyWebhook(notJson, signed(notJson), secret, { now })),
    'INVALID_PAYLOAD',
  );
  for (const other of [
    {},
    null,
    { ...event, specversion: '0.3' },
    { ...event, type: 'com.other.thing' },
    { ...event, type: 'org.gnpay.order.stolen' },
    { ...event, data: null },
    { ...event, id: 5 },
    { ...event, type: 7 },
  ]) {
    const b = JSON.stringify(other);
    t.equal(
      code(() => verifyWebhook(b, signed(b), secret, { now })),
      'INVALID_PAYLOAD',
      b.slice(0, 60),
    );
  }
});
