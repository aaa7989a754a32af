import t from 'tap';
import { HttpDriver } from '../../src/payments/drivers/http';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import { PaymentWorker } from '../../src/payments/worker';
import { createMetrics } from '../../src/metrics';
import type { Store } from '../../src/store';
import type { PaymentDriver } from '../../src/payments/types';
import { FakeClock, ORDER_OPTS, httpServer, openStore, sighting, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(180000);

const FINAL = new Set(['paid', 'declined', 'failed']);

function associatedOrders(store: Store, n: number, msisdn = (i: number) => `49151${String(i).padStart(7, '0')}`) {
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const orders = Array.from(
    { length: n },
    (_, i) => store.orders.create(sp.id, { amount: 100 + i, currency: 'EUR', reference: `r${i}` }, ORDER_OPTS).order,
  );
  store.associator.process(
    orders.map((o, i) => sighting(o.token, msisdn(i))),
    { now: store.clock(), sourceId: 's' },
  );
  return orders;
}

/** A worker of one charge at a time with a backoff of 1 ms, started; the store's clock moves only when told. */
function quickWorker(store: Store, driver: PaymentDriver, maxAttempts = 2): PaymentWorker {
  const w = new PaymentWorker(store, {
    driver,
    concurrency: 1,
    maxAttempts,
    backoff: { baseMs: 1, maxMs: 1 },
    leaseMs: 10_000,
    pollMs: 10,
  });
  w.start();
  return w;
}

/** Waits for `done`, moving `clock` on (so each attempt's backoff passes) and waking the worker. */
function untilWorked(clock: FakeClock, w: PaymentWorker, done: () => boolean, what: string) {
  return until(
    () => {
      clock.advance(5);
      w.wake();
      return done();
    },
    10_000,
    what,
  );
}

const statuses = (store: Store) =>
  store.db.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status').all();

t.test('ledger: paid once, declined without funds, settled with events', async (t) => {
  const store = openStore(t);
  const [o1, o2] = associatedOrders(store, 2, (i) => (i === 0 ? '491510000001' : '491510000002'));
  store.ledger.credit('491510000001', 1000, { currency: 'EUR' });
  const metrics = createMetrics();
  const settled: string[] = [];
  const w = new PaymentWorker(
    store,
    {
      driver: new LedgerDriver(store.ledger),
      concurrency: 4,
      maxAttempts: 3,
      backoff: { baseMs: 10, maxMs: 50 },
      leaseMs: 10_000,
    },
    { metrics, onSettled: (o) => settled.push(o.status) },
  );
  w.start();
  w.start();
  await until(() => settled.length === 2);
  t.ok(await w.stop(1000));
  t.equal(store.orders.find(o1!.id)!.status, 'paid');
  t.equal(store.orders.find(o2!.id)!.status, 'declined');
  t.equal(store.orders.find(o2!.id)!.reason, 'INSUFFICIENT_FUNDS');
  t.same(store.ledger.show('491510000001').balances, { EUR: 900 });
  t.same(
    store.events.forOrder(o1!.id).map((e) => e.status),
    ['pending', 'identified', 'paid'],
  );
  t.match(
    await metrics.registry.getSingleMetricAsString('gnpay_payment_attempts_total'),
    /driver="ledger",outcome="succeeded"\} 1/,
  );
});

t.test(
  'a platform that cannot be reached: retried with backoff, then failed; one that throws: in doubt, never failed',
  async (t) => {
    const store = openStore(t);
    const [o] = associatedOrders(store, 1);
    let calls = 0;
    const unreachable: PaymentDriver = {
      name: 'unreachable',
      async charge() {
        calls++;
        return { outcome: 'retry', error: 'fetch failed: ECONNREFUSED' };
      },
    };
    const logs: string[] = [];
    const log = (await import('pino')).default({ level: 'info' }, { write: (s: string) => logs.push(s) });
    const w = new PaymentWorker(
      store,
      {
        driver: unreachable,
        concurrency: 1,
        maxAttempts: 4,
        backoff: { baseMs: 5, maxMs: 20 },
        leaseMs: 10_000,
        pollMs: 50,
      },
      { log },
    );
    w.start();
    await until(() => store.orders.find(o!.id)!.status === 'failed');
    t.equal(calls, 4, 'four attempts, none of which can have charged');
    await w.stop(1000);
    t.equal(store.orders.find(o!.id)!.reason, 'PAYMENT_FAILED');
    t.equal(store.db.prepare('SELECT last_error FROM payment_outbox').pluck().get(), 'fetch failed: ECONNREFUSED');
    t.equal(logs.filter((l) => l.includes('charge failed, will retry')).length, 3);

    // a driver that throws (after sending, perhaps) and then keeps failing: in doubt, asked again past maxAttempts
    const [o2] = associatedOrders(store, 1);
    let n = 0;
    const flaky: PaymentDriver = {
      name: 'flaky',
      async charge() {
        n++;
        if (n === 1) throw new Error('boom');
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a driver that throws a non-Error must not stop the worker
        if (n === 2) throw 'not an error';
        if (n < 9) return { outcome: 'retry', error: 'HTTP 429' };
        // the key's outcome (2xx {"status":"declined"}); a bare 4xx would still be in doubt (below)
        return { outcome: 'declined', reason: 'PLATFORM_DECLINED' };
      },
    };
    const w2 = new PaymentWorker(
      store,
      { driver: flaky, concurrency: 1, maxAttempts: 4, backoff: { baseMs: 5, maxMs: 20 }, leaseMs: 10_000, pollMs: 50 },
      { log },
    );
    w2.start();
    await until(() => store.orders.find(o2!.id)!.status === 'declined', 20_000, 'the definite answer');
    await w2.stop(1000);
    t.equal(n, 9, 'asked past maxAttempts while in doubt, until a definite answer');
    t.equal(store.orders.find(o2!.id)!.reason, 'PLATFORM_DECLINED');
    t.ok(
      logs.some((l) => l.includes('charge outcome still unknown')),
      'logged as an error when maxAttempts passes',
    );
    t.ok(logs.some((l) => l.includes('payment in doubt resolved')));
  },
);

t.test('in doubt: the status call settles it; "absent" sends the charge again; never failed', async (t) => {
  const store = openStore(t);
  const [a, b, c] = associatedOrders(store, 3);
  const charges = new Map<string, number>();
  const statusCalls: string[] = [];
  const first = new Set<string>();
  const driver: PaymentDriver = {
    name: 'platform',
    async charge(req) {
      charges.set(req.idempotencyKey, (charges.get(req.idempotencyKey) ?? 0) + 1);
      if (!first.has(req.idempotencyKey)) {
        first.add(req.idempotencyKey);
        return { outcome: 'unknown', error: 'timeout after 300 ms' };
      }
      return { outcome: 'succeeded' };
    },
    async status(req) {
      statusCalls.push(req.idempotencyKey);
      if (req.idempotencyKey === a!.id) return { outcome: 'succeeded' };
      if (req.idempotencyKey === b!.id) return { outcome: 'declined', reason: 'PLATFORM_DECLINED' };
      return { outcome: 'absent' };
    },
  };
  const metrics = createMetrics();
  metrics.paymentsDoubt = () => store.payments.doubtSummary();
  const w = new PaymentWorker(
    store,
    { driver, concurrency: 3, maxAttempts: 2, backoff: { baseMs: 5, maxMs: 10 }, leaseMs: 10_000, pollMs: 20 },
    { metrics },
  );
  w.start();
  await until(() => [a, b, c].every((o) => store.payments.isSettled(o!.id)), 20_000, 'all settled');
  await w.stop(1000);
  t.same(
    [a, b, c].map((o) => store.orders.find(o!.id)!.status),
    ['paid', 'declined', 'paid'],
  );
  t.same(statusCalls.sort(), [a!.id, b!.id, c!.id].sort(), 'each order in doubt asked once');
  t.same(
    [charges.get(a!.id), charges.get(b!.id), charges.get(c!.id)],
    [1, 1, 2],
    'only the absent one charged again (same key)',
  );
  t.match(await metrics.registry.getSingleMetricAsString('gnpay_payment_status_calls_total'), /outcome="absent"\} 1/);
  t.match(await metrics.registry.getSingleMetricAsString('gnpay_payments_in_doubt'), /gnpay_payments_in_doubt 0/);
});

t.test(
  'a definite answer that could not be written: the lease runs out, the payment is in doubt, never failed',
  async (t) => {
    const clock = new FakeClock(Date.now());
    const store = openStore(t, { clock: clock.now });
    const [o] = associatedOrders(store, 1);
    const [first] = store.payments.lease('w1', 1, 10_000);
    t.equal(first!.doubtSince, null);
    // the platform said "succeeded", but the settlement could not be written (disk full): the lease runs out
    clock.advance(10_001);
    const [again] = store.payments.lease('w2', 1, 10_000);
    t.equal(again!.attempt, 2);
    t.equal(again!.doubtSince, clock.t, 'in doubt: the first attempt may have charged');
    t.equal(store.payments.inDoubt()[0]!.doubtError, 'the outcome of an earlier attempt was never recorded');
    // now the platform cannot be reached, attempt after attempt: still not failed
    const unreachable: PaymentDriver = {
      name: 'down',
      charge: async () => ({ outcome: 'retry', error: 'fetch failed: ECONNREFUSED' }),
    };
    store.payments.releaseAll();
    const w = quickWorker(store, unreachable);
    await untilWorked(clock, w, () => (store.payments.status(o!.id)?.attempts ?? 0) >= 6, 'attempts past maxAttempts');
    await w.stop(1000);
    t.equal(store.orders.find(o!.id)!.status, 'identified', 'not failed: it may have been charged');
  },
);

t.test(
  'payments in doubt: listed, counted, resolved by the operator; a lease of a dead process is doubt',
  async (t) => {
    const store = openStore(t);
    const [a, b, c] = associatedOrders(store, 3);
    const leased = store.payments.lease('dead-process', 3, 60_000);
    t.equal(leased.length, 3);
    t.same(
      leased.map((p) => p.doubtSince),
      [null, null, null],
    );
    t.equal(store.payments.releaseAll(), 3, 'the process died with its charges out');
    const doubt = store.payments.inDoubt();
    t.equal(doubt.length, 3);
    t.match(doubt[0], {
      attempts: 1,
      doubtError: 'the process charging it stopped during the attempt',
      leased: false,
      currency: 'EUR',
    });
    t.equal(store.payments.doubtSummary().count, 3);
    t.equal(
      store.payments.lease('w', 3, 60_000).every((p) => p.doubtSince !== null),
      true,
      'in doubt when leased again',
    );
    t.throws(() => store.payments.resolve(a!.id, 'charged', 'x'), { code: 'CONFLICT', message: /under way/ });
    store.payments.releaseAll();
    t.equal(store.payments.resolve(a!.id, 'charged', 'platform ticket 17').status, 'paid');
    t.match(store.payments.resolve(b!.id, 'not-charged', '').reason, 'PAYMENT_FAILED');
    t.throws(() => store.payments.resolve(a!.id, 'charged', ''), { code: 'CONFLICT', message: /already settled/ });
    t.throws(() => store.payments.resolve('ord_none', 'charged', ''), { code: 'NOT_FOUND' });
    t.same(
      store.payments.inDoubt().map((p) => p.orderId),
      [c!.id],
    );
    t.match(
      store.db.prepare('SELECT last_error FROM payment_outbox WHERE order_id = ?').pluck().get(a!.id),
      /resolved by the operator: charged \(platform ticket 17\)/,
    );
  },
);

t.test('in doubt, a 409 to the charge sent again is not a decline; another 4xx or a 2xx settles it', async (t) => {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const [held, fresh, rejected] = associatedOrders(store, 3);
  // a platform that answers 409 while the first request with a key is under way, then the key's outcome
  const calls: string[] = [];
  let firstDone = false;
  const keyHeld = { outcome: 'declined', reason: 'PLATFORM_REJECTED', detail: 'HTTP 409', keyHeld: true } as const;
  const driver: PaymentDriver = {
    name: 'platform',
    async charge(req) {
      calls.push(req.idempotencyKey);
      const n = calls.filter((k) => k === req.idempotencyKey).length;
      if (req.idempotencyKey === fresh!.id) return keyHeld; // a first request: the platform's own refusal
      if (n === 1) return { outcome: 'unknown', error: 'timeout after 300 ms' };
      if (req.idempotencyKey === rejected!.id)
        return { outcome: 'declined', reason: 'PLATFORM_REJECTED', detail: 'HTTP 402' };
      return firstDone ? { outcome: 'succeeded' } : keyHeld;
    },
  };
  const w = quickWorker(store, driver);
  await untilWorked(
    clock,
    w,
    () => calls.filter((k) => k === held!.id).length >= 4,
    'the charge in doubt sent again past 409s',
  );
  t.equal(store.orders.find(fresh!.id)!.status, 'declined', 'a 409 to a first request declines');
  t.match(
    store.orders.find(rejected!.id)!,
    { status: 'declined', reason: 'PLATFORM_REJECTED' },
    "another 4xx to a repeat is the key's outcome",
  );
  t.equal(store.orders.find(held!.id)!.status, 'identified', 'in doubt: the first request may still charge');
  t.same(
    store.payments.inDoubt().map((p) => p.orderId),
    [held!.id],
  );
  t.match(
    store.db.prepare('SELECT last_error FROM payment_outbox WHERE order_id = ?').pluck().get(held!.id),
    /HTTP 409: the key is held by an earlier request, still under way/,
  );
  firstDone = true;
  await untilWorked(clock, w, () => store.payments.isSettled(held!.id), 'settled by the definite answer');
  await w.stop(1000);
  t.equal(store.orders.find(held!.id)!.status, 'paid');
});

t.test('two workers on one database never charge an order twice', async (t) => {
  const store = openStore(t);
  const orders = associatedOrders(store, 40);
  const calls = new Map<string, number>();
  const { url } = await httpServer(t, (_req, body, res) => {
    const key = JSON.parse(body).idempotencyKey as string;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    setTimeout(() => res.end('{"status":"succeeded"}'), 2);
  });
  const driver = new HttpDriver({ url, secret: 's', timeoutMs: 2000 });
  const opts = { driver, concurrency: 5, maxAttempts: 3, backoff: { baseMs: 10, maxMs: 50 }, leaseMs: 30_000 };
  const w1 = new PaymentWorker(store, opts);
  const w2 = new PaymentWorker(store, opts);
  w1.start();
  w2.start();
  await until(() => orders.every((o) => store.orders.find(o.id)!.status === 'paid'), 20_000);
  await Promise.all([w1.stop(1000), w2.stop(1000)]);
  t.equal(calls.size, 40);
  t.same([...new Set(calls.values())], [1], 'each order charged exactly once');
});

t.test('payment platform faults: 500s, timeouts, dropped connections', async (t) => {
  const store = openStore(t);
  const orders = associatedOrders(store, 60);
  // deterministic fault pattern; the platform is idempotent by key like a real one:
  // the first decision for a key is kept and answered again on every retry
  let n = 0;
  const charged = new Map<string, number>();
  const decided = new Map<string, string>();
  const faults = { ok: 0, e500: 0, slow: 0, drop: 0, dropAfter: 0 };
  const decide = (key: string, amount: number) => {
    if (!decided.has(key)) {
      const status = amount % 10 === 0 ? 'declined' : 'succeeded';
      decided.set(key, status);
      if (status === 'succeeded') charged.set(key, (charged.get(key) ?? 0) + 1);
    }
    return `{"status":"${decided.get(key)}"}`;
  };
  const { url } = await httpServer(t, (_req, body, res) => {
    const { idempotencyKey: key, amount } = JSON.parse(body) as { idempotencyKey: string; amount: number };
    const kind = n++ % 7;
    if (kind === 1) {
      faults.e500++;
      res.statusCode = 500;
      return res.end('{"error":"internal"}');
    }
    if (kind === 2) {
      faults.slow++;
      const answer = decide(key, amount); // decided, but the answer comes after gnpay gave up
      setTimeout(() => res.writableEnded || res.end(answer), 400);
      return;
    }
    if (kind === 3) {
      faults.drop++;
      return res.socket?.destroy();
    }
    if (kind === 4) {
      faults.dropAfter++;
      decide(key, amount);
      return res.socket?.destroy();
    }
    faults.ok++;
    res.end(decide(key, amount));
  });
  const driver = new HttpDriver({ url, secret: 's', timeoutMs: 150 });
  const w = new PaymentWorker(store, {
    driver,
    concurrency: 4,
    maxAttempts: 6,
    backoff: { baseMs: 5, maxMs: 40 },
    leaseMs: 10_000,
  });
  w.start();
  await until(() => orders.every((o) => FINAL.has(store.orders.find(o.id)!.status)), 60_000, 'every order final');
  await w.stop(2000);
  t.ok(
    faults.e500 && faults.slow && faults.drop && faults.dropAfter,
    `faults were injected: ${JSON.stringify(faults)}`,
  );
  const final = orders.map((o) => store.orders.find(o.id)!);
  for (const o of final) {
    if (o.status === 'paid') t.ok(charged.has(o.id), `${o.id} paid and charged`);
    if (o.status === 'declined') t.notOk(charged.has(o.id), `${o.id} declined and not charged`);
  }
  t.equal(store.payments.pendingCount(), 0);
  t.ok(final.filter((o) => o.status === 'paid').length > 40, JSON.stringify(statuses(store)));
  // at most once: the platform holds one charge per key, and gnpay asked with one key per order
  t.same([...new Set(charged.values())], [1], 'no key charged twice');
  t.same(
    [...charged.keys()].filter((k) => !orders.some((o) => o.id === k)),
    [],
  );
});

t.test('a driver charging inside the database: batches, retries, failures', async (t) => {
  const store = openStore(t);
  const orders = associatedOrders(store, 3);
  const calls = new Map<string, number>();
  const driver: PaymentDriver = {
    name: 'intx',
    async charge() {
      throw new Error('not used');
    },
    chargeInTransaction(req) {
      const n = (calls.get(req.idempotencyKey) ?? 0) + 1;
      calls.set(req.idempotencyKey, n);
      if (req.idempotencyKey === orders[0]!.id) return { outcome: 'succeeded' };
      if (req.idempotencyKey === orders[1]!.id) {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a driver's failure that is not an Error is still retried
        if (n === 1) throw 'lock timeout';
        if (n === 2) throw new Error('busy');
        return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS', detail: 'x' };
      }
      return { outcome: 'retry', error: 'busy' };
    },
  };
  const settled: string[] = [];
  const w = new PaymentWorker(
    store,
    { driver, concurrency: 4, maxAttempts: 3, backoff: { baseMs: 5, maxMs: 10 }, leaseMs: 10_000, pollMs: 20 },
    { onSettled: (o) => settled.push(`${o.reference}:${o.status}`) },
  );
  w.start();
  await until(() => settled.length === 3);
  await w.stop(1000);
  t.same(settled.sort(), ['r0:paid', 'r1:declined', 'r2:failed']);
  t.same([...calls.values()], [1, 3, 3]);
});
