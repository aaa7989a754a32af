// Pay URL templates and the carriers they imply (src/store/payurl.ts).
import t from 'tap';
import { parsePayUrlTemplate, renderPayUrl } from '../../src/store/payurl';

t.test('pay URL templates and their carriers', async (t) => {
  t.same(parsePayUrlTemplate('http://pay.example.net/pay?pay_token={token}'), { carrier: 'query:pay_token' });
  t.same(parsePayUrlTemplate('http://pay.example.net/pay?a=1&t%5Fk={token}&b=2'), { carrier: 'query:t_k' });
  t.same(parsePayUrlTemplate('https://{token}.Pay.Example.net/'), { carrier: 'host:pay.example.net' });
  t.same(parsePayUrlTemplate('https://{token}.pay.example.net:8443/x'), { carrier: 'host:pay.example.net' });
  t.same(parsePayUrlTemplate('http://pay.example.net/p/q/{token}/ok'), { carrier: 'path:/p/q/' });
  t.same(parsePayUrlTemplate('http://pay.example.net/p/{token}'), { carrier: 'path:/p/' });
  for (const bad of [
    'http://x/{token}/{token}',
    'http://x/',
    'ftp://x/{token}',
    '{token}',
    'http://a{token}.x/',
    'http://x/{token}',
    'http://x/a{token}',
    'http://x/?a=b{token}',
    'http://x/#{token}',
  ]) {
    t.throws(() => parsePayUrlTemplate(bad), bad);
  }
  t.equal(renderPayUrl('https://{token}.p.net/', 'abc'), 'https://abc.p.net/');
});
