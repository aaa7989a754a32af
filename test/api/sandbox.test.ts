// The sandbox: a test SP's orders never reach a subscriber (no sighting, no
// pay-page lookup finds them, no subscriber's limits count them) or the
// payment platform (no driver call); POST /v1/test/orders/{id}/simulate plays
// the subscriber through the same paths as a real one, with the same state
// changes, events, webhooks and CAMARA notifications; a live key gets 403
// TEST_KEY_REQUIRED.
import t, { type Test } from 'tap';
import { buildApp } from '../../src/api/app';
import { PaymentWorker } from '../../src/payments/worker';
import type { PaymentDriver } from '../../src/payments/types';
import type { Store } from '../../src/store';
import { API_SETTINGS, openStore, sighting, until } from '../e2e/harness';

const NO_LIMITS = { perTransaction: 50, perMonth: null };

function setup(t: Test) {
  const store = openStore(t);
  const test = store.sps.add({ name: 'Dev shop', webhookUrl: 'https://shop.example/hook', test: true });
  const live = store.sps.add({ name: 'Live shop', webhookUrl: 'https://shop.example/hook' });
  const oneStep = store.sps.add({ name: 'Dev one-step', confirmation: 'none', test: true });
  const app = buildApp({ store, settings: () => API_SETTINGS, perMsisdnLimits: () => NO_LIMITS });
  t.teardown(() => app.close());
  // the platform: every call is counted, none may come from a sandbox order
  const calls: string[] = [];
  const driver: PaymentDriver = {
    name: 'counting',
    async charge(req) {
      calls.push(`charge ${req.idempotencyKey}`);
      return { outcome: 'succeeded' };
    },
    async refund(req) {
      calls.push(`refund ${req.idempotencyKey}`);
      return { outcome: 'succeeded' };
    },
  };
  const worker = new PaymentWorker(store, {
    driver,
    concurrency: 2,
    maxAttempts: 3,
    backoff: { baseMs: 10, maxMs: 50 },
    leaseMs: 10_000,
    pollMs: 20,
  });
  worker.start();
  t.teardown(() => worker.stop(1000));
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const create = async (key: string, amount = 499) =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: as(key),
        payload: { amount, currency: 'EUR', reference: 'cart-1' },
      })
    ).json();
  const simulate = (key: string, id: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/v1/test/orders/${id}/simulate`, headers: as(key), payload });
  return { store, test, live, oneStep, app, calls, worker, as, create, simulate };
}

const webhookTypes = (store: Store, orderId: string) =>
  store.db
    .prepare(
      'SELECT e.status FROM webhook_outbox w JOIN events e ON e.seq = w.event_seq WHERE w.order_id = ? ORDER BY w.id',
    )
    .pluck()
    .all(orderId) as string[];

t.test(
  'a test key: paid, declined and expired simulated with the events and webhooks of real orders, no platform call',
  async (t) => {
    const { store, test, app, calls, worker, as, create, simulate } = setup(t);
    t.match(test.apiKey, /^gnpk_test_/, 'a test key says so');
    t.equal(test.sp.test, true);

    const paid = await create(test.apiKey);
    const r = await simulate(test.apiKey, paid.id, { outcome: 'paid', msisdn: '+34671999000' });
    t.equal(r.statusCode, 200, r.body);
    t.match(r.json(), { id: paid.id, status: 'identified' }, 'confirmed; the charge goes through the payment outbox');
    worker.wake();
    await until(() => store.orders.find(paid.id)!.status === 'paid', 10_000, 'paid');
    t.same(
      store.events.forOrder(paid.id).map((e) => e.status),
      ['pending', 'identified', 'paid'],
      'the events of a real order',
    );
    t.same(
      webhookTypes(store, paid.id),
      ['pending', 'identified', 'paid'],
      'and its webhooks, through the webhook outbox',
    );
    t.equal(store.orders.find(paid.id)!.msisdn, '34671999000', 'the simulated subscriber');
    t.equal(store.consent.evidence(paid.id)!.userAgent, 'gnpay sandbox', 'evidence says it was simulated');

    const declined = await create(test.apiKey);
    t.equal((await simulate(test.apiKey, declined.id, { outcome: 'declined' })).statusCode, 200);
    worker.wake();
    await until(() => store.orders.find(declined.id)!.status === 'declined', 10_000, 'declined');
    t.match(
      store.orders.find(declined.id)!,
      { reason: 'PLATFORM_DECLINED', msisdn: '999000000001' },
      'declined by the simulated platform; the default number',
    );
    t.same(webhookTypes(store, declined.id), ['pending', 'identified', 'declined']);

    const expired = await create(test.apiKey);
    const e = await simulate(test.apiKey, expired.id, { outcome: 'expired' });
    t.match(e.json(), { status: 'expired' });
    t.same(webhookTypes(store, expired.id), ['pending', 'expired']);

    // what cannot be simulated
    const again = await simulate(test.apiKey, paid.id, { outcome: 'declined' });
    t.match(again.json(), { status: 409, code: 'ORDER_NOT_OPEN' });
    t.equal((await simulate(test.apiKey, 'ord_aaaaaaaaaaaaaaaaaaaaaaaaaa', { outcome: 'paid' })).statusCode, 404);
    t.match((await simulate(test.apiKey, paid.id, { outcome: 'refunded' })).json(), { code: 'INVALID_ARGUMENT' });
    t.match((await simulate(test.apiKey, paid.id, { outcome: 'paid', msisdn: 'x' })).json(), {
      code: 'INVALID_ARGUMENT',
    });

    // a refund of a sandbox order: the same outbox, no platform call
    const refund = await app.inject({
      method: 'POST',
      url: `/v1/orders/${paid.id}/refunds`,
      headers: as(test.apiKey),
      payload: { amount: 100 },
    });
    t.equal(refund.statusCode, 201, refund.body);
    worker.wake();
    await until(() => store.orders.find(paid.id)!.status === 'partially_refunded', 10_000, 'refunded');
    t.same(calls, [], 'the payment platform was never called');

    // a per-transaction limit declines as for a real subscriber
    const big = await create(test.apiKey, 9999);
    t.match((await simulate(test.apiKey, big.id, { outcome: 'paid' })).json(), {
      status: 'declined',
      reason: 'LIMIT_PER_TRANSACTION',
    });
  },
);

t.test(
  'a live key may not simulate (403 TEST_KEY_REQUIRED); a live order is charged through the platform',
  async (t) => {
    const { live, test, calls, store, worker, create, simulate } = setup(t);
    const o = await create(live.apiKey);
    const r = await simulate(live.apiKey, o.id, { outcome: 'paid' });
    t.equal(r.statusCode, 403);
    t.match(r.json(), { status: 403, code: 'TEST_KEY_REQUIRED', message: /test API key/ });
    t.equal(
      (await simulate(test.apiKey, o.id, { outcome: 'paid' })).statusCode,
      404,
      "another SP's order is not found",
    );
    t.equal(store.orders.find(o.id)!.status, 'pending');
    // a live order of a one-step SP: a sighting charges it, through the platform
    const liveOneStep = store.sps.add({ name: 'Live one-step', confirmation: 'none' });
    const l = await create(liveOneStep.apiKey);
    store.associator.process([sighting(l.token, '34671999000')], { now: store.clock(), sourceId: 's' });
    worker.wake();
    await until(() => store.orders.find(l.id)!.status === 'paid', 10_000, 'paid');
    t.same(calls, [`charge ${l.id}`], 'the platform charged the live order');
  },
);

t.test('no sighting and no pay-page lookup can find a sandbox order', async (t) => {
  const { store, test, oneStep, create } = setup(t);
  const o = await create(test.apiKey);
  t.equal(store.orders.findByToken(o.token), null, 'not by its token');
  const [r] = store.associator.process([sighting(o.token, '34671999000')], { now: store.clock(), sourceId: 's' });
  t.equal(r!.outcome, 'unknown', 'its token is unknown to the probe');
  t.equal(store.orders.find(o.id)!.status, 'pending', 'a sighting of its token identifies nobody');
  const one = await create(oneStep.apiKey);
  store.associator.process([sighting(one.token, '34671999000')], { now: store.clock(), sourceId: 's' });
  t.equal(store.orders.find(one.id)!.status, 'pending', 'not even for an SP in one-step mode');
});

t.test('one-step SP and CAMARA payments with a test key', async (t) => {
  const { store, test, oneStep, app, calls, worker, as, create, simulate } = setup(t);
  // one-step: the simulation is a sighting's confirmation
  const o = await create(oneStep.apiKey);
  t.equal((await simulate(oneStep.apiKey, o.id, { outcome: 'paid' })).statusCode, 200);
  worker.wake();
  await until(() => store.orders.find(o.id)!.status === 'paid', 10_000, 'paid');
  t.equal(store.consent.evidence(o.id)!.mode, 'none');

  // CAMARA two-step: simulate reserves, the SP's confirm charges (sandbox), notifications to the sink
  const BASE = '/carrier-billing/v0.5';
  const prepared = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/prepare`,
    headers: as(test.apiKey),
    payload: {
      amountTransaction: {
        referenceCode: 'r-1',
        paymentAmount: { chargingInformation: { amount: 4.99, currency: 'EUR', description: 'x' } },
      },
      sink: 'https://shop.example/n',
    },
  });
  t.equal(prepared.statusCode, 201, prepared.body);
  const id = prepared.json().paymentId;
  t.equal((await simulate(test.apiKey, id, { outcome: 'paid' })).statusCode, 200);
  t.equal(
    (await app.inject({ method: 'GET', url: `${BASE}/payments/${id}`, headers: as(test.apiKey) })).json().paymentStatus,
    'reserved',
  );
  const confirmed = await app.inject({
    method: 'POST',
    url: `${BASE}/payments/${id}/confirm`,
    headers: as(test.apiKey),
    payload: {},
  });
  t.equal(confirmed.statusCode, 202, confirmed.body);
  worker.wake();
  await until(() => store.orders.find(id)!.status === 'paid', 10_000, 'succeeded');
  t.equal(
    (await app.inject({ method: 'GET', url: `${BASE}/payments/${id}`, headers: as(test.apiKey) })).json().paymentStatus,
    'succeeded',
  );
  t.same(
    store.camara
      .dueNotifications(20)
      .filter((n) => n.order_id === id)
      .map((n) => JSON.parse(n.body).type.split('.').pop()),
    ['payment-pending-validation', 'payment-reserved', 'payment-completed'],
    'the CAMARA notifications of a real payment',
  );
  // one-step CAMARA with a test key: the named number, charged without the platform
  const one = await app.inject({
    method: 'POST',
    url: `${BASE}/payments`,
    headers: as(oneStep.apiKey),
    payload: {
      amountTransaction: {
        phoneNumber: '+34671999000',
        referenceCode: 'r-2',
        paymentAmount: { chargingInformation: { amount: 1, currency: 'EUR', description: 'x' } },
      },
    },
  });
  t.equal(one.statusCode, 201, one.body);
  worker.wake();
  await until(() => store.orders.find(one.json().paymentId)!.status === 'paid', 10_000, 'paid');
  t.same(calls, [], 'the platform was never called');
});
