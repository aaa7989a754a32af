// docs/api.md: the receiver's verification snippet works, and rejects replayed
// and altered webhooks; the error registry, statuses and reasons are all documented.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signatureHeader } from '../../src/client/signature';
import { ERROR_CODES } from '../../src/client/codes';
import { ORDER_REASONS, ORDER_STATUSES } from '../../src/client/types';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');

t.test('the documented verification snippet', async (t) => {
  const js = /```js\n([\s\S]*?)```/.exec(doc)![1];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the test runs the snippet the documentation tells SPs to copy
  const verify = new Function('require', `${js}\nreturn verifyGnpayWebhook;`)(require) as (
    b: Buffer,
    h: string,
    s: string,
    tol?: number,
  ) => { id: string };
  const secret = 'whsec_doc';
  const body = Buffer.from(JSON.stringify({ specversion: '1.0', id: 'evt-9', type: 'org.gnpay.order.paid', data: {} }));
  const now = Math.floor(Date.now() / 1000);
  t.equal(verify(body, signatureHeader(secret, now, body), secret).id, 'evt-9', 'a fresh, genuine webhook');
  t.throws(() => verify(body, signatureHeader(secret, now - 600, body), secret), /stale/, 'replayed 10 minutes later');
  t.throws(
    () => verify(Buffer.from(body.toString().replace('paid', 'failed')), signatureHeader(secret, now, body), secret),
    /bad signature/,
    'altered body',
  );
  t.throws(
    () => verify(body, signatureHeader(secret, now, body).replace(/^t=\d+/, `t=${now + 1}`), secret),
    /bad signature/,
    'altered timestamp',
  );
  t.throws(() => verify(body, signatureHeader('other', now, body), secret), /bad signature/, 'another secret');
  t.throws(() => verify(body, '', secret), /stale or missing/);
});

t.test('the registry, the statuses and the reasons are documented', async (t) => {
  for (const [code, v] of Object.entries(ERROR_CODES))
    t.match(doc, new RegExp(`\\| \`${code}\` \\| ${v.status} \\|`), code);
  for (const s of ORDER_STATUSES) t.ok(doc.includes(s), s);
  for (const r of ORDER_REASONS) t.match(doc, new RegExp(`\\| \`${r}\` \\|`), r);
});
