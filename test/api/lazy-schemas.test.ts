// Route schemas are compiled on first use (a daemon that replays a capture
// and exits never compiles the routes nobody calls): every schema compiles
// (eagerSchemas), and the lazily compiled validators and serializers answer
// what the eager ones do, errors included.
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app';
import { createMetrics } from '../../src/metrics';
import { API_SETTINGS, openStore } from '../e2e/harness';

function setup(t: Test, eagerSchemas: boolean) {
  const store = openStore(t);
  const sp = store.sps.add({ name: 'a', confirmation: 'none' });
  const app = buildApp({
    store,
    settings: () => API_SETTINGS,
    metrics: createMetrics(),
    version: '9.9.9',
    serveMetrics: true,
    eagerSchemas,
  });
  t.teardown(() => app.close());
  return { app, auth: { authorization: `Bearer ${sp.apiKey}` } };
}

t.test('every route schema compiles (eager)', async (t) => {
  const { app } = setup(t, true);
  await app.ready();
  t.ok(app.printRoutes().includes('orders'), 'the routes are there');
});

t.test('lazy and eager: the same answers, validation errors included', async (t) => {
  const requests = [
    { method: 'POST', url: '/v1/orders', payload: { amount: 499, currency: 'EUR', reference: 'r1', description: 'd' } },
    { method: 'POST', url: '/v1/orders', payload: { amount: 'x', currency: 'EUR', reference: 'r2' } },
    { method: 'POST', url: '/v1/orders', payload: { amount: 1, currency: 'EUR', reference: 'r3', extra: true } },
    { method: 'GET', url: '/v1/orders?limit=1' },
    { method: 'GET', url: '/v1/orders?limit=nope' },
    { method: 'GET', url: '/v1/orders?limit=100000' },
    { method: 'GET', url: '/v1/events' },
    { method: 'GET', url: '/readyz' },
  ] as const;
  const answers: Record<string, unknown[]> = {};
  for (const eager of [false, true]) {
    const { app, auth } = setup(t, eager);
    answers[String(eager)] = [];
    for (const r of requests) {
      const res = await app.inject({ ...r, headers: auth });
      const body = res.json<Record<string, unknown>>();
      // ids, keys and times differ between the two stores
      for (const k of [
        'id',
        'token',
        'payUrl',
        'createdAt',
        'updatedAt',
        'expiresAt',
        'orders',
        'events',
        'nextCursor',
      ])
        if (k in body) body[k] = typeof body[k];
      answers[String(eager)]!.push([res.statusCode, body]);
    }
  }
  t.same(answers['false'], answers['true']);
  t.ok(
    (answers['false'] as [number, unknown][]).some(([s]) => s === 400),
    'validation errors are among them',
  );
});
