// Where the token is in a pay-page request (src/paypage/token.ts).
import t from 'tap';
import { tokenFromRequest } from '../../src/paypage/token';

const T = 'abcdefghijklmnopqrstuvwxyz';

t.test('the token where the template puts it', async (t) => {
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/pay/${T}`), T);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/pay/${T}/more?x=1`), T);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', `/other/${T}`), null);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', `${T.toUpperCase()}.Pay.example.net:443`, '/'), T);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', 'pay.example.net', '/'), null);
  t.equal(tokenFromRequest('https://{token}.pay.example.net/', `${T}.evil.example`, '/'), null);
  t.equal(tokenFromRequest('https://pay.example.net/p?pay_token={token}', 'pay.example.net', `/p?pay_token=${T}`), T);
  t.equal(
    tokenFromRequest(
      'https://pay.example.net/p?pay_token={token}',
      'pay.example.net',
      `/p?pay_token=${T}&pay_token=${T}`,
    ),
    null,
    'one token per request',
  );
  t.equal(
    tokenFromRequest('https://pay.example.net/p?pay_token={token}', 'pay.example.net', '/p?pay_token=short'),
    null,
  );
  t.equal(tokenFromRequest('not a template', 'pay.example.net', '/'), null);
  t.equal(tokenFromRequest('https://pay.example.net/pay/{token}', 'pay.example.net', 'http://[bad'), null);
});
