// Number Verification v2.1 from passive network authentication: /authorize on
// the pay listener binds the device's HTTPS connection to the MSISDN (as the
// pay page does) and redirects with a code; /oauth2/token exchanges it (PKCE
// S256, the SP's key) for a short-lived token bound to that MSISDN; /verify
// and /device-phone-number answer from it; an unbound connection's token is
// refused with NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK.
// Responses are validated against CAMARA's definition.
import { createHash, randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app';
import { PayServer } from '../../src/paypage/server';
import { API_SETTINGS, FakeClock, openStore, TEMPLATE, tmpDir } from '../e2e/harness';
import { loadSpec, SPECS_ABSENT } from '../helpers/camara-spec';
import { hello, makeCert, PayClient } from '../helpers/paypage';

const A = '491701234567';
const spec = loadSpec('number-verification');
if (!spec) t.skip(`schema validation: ${SPECS_ABSENT}`, () => {});

function conforms(t: Test, path: string, method: string, r: { statusCode: number; body: string }) {
  if (!spec) return;
  t.same(
    spec.checkResponse(path, method, r.statusCode, JSON.parse(r.body)),
    [],
    `${method.toUpperCase()} ${path} ${r.statusCode} conforms to CAMARA`,
  );
}

async function setup(t: Test) {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const { cert, key } = makeCert(tmpDir(t));
  const pay = new PayServer({
    store,
    payUrlTemplate: () => TEMPLATE,
    limits: () => ({ perTransaction: null, perMonth: null }),
    tls: { cert, key },
    bindTimeoutMs: 1000,
  });
  const base = await pay.listen('127.0.0.1', 0);
  const app = buildApp({ store, settings: () => API_SETTINGS, clock: clock.now });
  const clients: PayClient[] = [];
  t.teardown(async () => {
    clients.forEach((c) => c.close());
    await pay.close();
    await app.close();
  });
  const sp = store.sps.add({ name: 'Bank', returnOrigins: ['https://bank.example'] });
  const other = store.sps.add({ name: 'Other', returnOrigins: ['https://other.example'] });
  const device = (msisdn: string | null) => {
    const c = new PayClient(base);
    c.onRandom = (r) => {
      if (msisdn !== null) store.bindings.record(hello(r, msisdn));
    };
    clients.push(c);
    return c;
  };
  return { clock, store, app, sp, other, device };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const REDIRECT = 'https://bank.example/cb';
const authorizeUrl = (clientId: string, challenge: string, extra: Record<string, string> = {}) =>
  `/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 'st-1', scope: 'openid number-verification:verify number-verification:device-phone-number:read', code_challenge: challenge, code_challenge_method: 'S256', ...extra })}`;

t.test('a bound device: code -> token -> verify and device-phone-number', async (t) => {
  const { app, sp, other, device } = await setup(t);
  const p = pkce();
  const r = await device(A).request('GET', authorizeUrl(sp.sp.id, p.challenge));
  t.equal(r.status, 302, 'redirected with no page shown');
  const loc = new URL(String(r.headers.location));
  t.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
  t.equal(loc.searchParams.get('state'), 'st-1');
  const code = loc.searchParams.get('code')!;
  t.ok(code);
  t.equal(r.headers['cache-control'], 'no-store');

  const form = (o: Record<string, string>) => ({
    'content-type': 'application/x-www-form-urlencoded',
    payload: new URLSearchParams(o).toString(),
  });
  const tokenReq = (key: string, o: Record<string, string>) => {
    const f = form(o);
    return app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: `Bearer ${key}`, 'content-type': f['content-type'] },
      payload: f.payload,
    });
  };
  const wrongVerifier = await tokenReq(sp.apiKey, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    code_verifier: pkce().verifier,
  });
  t.equal(wrongVerifier.statusCode, 400);
  t.equal(wrongVerifier.json().error, 'invalid_grant');
  t.equal(
    (
      await tokenReq(sp.apiKey, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: p.verifier,
      })
    ).json().error,
    'invalid_grant',
    'a code is used once, even by a failed exchange',
  );

  const r2 = await device(A).request('GET', authorizeUrl(sp.sp.id, p.challenge));
  const code2 = new URL(String(r2.headers.location)).searchParams.get('code')!;
  t.equal(
    (
      await tokenReq(other.apiKey, {
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: REDIRECT,
        code_verifier: p.verifier,
      })
    ).json().error,
    'invalid_grant',
    "another client cannot use the SP's code",
  );
  const r3 = await device(A).request('GET', authorizeUrl(sp.sp.id, p.challenge));
  const code3 = new URL(String(r3.headers.location)).searchParams.get('code')!;
  const tok = await tokenReq(sp.apiKey, {
    grant_type: 'authorization_code',
    code: code3,
    redirect_uri: REDIRECT,
    code_verifier: p.verifier,
    client_id: sp.sp.id,
  });
  t.equal(tok.statusCode, 200, tok.body);
  t.match(tok.json(), { token_type: 'Bearer', expires_in: 300, access_token: /^[A-Za-z0-9_-]{43}$/ });
  const bearer = { authorization: `Bearer ${tok.json().access_token}` };

  const yes = await app.inject({
    method: 'POST',
    url: '/number-verification/v2/verify',
    headers: bearer,
    payload: { phoneNumber: `+${A}` },
  });
  t.same(yes.json(), { devicePhoneNumberVerified: true });
  conforms(t, '/verify', 'post', yes);
  const no = await app.inject({
    method: 'POST',
    url: '/number-verification/v2/verify',
    headers: bearer,
    payload: { phoneNumber: '+491700000000' },
  });
  t.same(no.json(), { devicePhoneNumberVerified: false });
  const hashed = await app.inject({
    method: 'POST',
    url: '/number-verification/v2/verify',
    headers: bearer,
    payload: { hashedPhoneNumber: createHash('sha256').update(`+${A}`).digest('hex') },
  });
  t.same(hashed.json(), { devicePhoneNumberVerified: true });
  const both = await app.inject({
    method: 'POST',
    url: '/number-verification/v2/verify',
    headers: bearer,
    payload: { phoneNumber: `+${A}`, hashedPhoneNumber: 'a'.repeat(64) },
  });
  t.equal(both.statusCode, 400);
  conforms(t, '/verify', 'post', both);
  const share = await app.inject({
    method: 'GET',
    url: '/number-verification/v2/device-phone-number',
    headers: bearer,
  });
  t.same(share.json(), { devicePhoneNumber: `+${A}` });
  conforms(t, '/device-phone-number', 'get', share);
  const noToken = await app.inject({
    method: 'GET',
    url: '/number-verification/v2/device-phone-number',
    headers: { authorization: `Bearer ${sp.apiKey}` },
  });
  t.equal(noToken.statusCode, 401, 'an API key is not an access token');
  conforms(t, '/device-phone-number', 'get', noToken);
});

t.test(
  'an unbound connection: USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK; bad requests never redirect to unregistered URIs',
  async (t) => {
    const { app, sp, device, clock } = await setup(t);
    const p = pkce();
    const r = await device(null).request('GET', authorizeUrl(sp.sp.id, p.challenge));
    t.equal(r.status, 302);
    const code = new URL(String(r.headers.location)).searchParams.get('code')!;
    const tok = await app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: `Bearer ${sp.apiKey}` },
      payload: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier },
    });
    t.equal(tok.statusCode, 200, 'JSON bodies are accepted too');
    const v = await app.inject({
      method: 'POST',
      url: '/number-verification/v2/verify',
      headers: { authorization: `Bearer ${tok.json().access_token}` },
      payload: { phoneNumber: `+${A}` },
    });
    t.equal(v.statusCode, 403);
    t.equal(v.json().code, 'NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK');
    conforms(t, '/verify', 'post', v);

    const d = device(A);
    const unknown = await d.request('GET', authorizeUrl('sp_nobody', p.challenge));
    t.equal(unknown.status, 400);
    t.notOk(unknown.headers.location);
    const evil = await d.request(
      'GET',
      authorizeUrl(sp.sp.id, p.challenge, { redirect_uri: 'https://evil.example/cb' }),
    );
    t.equal(evil.status, 400);
    t.notOk(evil.headers.location, 'an unregistered redirect_uri gets no redirect (and no code)');
    const noPkce = await d.request('GET', authorizeUrl(sp.sp.id, p.challenge, { code_challenge_method: 'plain' }));
    t.match(String(noPkce.headers.location), /error=invalid_request/);
    const scope = await d.request(
      'GET',
      authorizeUrl(sp.sp.id, p.challenge, { scope: 'openid carrier-billing:payments:create' }),
    );
    t.match(String(scope.headers.location), /error=invalid_scope/);

    // tokens are short-lived
    const r2 = await d.request('GET', authorizeUrl(sp.sp.id, p.challenge));
    const code2 = new URL(String(r2.headers.location)).searchParams.get('code')!;
    const tok2 = await app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { authorization: `Bearer ${sp.apiKey}` },
      payload: { grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT, code_verifier: p.verifier },
    });
    clock.advance(301_000);
    const late = await app.inject({
      method: 'GET',
      url: '/number-verification/v2/device-phone-number',
      headers: { authorization: `Bearer ${tok2.json().access_token}` },
    });
    t.equal(late.statusCode, 401);
  },
);
