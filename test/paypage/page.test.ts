// Pay-page rendering (src/paypage/page.ts): locales, amounts, reasons a person
// understands, escaping, security headers.
import t from 'tap';
import {
  escapeHtml,
  formatAmount,
  messagePage,
  pickLocale,
  reasonText,
  securityHeaders,
  STYLE_HASH,
} from '../../src/paypage/page';
import { ORDER_REASONS } from '../../src/client/types';

t.test('locale, amounts, reasons, escaping, headers', async (t) => {
  t.equal(pickLocale('fr-CH, fr;q=0.9, en;q=0.8'), 'fr-CH');
  t.equal(pickLocale('*, xx-invalid-tag-that-is-far-too-long-to-be-anything'), 'en');
  t.equal(pickLocale('12345'), 'en', 'not a language tag');
  t.equal(pickLocale(undefined), 'en');
  t.match(formatAmount(199, 'EUR', 'en'), /€1\.99/);
  t.match(formatAmount(500, 'JPY', 'ja'), /500/);
  for (const r of [...ORDER_REASONS, null])
    t.match(reasonText(r), /Nothing was charged|could not be completed/, String(r));
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.match(
    messagePage({ title: 'T', message: 'M', returnUrl: 'https://shop.example/?a=1&b="2"' }, 'en'),
    /href="https:\/\/shop\.example\/\?a=1&amp;b=&quot;2&quot;" rel="noreferrer">Back to the shop</,
  );
  t.notOk('Strict-Transport-Security' in securityHeaders(false));
  t.match(securityHeaders(true)['Content-Security-Policy'], STYLE_HASH);
});
