// PUT /v1/webhook: an SP sets its own webhook URL and rotates its webhook
// secret, under the destination policy the operator's CLI applies.
import t from 'tap';
import { buildApp } from '../../src/api/app';
import { DestinationPolicy } from '../../src/webhooks/destination';
import { API_SETTINGS, openStore } from '../e2e/harness';

t.test('PUT /v1/webhook: set, clear, rotate the secret with an overlap; private destinations refused', async (t) => {
  const store = openStore(t);
  const { sp, apiKey, webhookSecret } = store.sps.add({ name: 'shop' });
  const app = buildApp({
    store,
    settings: () => API_SETTINGS,
    webhookPolicy: () => new DestinationPolicy(['192.0.2.0/24']),
  });
  t.teardown(() => app.close());
  const put = (payload: unknown) =>
    app.inject({
      method: 'PUT',
      url: '/v1/webhook',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: payload as object,
    });

  const set = await put({ url: 'https://shop.example/hooks' });
  t.equal(set.statusCode, 200, set.body);
  t.same(set.json(), { url: 'https://shop.example/hooks' });
  t.equal(store.sps.get(sp.id)!.webhookUrl, 'https://shop.example/hooks');
  t.same(store.sps.webhookSecrets(sp.id), [webhookSecret], 'the secret stays unless rotated');

  for (const bad of [
    'http://127.0.0.1/x',
    'http://169.254.169.254/latest',
    'http://[::1]/x',
    'http://10.1.2.3/x',
    'ftp://shop.example/x',
    'not a url',
  ]) {
    const r = await put({ url: bad });
    t.equal(r.statusCode, 400, bad);
    t.equal(r.json().code, 'INVALID_ARGUMENT');
  }
  t.equal((await put({ url: 'http://192.0.2.7/hook' })).statusCode, 200, 'a range the operator allows');

  const rot = await put({ url: 'https://shop.example/v2', rotateSecret: true, overlapSeconds: 3600 });
  t.equal(rot.statusCode, 200, rot.body);
  t.match(rot.json(), { url: 'https://shop.example/v2', secret: /^whsec_/, previousSecretValidUntil: /Z$/ });
  t.same(
    store.sps.webhookSecrets(sp.id).sort(),
    [rot.json().secret, webhookSecret].sort(),
    'both secrets sign during the overlap',
  );
  const off = await put({ url: null });
  t.same(off.json(), { url: null });
  t.equal(store.sps.get(sp.id)!.webhookUrl, null);
  t.equal((await put({ url: 'https://x.example', extra: 1 })).statusCode, 400);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/webhook', payload: { url: null } })).statusCode, 401);
});
