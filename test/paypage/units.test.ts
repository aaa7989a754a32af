// Pay-page pieces on their own: where the token is in a request, locales,
// amounts, reasons a person understands, the certificate helper.
import t from 'tap';
import { selfSignedCert } from '../../src/paypage/cert';
import { escapeHtml, formatAmount, messagePage, pickLocale, reasonText, securityHeaders, STYLE_HASH } from '../../src/paypage/page';
import { tokenFromRequest } from '../../src/paypage/token';
import { ORDER_REASONS } from '../../src/client/types';
import { tmpDir } from '../e2e/harness';

const T = 'abcdefghijklmnopqrstuvwxyz';

t.test('the token where the template puts it', async (t) => {
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/pay/${T}`), T);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/pay/${T}/more?x=1`), T);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/other/${T}`), null);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', `${T.toUpperCase()}.Pay.example.net:443`, '/'), T);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', 'pay.example.net', '/'), null);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', `${T}.evil.example`, '/'), null);
  t.equal(tokenFromRequest('https://pay.example.net/p?pay_token={token}', 'pay.example.net', `/p?pay_token=${T}`), T);
  t.equal(tokenFromRequest('https://pay.example.net/p?pay_token={token}', 'pay.example.net', `/p?pay_token=${T}&pay_token=${T}`), null, 'one token per request');
  t.equal(tokenFromRequest('https://pay.example.net/p?pay_token={token}', 'pay.example.net', '/p?pay_token=short'), null);
  t.equal(tokenFromRequest('not a template', 'pay.example.net', '/'), null);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', 'http://[bad'), null);
});

t.test('locale, amounts, reasons, escaping, headers', async (t) => {
  t.equal(pickLocale('fr-CH, fr;q=0.9, en;q=0.8'), 'fr-CH');
  t.equal(pickLocale('*, xx-invalid-tag-that-is-far-too-long-to-be-anything'), 'en');
  t.equal(pickLocale('12345'), 'en', 'not a language tag');
  t.equal(pickLocale(undefined), 'en');
  t.match(formatAmount(199, 'EUR', 'en'), /€1\.99/);
  t.match(formatAmount(500, 'JPY', 'ja'), /500/);
  for (const r of [...ORDER_REASONS, null]) t.match(reasonText(r), /Nothing was charged|could not be completed/, String(r));
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.match(messagePage({ title: 'T', message: 'M', returnUrl: 'https://shop.example/?a=1&b="2"' }, 'en'), /href="https:\/\/shop\.example\/\?a=1&amp;b=&quot;2&quot;" rel="noreferrer">Back to the shop</);
  t.notOk('Strict-Transport-Security' in securityHeaders(false));
  t.match(securityHeaders(true)['Content-Security-Policy'], STYLE_HASH);
});

t.test('the certificate helper says what is missing', async (t) => {
  const dir = tmpDir(t);
  const old = process.env.PATH;
  process.env.PATH = dir;
  t.teardown(() => (process.env.PATH = old));
  t.throws(() => selfSignedCert(dir), /cannot make a certificate for pay\.example\.net with openssl \(apt-get install openssl\)/);
});
