// Refunds in both dialects (POST /v1/orders/{id}/refunds and CAMARA
// carrier-billing-refund v0.3): total and partial, over-refund and refund of
// an unpaid order refused, exactly once through the refund outbox; the
// ledger credits back; the http driver's refund call against a platform that
// fails a share of calls (before or after applying them) gives every refund
// exactly once; the order shows partially_refunded/refunded, in the event feed too.
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app';
import { HttpDriver } from '../../src/payments/drivers/http';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import { PaymentWorker } from '../../src/payments/worker';
import type { Store } from '../../src/store';
import { API_SETTINGS, FakeClock, httpServer, openStore, until } from '../e2e/harness';
import { loadSpec, SPECS_ABSENT } from '../helpers/camara-spec';

const REFUND = '/carrier-billing-refund/v0.3';
const A = '34671999000';
const NO_LIMITS = { perTransaction: null, perMonth: null };
const spec = loadSpec('carrier-billing-refund');
if (!spec) t.skip(`schema validation: ${SPECS_ABSENT}`, () => {});

function conforms(t: Test, path: string, method: string, r: { statusCode: number; body: string }) {
  if (!spec) return;
  t.same(
    spec.checkResponse(path, method, r.statusCode, r.body === '' ? undefined : JSON.parse(r.body)),
    [],
    `${method.toUpperCase()} ${path} ${r.statusCode} conforms to CAMARA`,
  );
}

function setup(t: Test) {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ name: 'shop', confirmation: 'none', scopes: ['msisdn:read'] });
  const other = store.sps.add({ name: 'other' });
  const app = buildApp({ store, settings: () => API_SETTINGS, clock: clock.now, perMsisdnLimits: () => NO_LIMITS });
  t.teardown(() => app.close());
  const as = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
  store.ledger.credit(A, 1_000_000, { currency: 'EUR' });
  /** a paid order of `amount` minor units (one-step, charged by the ledger) */
  const paid = async (amount: number, ref = `r${Math.random()}`) => {
    const r = await app.inject({
      method: 'POST',
      url: '/carrier-billing/v0.5/payments',
      headers: as(sp.apiKey),
      payload: {
        amountTransaction: {
          phoneNumber: `+${A}`,
          referenceCode: ref,
          paymentAmount: { chargingInformation: { amount: amount / 100, currency: 'EUR', description: 'x' } },
        },
      },
    });
    t.equal(r.statusCode, 201, r.body);
    chargeAll(store);
    return store.orders.find(r.json().paymentId)!;
  };
  return { clock, store, sp, other, app, as, paid };
}

function chargeAll(store: Store) {
  const driver = new LedgerDriver(store.ledger);
  store.payments.processInTransaction('test', 100, (order) => {
    const r = driver.chargeInTransaction({
      idempotencyKey: order.id,
      msisdn: order.msisdn!,
      amount: order.amount,
      currency: order.currency,
      reference: order.reference,
      description: order.description,
    });
    return r.outcome === 'succeeded'
      ? { settlement: { status: 'paid' } }
      : { retryAt: Date.now() + 1000, lastError: 'x' };
  });
}

async function work(
  t: Test,
  store: Store,
  driver: LedgerDriver | HttpDriver = new LedgerDriver(store.ledger),
  clock?: FakeClock,
) {
  const done = () => {
    clock?.advance(10); // retries are due on the store's clock
    return store.db.prepare(`SELECT COUNT(*) FROM refunds WHERE status = 'pending'`).pluck().get() === 0;
  };
  const w = new PaymentWorker(store, {
    driver,
    concurrency: 4,
    maxAttempts: 50,
    backoff: { baseMs: 1, maxMs: 5 },
    leaseMs: 30_000,
    pollMs: 10,
  });
  w.start();
  try {
    await until(done, 30_000, 'refunds settled');
  } finally {
    await w.stop(2000);
  }
  t.pass('refunds settled');
}

t.test(
  '/v1: partial, total, over-refund and unpaid refused, idempotent, credited back, visible on the order and in the feed',
  async (t) => {
    const { store, sp, other, app, as, paid } = setup(t);
    const o = await paid(1000);
    t.equal(o.status, 'paid');
    const before = store.ledger.show(A).balances.EUR;
    const url = `/v1/orders/${o.id}/refunds`;
    const p1 = await app.inject({
      method: 'POST',
      url,
      headers: as(sp.apiKey, { 'idempotency-key': 'k1' }),
      payload: { amount: 300, reason: 'damaged' },
    });
    t.equal(p1.statusCode, 201, p1.body);
    t.match(p1.json(), {
      id: /^rfd_/,
      orderId: o.id,
      status: 'pending',
      amount: 300,
      currency: 'EUR',
      reason: 'damaged',
      failure: null,
      completedAt: null,
    });
    const again = await app.inject({
      method: 'POST',
      url,
      headers: as(sp.apiKey, { 'idempotency-key': 'k1' }),
      payload: { amount: 300, reason: 'damaged' },
    });
    t.equal(again.json().id, p1.json().id, 'the same key: the same refund');
    t.equal(again.headers['idempotent-replayed'], 'true');
    const clash = await app.inject({
      method: 'POST',
      url,
      headers: as(sp.apiKey, { 'idempotency-key': 'k1' }),
      payload: { amount: 301 },
    });
    t.equal(clash.json().code, 'CONFLICT');
    const over = await app.inject({ method: 'POST', url, headers: as(sp.apiKey), payload: { amount: 701 } });
    t.equal(over.statusCode, 422);
    t.equal(over.json().code, 'REFUND_EXCEEDS_REMAINING', 'a pending refund holds its amount');
    t.equal((await app.inject({ method: 'GET', url, headers: as(sp.apiKey) })).json().remainingAmount, 700);
    t.equal(
      (await app.inject({ method: 'POST', url, headers: as(other.apiKey), payload: {} })).statusCode,
      404,
      "another SP's order",
    );

    await work(t, store);
    t.equal(store.ledger.show(A).balances.EUR, before! + 300, 'the ledger credited 3.00 back');
    const g = await app.inject({ method: 'GET', url: `/v1/orders/${o.id}`, headers: as(sp.apiKey) });
    t.match(g.json(), { status: 'partially_refunded', refundedAmount: 300 });
    t.equal(g.json().completedAt, new Date(o.completed_at!).toISOString(), 'the payment keeps its completion time');
    t.equal(
      (await app.inject({ method: 'GET', url: `${url}/${p1.json().id}`, headers: as(sp.apiKey) })).json().status,
      'succeeded',
    );

    const total = await app.inject({ method: 'POST', url, headers: as(sp.apiKey), payload: {} });
    t.equal(total.json().amount, 700, 'no amount: all that remains');
    await work(t, store);
    t.equal(store.ledger.show(A).balances.EUR, before! + 1000);
    const after = await app.inject({ method: 'GET', url: `/v1/orders/${o.id}`, headers: as(sp.apiKey) });
    t.match(after.json(), { status: 'refunded', refundedAmount: 1000 });
    const list = await app.inject({ method: 'GET', url, headers: as(sp.apiKey) });
    t.same(
      list.json().refunds.map((r: { amount: number; status: string }) => [r.amount, r.status]),
      [
        [300, 'succeeded'],
        [700, 'succeeded'],
      ],
    );
    t.equal(list.json().remainingAmount, 0);
    const more = await app.inject({ method: 'POST', url, headers: as(sp.apiKey), payload: { amount: 1 } });
    t.equal(more.json().code, 'ORDER_NOT_REFUNDABLE');

    const events = (await app.inject({ method: 'GET', url: '/v1/events?limit=500', headers: as(sp.apiKey) }))
      .json()
      .events.filter((e: { subject: string }) => e.subject === o.id);
    t.same(events.map((e: { type: string }) => e.type).slice(-2), [
      'org.gnpay.order.partially_refunded',
      'org.gnpay.order.refunded',
    ]);
    t.equal(events[events.length - 1].data.refundedAmount, 1000);

    // an unpaid order: refused
    const pending = store.orders.create(
      sp.sp.id,
      { amount: 100, currency: 'EUR', reference: 'unpaid' },
      { payUrlTemplate: API_SETTINGS.payUrlTemplate, defaultTtlSeconds: 900, maxTtlSeconds: 900 },
    ).order;
    const unpaid = await app.inject({
      method: 'POST',
      url: `/v1/orders/${pending.id}/refunds`,
      headers: as(sp.apiKey),
      payload: {},
    });
    t.equal(unpaid.statusCode, 409);
    t.equal(unpaid.json().code, 'ORDER_NOT_REFUNDABLE');

    // a platform without refunds
    const noRefunds = buildApp({ store, settings: () => API_SETTINGS, refundsSupported: () => false });
    t.teardown(() => noRefunds.close());
    const o2 = await paid(500);
    t.equal(
      (
        await noRefunds.inject({
          method: 'POST',
          url: `/v1/orders/${o2.id}/refunds`,
          headers: as(sp.apiKey),
          payload: {},
        })
      ).json().code,
      'REFUNDS_NOT_SUPPORTED',
    );
  },
);

t.test(
  'CAMARA carrier-billing-refund v0.3: partial, total, list, get, remaining-amount, errors, notifications',
  async (t) => {
    const { store, sp, app, as, paid } = setup(t);
    const o = await paid(1999);
    const base = `${REFUND}/payments/${o.id}/refunds`;
    const partial = (amount: number, corr?: string) => ({
      type: 'partial',
      reason: 'partly broken',
      sink: 'https://sp.example.com/refunds',
      sinkCredential: {
        credentialType: 'ACCESSTOKEN',
        accessToken: 't',
        accessTokenType: 'bearer',
        accessTokenExpiresUtc: '2030-01-01T00:00:00Z',
      },
      amountTransaction: {
        ...(corr ? { clientCorrelator: corr } : {}),
        referenceCode: 'refund-1',
        refundAmount: { chargingInformation: { amount, currency: 'EUR', description: 'part' } },
      },
    });
    const r1 = await app.inject({
      method: 'POST',
      url: base,
      headers: as(sp.apiKey, { 'x-correlator': 'c-1' }),
      payload: partial(5.99, 'corr-1'),
    });
    t.equal(r1.statusCode, 201, r1.body);
    t.equal(r1.headers['x-correlator'], 'c-1');
    conforms(t, '/payments/{paymentId}/refunds', 'post', r1);
    t.match(r1.json(), {
      refundStatus: 'processing',
      type: 'partial',
      amountTransaction: {
        clientCorrelator: 'corr-1',
        refundAmount: { chargingInformation: { amount: 5.99, currency: 'EUR' } },
      },
    });
    t.equal(
      (await app.inject({ method: 'POST', url: base, headers: as(sp.apiKey), payload: partial(5.99, 'corr-1') })).json()
        .refundId,
      r1.json().refundId,
    );
    const dup = await app.inject({ method: 'POST', url: base, headers: as(sp.apiKey), payload: partial(1, 'corr-1') });
    t.equal(dup.json().code, 'ALREADY_EXISTS');
    conforms(t, '/payments/{paymentId}/refunds', 'post', dup);
    const over = await app.inject({ method: 'POST', url: base, headers: as(sp.apiKey), payload: partial(14.01) });
    t.equal(over.statusCode, 422);
    t.equal(over.json().code, 'CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT');
    conforms(t, '/payments/{paymentId}/refunds', 'post', over);
    const rem = await app.inject({ method: 'GET', url: `${base}/remaining-amount`, headers: as(sp.apiKey) });
    t.same(rem.json(), { amount: 14, currency: 'EUR' });
    conforms(t, '/payments/{paymentId}/refunds/remaining-amount', 'get', rem);

    await work(t, store);
    const g1 = await app.inject({ method: 'GET', url: `${base}/${r1.json().refundId}`, headers: as(sp.apiKey) });
    t.equal(g1.json().refundStatus, 'succeeded');
    t.ok(g1.json().refundDate);
    conforms(t, '/payments/{paymentId}/refunds/{refundId}', 'get', g1);
    const total = await app.inject({
      method: 'POST',
      url: base,
      headers: as(sp.apiKey),
      payload: { type: 'total', amountTransaction: { referenceCode: 'refund-2', refundAmount: {} } },
    });
    t.equal(total.statusCode, 201, total.body);
    conforms(t, '/payments/{paymentId}/refunds', 'post', total);
    await work(t, store);
    const l = await app.inject({ method: 'GET', url: base, headers: as(sp.apiKey) });
    t.equal(l.headers['x-total-count'], '2');
    t.same(
      l.json().map((r: { type: string; refundStatus: string }) => [r.type, r.refundStatus]),
      [
        ['partial', 'succeeded'],
        ['total', 'succeeded'],
      ],
    );
    conforms(t, '/payments/{paymentId}/refunds', 'get', l);
    t.same((await app.inject({ method: 'GET', url: `${base}/remaining-amount`, headers: as(sp.apiKey) })).json(), {
      amount: 0,
      currency: 'EUR',
    });
    const done = await app.inject({ method: 'POST', url: base, headers: as(sp.apiKey), payload: partial(1) });
    t.equal(done.json().code, 'CARRIER_BILLING_REFUND.PAYMENT_NOT_ELIGIBLE_FOR_REFUND');
    conforms(t, '/payments/{paymentId}/refunds', 'post', done);
    t.equal(store.orders.find(o.id)!.status, 'refunded');
    t.equal(
      (
        await app.inject({ method: 'GET', url: `/carrier-billing/v0.5/payments/${o.id}`, headers: as(sp.apiKey) })
      ).json().paymentStatus,
      'succeeded',
      'the payment itself succeeded',
    );

    // unpaid: INVALID_PAYMENT_STATUS; unknown: NOT_FOUND
    const prep = await app.inject({
      method: 'POST',
      url: '/carrier-billing/v0.5/payments/prepare',
      headers: as(sp.apiKey),
      payload: {
        amountTransaction: {
          referenceCode: 'p',
          paymentAmount: { chargingInformation: { amount: 1, currency: 'EUR', description: 'x' } },
        },
      },
    });
    const unpaid = await app.inject({
      method: 'POST',
      url: `${REFUND}/payments/${prep.json().paymentId}/refunds`,
      headers: as(sp.apiKey),
      payload: { type: 'total', amountTransaction: { referenceCode: 'x', refundAmount: {} } },
    });
    t.equal(unpaid.json().code, 'CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS');
    conforms(t, '/payments/{paymentId}/refunds', 'post', unpaid);
    const missing = await app.inject({
      method: 'GET',
      url: `${REFUND}/payments/ord_nothing/refunds`,
      headers: as(sp.apiKey),
    });
    t.equal(missing.statusCode, 404);
    conforms(t, '/payments/{paymentId}/refunds', 'get', missing);

    // the refund notification went to the refund's sink
    const n = store.camara
      .dueNotifications(100)
      .map((x) => ({ ...x, event: JSON.parse(x.body) }))
      .filter((x) => x.sink === 'https://sp.example.com/refunds');
    t.same(
      n.map((x) => x.event.type),
      ['org.camaraproject.carrier-billing-refund.v0.refund-completed'],
    );
    if (spec) t.same(spec.check('EventRefundCompleted', n[0]!.event), []);
    t.equal(store.secrets.open(n[0]!.token!), 't');
    t.match(n[0]!.token, /^aes256gcm:/, 'sealed at rest');
    t.notOk(
      (store.db.prepare('SELECT camara FROM refunds WHERE sink IS NOT NULL').pluck().get() as string).includes(
        '"accessToken"',
      ),
      'not in the stored request',
    );
  },
);

t.test(
  'the http driver: a platform failing a share of refund calls, before or after applying them: every refund exactly once',
  async (t) => {
    const { store, sp, app, as, paid, clock } = setup(t);
    const applied = new Map<string, number>();
    let calls = 0;
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const { url } = await httpServer(t, (req, body, res) => {
      calls++;
      const b = JSON.parse(body) as { idempotencyKey: string; amount: number };
      t.equal(req.headers['idempotency-key'], b.idempotencyKey);
      const roll = rand();
      if (roll < 0.2) return void res.writeHead(500).end('{"error":"before"}'); // failed before applying
      if (roll < 0.3) return void res.writeHead(429).end(); // refused: not applied
      const first = !applied.has(b.idempotencyKey);
      if (first) applied.set(b.idempotencyKey, b.amount);
      if (roll < 0.45) return void res.writeHead(503).end(); // applied, then failed: unknown
      if (roll < 0.55) return void req.socket.destroy(); // applied, connection dropped: unknown
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"succeeded"}');
    });
    const driver = new HttpDriver({ url: `${url}/charge`, refundUrl: `${url}/refund`, secret: 's', timeoutMs: 2000 });
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await paid(1000 + i));
    const want = new Map<string, number>();
    for (const o of orders) {
      for (const amount of [100, 200]) {
        const r = await app.inject({
          method: 'POST',
          url: `/v1/orders/${o.id}/refunds`,
          headers: as(sp.apiKey),
          payload: { amount },
        });
        want.set(r.json().id, amount);
      }
      const rest = await app.inject({
        method: 'POST',
        url: `/v1/orders/${o.id}/refunds`,
        headers: as(sp.apiKey),
        payload: {},
      });
      want.set(rest.json().id, rest.json().amount);
    }
    await work(t, store, driver, clock);
    t.ok(calls > want.size, `the platform failed some calls (${calls} calls for ${want.size} refunds)`);
    t.same(
      new Map([...applied].sort()),
      new Map([...want].sort()),
      'every refund applied exactly once, with its amount',
    );
    for (const o of orders) t.match(store.orders.find(o.id), { status: 'refunded', refunded_amount: o.amount });
    t.equal(store.db.prepare(`SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'`).pluck().get(), want.size);
  },
);

t.test('a refund attempt that outlived its lease cannot settle over the next one of the same worker', async (t) => {
  const { clock, store, sp, paid } = setup(t);
  const o = await paid(500);
  const { refund } = store.refunds.create(sp.sp.id, o.id, { amount: 200 });
  const [stale] = store.refunds.lease('w', 1, 10_000);
  t.equal(stale!.refund.id, refund.id);
  clock.advance(10_001); // its request hangs past the lease: the same worker takes the refund again
  const [next] = store.refunds.lease('w', 1, 10_000);
  t.equal(next!.attempt, stale!.attempt + 1);
  t.equal(store.refunds.retry(refund.id, 'w', clock.t, 'HTTP 429', false, stale!.attempt), false);
  t.equal(
    store.refunds.settle(refund.id, 'w', { status: 'failed', failure: 'x' }, null, stale!.attempt),
    null,
    'the stale attempt cannot fail it (its amount would be refundable again)',
  );
  t.equal(store.refunds.settle(refund.id, 'w', { status: 'succeeded' }, null, next!.attempt)!.refunded_amount, 200);
});
