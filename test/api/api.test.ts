import t, { type Test } from 'tap';
import { buildApp, type ApiSettings } from '../../src/api/app';
import { createMetrics } from '../../src/metrics';
import { API_SETTINGS, FakeClock, openStore, sighting } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

function setup(t: Test, settings: Partial<ApiSettings> = {}, extra: Record<string, unknown> = {}) {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  // one-step SPs: a sighting confirms (the pay page has its own tests)
  const a = store.sps.add({ name: 'a', webhookUrl: 'http://127.0.0.1:19/a', confirmation: 'none' });
  const b = store.sps.add({ name: 'b', scopes: ['msisdn:read'], confirmation: 'none' });
  let changes = 0;
  const metrics = createMetrics();
  const app = buildApp({
    store,
    settings: () => ({ ...API_SETTINGS, ...settings }),
    clock: clock.now,
    metrics,
    onChange: () => changes++,
    version: '9.9.9',
    ...extra,
  });
  t.teardown(() => app.close());
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  return { clock, store, a, b, app, as, metrics, changes: () => changes };
}

const body = { amount: 499, currency: 'EUR', reference: 'shop-1', description: 'a song' };

t.test('create, get, list, cancel: the order as the SP sees it', async (t) => {
  const { app, a, as, clock, changes } = setup(t);
  const r = await app.inject({ method: 'POST', url: '/v1/orders', headers: as(a.apiKey), payload: body });
  t.equal(r.statusCode, 201);
  const o = r.json();
  t.match(o, {
    id: /^ord_[a-z2-7]{26}$/,
    token: /^[a-z2-7]{26}$/,
    status: 'pending',
    amount: 499,
    currency: 'EUR',
    reference: 'shop-1',
    description: 'a song',
    msisdn: null,
    reason: null,
    identifiedAt: null,
    confirmedAt: null,
    completedAt: null,
    returnUrl: null,
  });
  t.equal(o.payUrl, `http://pay.example.net/pay?pay_token=${o.token}`);
  t.equal(Date.parse(o.expiresAt) - Date.parse(o.createdAt), 900_000);
  t.equal(r.headers['cache-control'], 'no-store');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready by default');
  t.ok(r.headers['x-correlator']);
  t.equal(changes(), 1);

  const g = await app.inject({
    method: 'GET',
    url: `/v1/orders/${o.id}`,
    headers: { ...as(a.apiKey), 'x-correlator': 'abc-123' },
  });
  t.equal(g.statusCode, 200);
  t.same(g.json(), o);
  t.equal(g.headers['x-correlator'], 'abc-123');

  await app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: as(a.apiKey),
    payload: { ...body, reference: 'shop-2', ttlSeconds: 60 },
  });
  const l = await app.inject({ method: 'GET', url: '/v1/orders?limit=1', headers: as(a.apiKey) });
  t.equal(l.json().orders.length, 1);
  t.equal(l.json().orders[0].id, o.id);
  const l2 = await app.inject({
    method: 'GET',
    url: `/v1/orders?limit=1&after=${l.json().nextCursor}`,
    headers: as(a.apiKey),
  });
  t.equal(l2.json().orders[0].reference, 'shop-2');
  t.equal(l2.json().nextCursor, null);
  const byRef = await app.inject({
    method: 'GET',
    url: '/v1/orders?reference=shop-2&status=pending',
    headers: as(a.apiKey),
  });
  t.equal(byRef.json().orders.length, 1);

  const c = await app.inject({ method: 'POST', url: `/v1/orders/${o.id}/cancel`, headers: as(a.apiKey) });
  t.equal(c.statusCode, 200);
  t.equal(c.json().status, 'cancelled');
  t.ok(c.json().completedAt);
  const c2 = await app.inject({
    method: 'POST',
    url: `/v1/orders/${o.id}/cancel`,
    headers: { ...as(a.apiKey), 'content-type': 'application/json' },
    payload: '{}',
  });
  t.equal(c2.json().status, 'cancelled', 'retrying a cancel is harmless');
  clock.advance(60_000);
  const e = await app.inject({ method: 'GET', url: `/v1/orders?status=expired`, headers: as(a.apiKey) });
  t.equal(e.json().orders[0].reference, 'shop-2');
  const c3 = await app.inject({
    method: 'POST',
    url: `/v1/orders/${e.json().orders[0].id}/cancel`,
    headers: as(a.apiKey),
  });
  t.same(c3.json(), {
    status: 409,
    code: 'ORDER_NOT_CANCELLABLE',
    message: `order ${e.json().orders[0].id} is expired, only an unconfirmed order can be cancelled`,
  });
});

t.test('idempotent creation', async (t) => {
  const { app, a, as, store } = setup(t);
  const h = { ...as(a.apiKey), 'idempotency-key': 'order-77' };
  const r1 = await app.inject({ method: 'POST', url: '/v1/orders', headers: h, payload: body });
  const r2 = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: h,
    payload: { description: 'a song', reference: 'shop-1', currency: 'EUR', amount: 499 },
  });
  t.equal(r2.statusCode, 201);
  t.equal(r2.headers['idempotent-replayed'], 'true');
  t.same(r2.json(), r1.json());
  const r3 = await app.inject({ method: 'POST', url: '/v1/orders', headers: h, payload: { ...body, amount: 500 } });
  t.same(r3.json(), {
    status: 409,
    code: 'CONFLICT',
    message: 'Idempotency-Key was already used with a different request body',
  });
  t.equal(store.orders.list(null).orders.length, 1);
});

t.test('MSISDN masked unless msisdn:read; events feed', async (t) => {
  const { app, a, b, as, store, clock } = setup(t);
  const oa = (await app.inject({ method: 'POST', url: '/v1/orders', headers: as(a.apiKey), payload: body })).json();
  const ob = (await app.inject({ method: 'POST', url: '/v1/orders', headers: as(b.apiKey), payload: body })).json();
  store.associator.process([sighting(oa.token, '4915112345689'), sighting(ob.token, '4915112345689')], {
    now: clock.t,
    sourceId: 't',
  });
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/orders/${oa.id}`, headers: as(a.apiKey) })).json().msisdn,
    '+49151******89',
  );
  t.equal(
    (await app.inject({ method: 'GET', url: `/v1/orders/${ob.id}`, headers: as(b.apiKey) })).json().msisdn,
    '+4915112345689',
  );

  const f = (await app.inject({ method: 'GET', url: '/v1/events', headers: as(a.apiKey) })).json();
  t.same(
    f.events.map((e: { type: string }) => e.type),
    ['org.gnpay.order.pending', 'org.gnpay.order.identified'],
  );
  t.equal(f.events[1].data.msisdn, '+49151******89');
  t.equal(f.events[0].data.status, 'pending', 'data is the order at that moment');
  t.equal(f.events[1].subject, oa.id);
  t.ok(
    f.events.every((e: { data: { id: string } }) => e.data.id === oa.id),
    'only its own orders',
  );
  t.equal(f.nextCursor, f.events[1].cursor);
  const f2 = (
    await app.inject({ method: 'GET', url: `/v1/events?after=${f.nextCursor}&limit=10`, headers: as(a.apiKey) })
  ).json();
  t.same(f2, { events: [], nextCursor: f.nextCursor });
  const f3 = (await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: as(b.apiKey) })).json();
  t.equal(f3.events.length, 1);
  t.equal(f3.events[0].data.msisdn, null);
});

t.test('operations routes: openapi, healthz, readyz, metrics', async (t) => {
  let ready = false;
  const { app, a, as, metrics, store } = setup(t, {}, { ready: () => ready, serveMetrics: true });
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  t.equal(doc.openapi, '3.1.0');
  t.equal(doc.info.version, '9.9.9');
  t.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
  const nr = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(nr.statusCode, 503);
  t.same(nr.json(), { status: 'unavailable', reason: 'starting or stopping' });
  const draining = await app.inject({
    method: 'GET',
    url: '/v1/orders',
    headers: { ...as(a.apiKey), 'x-correlator': 'drain-1' },
  });
  t.same(draining.json(), { status: 503, code: 'UNAVAILABLE', message: 'gnpay is starting or shutting down; retry' });
  t.equal(draining.headers['x-correlator'], 'drain-1');
  ready = true;
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  await app.inject({ method: 'POST', url: '/v1/orders', headers: as(a.apiKey), payload: body });
  metrics.ordersByStatus = () => ({ pending: 1 });
  const m = await app.inject({ method: 'GET', url: '/metrics' });
  t.match(m.headers['content-type'], /^text\/plain/);
  t.match(m.body, /gnpay_http_requests_total\{listener="api",method="POST",route="\/v1\/orders",status="201"\} 1/);
  t.match(
    m.body,
    /gnpay_http_requests_total\{listener="api",method="GET",route="\/v1\/events",status="200"\} 0/,
    'every route has its series from the start',
  );
  t.match(m.body, /gnpay_orders\{status="pending"\} 1/);
  t.match(m.body, /gnpay_orders\{status="paid"\} 0/);
  metrics.ordersByStatus = null;
  t.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /gnpay_orders gauge/);
  store.close();
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503, 'not ready with the database closed');
});

t.test('an unexpected error is INTERNAL, logged, and leaks nothing', async (t) => {
  const logs: string[] = [];
  const pino = (await import('pino')).default;
  const logger = pino({ level: 'info' }, { write: (s: string) => logs.push(s) });
  const { app, a, as, store } = setup(t, {}, { logger });
  store.db.exec('DROP TABLE events');
  const r = await app.inject({ method: 'POST', url: '/v1/orders', headers: as(a.apiKey), payload: body });
  t.same(r.json(), { status: 500, code: 'INTERNAL', message: 'internal error' });
  t.equal(logs.length, 2, 'the error, then the access line');
  t.match(logs[0], /request failed/);
  const err = JSON.parse(logs[0]!).err;
  t.match(err, { type: 'SqliteError', message: /no such table: events/ }, 'the error with its type and message');
  t.match(err.stack, /SqliteError: no such table/, 'and its stack');
  const access = JSON.parse(logs[1]!);
  t.match(access, {
    msg: 'request',
    method: 'POST',
    route: '/v1/orders',
    status: 500,
    spId: a.sp.id,
    correlator: r.headers['x-correlator'],
  });
  t.type(access.ms, 'number');
  t.notOk(logs.join('').includes(a.apiKey));
});

t.test('rate limit per SP key on order creation', async (t) => {
  const { app, a, b, as, clock } = setup(t, { ordersPerMinute: 2 });
  const create = (key: string) => app.inject({ method: 'POST', url: '/v1/orders', headers: as(key), payload: body });
  t.equal((await create(a.apiKey)).statusCode, 201);
  t.equal((await create(a.apiKey)).statusCode, 201);
  const limited = await create(a.apiKey);
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['retry-after'], '30');
  t.same(limited.json(), {
    status: 429,
    code: 'TOO_MANY_REQUESTS',
    message: 'more than 2 orders per minute; retry after 30 s',
  });
  t.equal((await create(b.apiKey)).statusCode, 201, 'per key');
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/orders', headers: as(a.apiKey) })).statusCode,
    200,
    'only creation is limited',
  );
  clock.advance(30_000);
  t.equal((await create(a.apiKey)).statusCode, 201);
});

t.test('returnUrl: only on an origin registered for the SP', async (t) => {
  const { app, a, as, store } = setup(t);
  const post = (returnUrl: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: as(a.apiKey),
      payload: { ...body, reference: `r-${String(returnUrl)}`, returnUrl },
    });
  const none = await post('https://shop.example/done');
  t.equal(none.statusCode, 400);
  t.match(none.json().message, /origin https:\/\/shop\.example is not registered/);
  store.sps.configure(a.sp.id, { returnOrigins: ['https://shop.example/ignored-path', 'http://shop.example:8080'] });
  t.same(store.sps.get(a.sp.id)!.returnOrigins, ['https://shop.example', 'http://shop.example:8080']);
  const ok = await post('https://shop.example/done?cart=1');
  t.equal(ok.statusCode, 201);
  t.equal(ok.json().returnUrl, 'https://shop.example/done?cart=1');
  t.equal((await post('http://shop.example:8080/x')).statusCode, 201);
  t.equal((await post('https://shop.example.evil.test/')).statusCode, 400, 'a look-alike origin');
  t.equal((await post('https://user:pw@shop.example/')).statusCode, 400, 'credentials');
  t.equal((await post('javascript:alert(1)')).statusCode, 400, 'not http(s)');
  t.equal((await post(7)).statusCode, 400);
  t.throws(() => store.sps.configure(a.sp.id, { returnOrigins: ['ftp://x'] }), /not an http\(s\) origin/);
  t.throws(() => store.sps.configure(a.sp.id, { confirmation: 'maybe' as never }), /confirmation must be/);
  t.throws(() => store.sps.configure('sp_nobody', {}), /no SP/);
});
