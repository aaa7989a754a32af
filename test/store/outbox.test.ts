import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store';
import { migrate } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';
import { FakeClock, ORDER_OPTS, openStore, sighting, tmpDir } from '../e2e/harness';

const A = '491511234567';

t.test('payment outbox: lease, retry, settle, exactly one owner', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const orders = [1, 2, 3].map(
    (n) => store.orders.create(sp.id, { amount: n, currency: 'EUR', reference: `r${n}` }, ORDER_OPTS).order,
  );
  store.associator.process(
    orders.map((o) => sighting(o.token, A)),
    { now: clock.t, sourceId: 's' },
  );
  t.equal(store.payments.pendingCount(), 3);
  t.equal(store.payments.nextDueAt(), clock.t);

  const mine = store.payments.lease('w1', 2, 30_000);
  t.equal(mine.length, 2);
  t.same(
    mine.map((p) => p.attempt),
    [1, 1],
  );
  t.equal(mine[0]!.order.status, 'identified');
  const theirs = store.payments.lease('w2', 10, 30_000);
  t.equal(theirs.length, 1, 'a leased payment is not leased again');
  t.equal(store.payments.settle(theirs[0]!.order.id, 'w1', { status: 'paid' }), null, "not w1's lease");
  t.equal(store.payments.retry(theirs[0]!.order.id, 'w1', clock.t, 'x'), false);

  t.equal(store.payments.retry(mine[0]!.order.id, 'w1', clock.t + 5000, 'HTTP 500'), true);
  t.same(store.payments.lease('w2', 10, 30_000), [], 'not due yet');
  clock.advance(5000);
  const again = store.payments.lease('w2', 10, 30_000);
  t.equal(again.length, 1);
  t.equal(again[0]!.attempt, 2);

  const paid = store.payments.settle(again[0]!.order.id, 'w2', { status: 'paid' });
  t.equal(paid?.status, 'paid');
  t.equal(paid?.reason, null);
  t.ok(paid?.completed_at);
  t.equal(store.payments.settle(again[0]!.order.id, 'w2', { status: 'paid' }), null, 'settled once');
  const declined = store.payments.settle(mine[1]!.order.id, 'w1', { status: 'declined', reason: 'INSUFFICIENT_FUNDS' });
  t.equal(declined?.reason, 'INSUFFICIENT_FUNDS');

  // a crashed worker's lease: released at start
  t.equal(store.payments.releaseAll(), 1);
  const after = store.payments.lease('w3', 10, 30_000);
  t.equal(after.length, 1);
  t.equal(
    store.payments.settle(after[0]!.order.id, 'w3', { status: 'failed', reason: 'PAYMENT_FAILED' }, 'timeout')?.status,
    'failed',
  );
  t.equal(store.payments.pendingCount(), 0);
  t.equal(store.payments.nextDueAt(), null);
  t.same(store.db.prepare('SELECT state FROM payment_outbox ORDER BY rowid').pluck().all().sort(), [
    'declined',
    'done',
    'failed',
  ]);
});

t.test('a queued charge of an order that may not be charged is dropped unless an attempt started', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const orders = [1, 2, 3, 4].map(
    (n) => store.orders.create(sp.id, { amount: n, currency: 'EUR', reference: `r${n}` }, ORDER_OPTS).order,
  );
  store.associator.process(
    orders.map((o) => sighting(o.token, A)),
    { now: clock.t, sourceId: 's' },
  );
  t.equal(store.payments.pendingCount(), 4);
  const [held, cancelled, started, fine] = orders;
  // charges queued for an order its SP has not captured, and for one cancelled after it was queued
  store.db.prepare('UPDATE orders SET hold = 1 WHERE id = ?').run(held!.id);
  store.db.prepare("UPDATE orders SET status = 'cancelled' WHERE id = ?").run(cancelled!.id);
  // an attempt started before the order was cancelled: its outcome is the platform's to say, it is leased
  store.db.prepare('UPDATE payment_outbox SET started_at = ? WHERE order_id = ?').run(clock.t, started!.id);
  store.db.prepare("UPDATE orders SET status = 'cancelled' WHERE id = ?").run(started!.id);
  t.same(
    store.payments
      .lease('w', 10, 30_000)
      .map((p) => p.order.id)
      .sort(),
    [started!.id, fine!.id].sort(),
  );
  t.same(
    store.db
      .prepare('SELECT order_id FROM payment_outbox WHERE order_id IN (?, ?)')
      .pluck()
      .all(held!.id, cancelled!.id),
    [],
    'the two never-started charges are gone',
  );
  // a held order whose charge was queued and not yet dropped: its SP's capture keeps that row
  const early = store.orders.create(sp.id, { amount: 6, currency: 'EUR', reference: 'r6' }, ORDER_OPTS).order;
  store.associator.process([sighting(early.token, A)], { now: clock.t, sourceId: 's' });
  store.db.prepare('UPDATE orders SET hold = 1 WHERE id = ?').run(early.id);
  store.consent.capture(store.orders.find(early.id)!, clock.t);
  t.same(
    store.payments.lease('w', 10, 30_000).map((p) => p.order.id),
    [early.id],
    'captured: its queued charge may now be made',
  );
  // the held order's SP captures it later: its charge is queued again, and leased
  store.consent.capture(store.orders.find(held!.id)!, clock.t);
  t.same(
    store.payments.lease('w', 10, 30_000).map((p) => p.order.id),
    [held!.id],
  );
  // the in-transaction path (ledger) drops them the same way
  const o5 = store.orders.create(sp.id, { amount: 5, currency: 'EUR', reference: 'r5' }, ORDER_OPTS).order;
  store.associator.process([sighting(o5.token, A)], { now: clock.t, sourceId: 's' });
  store.db.prepare("UPDATE orders SET status = 'expired' WHERE id = ?").run(o5.id);
  let charged = 0;
  store.payments.processInTransaction('w', 10, () => (charged++, { settlement: { status: 'paid' } }));
  t.equal(charged, 0, 'nothing charged');
  t.equal(store.payments.status(o5.id), null);
});

t.test('an attempt that outlived its lease cannot settle over the next one, even of the same worker', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const o = store.orders.create(sp.id, { amount: 7, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  store.associator.process([sighting(o.token, A)], { now: clock.t, sourceId: 's' });
  const [stale] = store.payments.lease('w', 1, 10_000);
  clock.advance(10_001); // its request hangs past the lease: the same worker takes the payment again
  const [next] = store.payments.lease('w', 1, 10_000);
  t.equal(next!.attempt, stale!.attempt + 1);
  t.not(next!.doubtSince, null, 'in doubt: the stale attempt may have charged');
  t.equal(
    store.payments.retry(o.id, 'w', clock.t, 'HTTP 429', false, stale!.attempt),
    false,
    'the stale attempt cannot give it back',
  );
  t.equal(
    store.payments.settle(o.id, 'w', { status: 'failed', reason: 'PAYMENT_FAILED' }, 'x', stale!.attempt),
    null,
    'nor settle it',
  );
  t.equal(store.orders.find(o.id)!.status, 'identified');
  t.equal(store.payments.settle(o.id, 'w', { status: 'paid' }, null, next!.attempt)!.status, 'paid');
});

t.test('webhook outbox: per-order order, retries, dead letters', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({
    confirmation: 'none',
    name: 'shop',
    webhookUrl: 'http://127.0.0.1:19/h',
    scopes: ['msisdn:read'],
  }).sp;
  const o1 = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'a' }, ORDER_OPTS).order;
  const o2 = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'b' }, ORDER_OPTS).order;
  store.orders.cancel(sp.id, o1.id);
  t.equal(store.webhooks.pendingCount(), 3);
  t.equal(store.webhooks.nextDueAt(), clock.t);

  const batch = store.webhooks.lease(10, 10_000);
  t.same(
    batch.map((w) => [w.event.order_id, w.event.status]),
    [
      [o1.id, 'pending'],
      [o2.id, 'pending'],
    ],
    'o1 cancelled waits for o1 pending',
  );
  t.same(batch[0]!.sp, { id: sp.id, webhookUrl: 'http://127.0.0.1:19/h', scopes: ['msisdn:read'], revoked: false });
  t.equal(batch[0]!.attempt, 1);
  t.same(store.webhooks.lease(10, 10_000), [], 'leased rows are not handed out twice');
  store.webhooks.retry(batch[0]!.id, clock.t + 1000, 'HTTP 502');
  store.webhooks.markDelivered(batch[1]!.id);
  clock.advance(1000);
  const next = store.webhooks.lease(10, 10_000);
  t.same(
    next.map((w) => [w.event.status, w.attempt]),
    [['pending', 2]],
  );
  store.webhooks.markDead(next[0]!.id, 'gave up');
  const last = store.webhooks.lease(10, 10_000);
  t.same(
    last.map((w) => w.event.status),
    ['cancelled'],
  );
  t.equal(store.webhooks.releaseAll(), 1);
  store.webhooks.markDelivered(last[0]!.id);
  t.equal(store.webhooks.pendingCount(), 0);
  t.equal(store.webhooks.nextDueAt(), null);
});

t.test('ledger: a balance per currency, one debit per order, declines', async (t) => {
  const store = openStore(t);
  t.same(store.ledger.show(A), { msisdn: A, balances: {}, entries: [] });
  const acc = store.ledger.credit(A, 1000, { currency: 'EUR', note: 'top-up' });
  t.same(acc.balances, { EUR: 1000 });
  t.match(acc.entries, [{ amount: 1000, currency: 'EUR', kind: 'credit', orderId: null, note: 'top-up' }]);
  t.throws(
    () => store.ledger.credit(A, 5, {} as { currency: string }),
    { code: 'INVALID_ARGUMENT', message: /currency/ },
    'no credit without a currency',
  );
  t.throws(() => store.ledger.credit(A, 5, { currency: 'XXX' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => store.ledger.credit(A, 0, { currency: 'EUR' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => store.ledger.credit(A, 1.5, { currency: 'EUR' }), { code: 'INVALID_ARGUMENT' });
  t.same(store.ledger.credit(A, 1, { currency: 'EUR' }).balances, { EUR: 1001 });
  t.same(store.ledger.debit('ord_1', A, 600, 'EUR'), { outcome: 'succeeded', replayed: false });
  t.same(store.ledger.debit('ord_1', A, 600, 'EUR'), { outcome: 'succeeded', replayed: true });
  t.same(store.ledger.debit('ord_2', A, 600, 'EUR'), { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });
  t.same(
    store.ledger.debit('ord_3', A, 1, 'IDR'),
    { outcome: 'declined', reason: 'CURRENCY_MISMATCH' },
    'EUR never pays an IDR order',
  );
  t.same(
    store.ledger.debit('ord_4', '49000', 1, 'EUR'),
    { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' },
    'no balance at all',
  );
  t.same(store.ledger.show(A).balances, { EUR: 401 });
  t.equal(store.ledger.show(A).entries[0]!.orderId, 'ord_1');
  // a second currency: its own balance, each order paid from its own
  t.same(store.ledger.credit(A, 1000, { currency: 'IDR' }).balances, { EUR: 401, IDR: 1000 });
  t.same(store.ledger.debit('ord_5', A, 1000, 'IDR'), { outcome: 'succeeded', replayed: false });
  t.same(store.ledger.show(A).balances, { EUR: 401, IDR: 0 }, 'the IDR order emptied the IDR balance, not the EUR one');
  t.same(store.ledger.debit('ord_6', A, 1, 'IDR'), { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });
  store.ledger.credit('49000', 5, { currency: 'USD' });
  t.same(store.ledger.accounts(), [
    { msisdn: '49000', balances: { USD: 5 } },
    { msisdn: A, balances: { EUR: 401, IDR: 0 } },
  ]);
});

t.test('ledger: balances credited without a currency (schema 4) become XXX and are never debited', async (t) => {
  const file = join(tmpDir(t), 'old.db');
  const raw = new Database(file);
  migrate(raw, MIGRATIONS.slice(0, 4));
  raw
    .prepare(
      `INSERT INTO ledger_accounts (msisdn, balance, currency, updated_at) VALUES ('4911', 1000, NULL, 1), ('4922', 500, 'EUR', 1)`,
    )
    .run();
  raw
    .prepare(
      `INSERT INTO ledger_entries (msisdn, amount, kind, order_id, note, created_at) VALUES ('4911', 1000, 'credit', NULL, NULL, 1), ('4922', 500, 'credit', NULL, NULL, 1)`,
    )
    .run();
  raw.close();
  const store = Store.open(file);
  t.teardown(() => store.close());
  t.same(store.ledger.accounts(), [
    { msisdn: '4911', balances: { XXX: 1000 } },
    { msisdn: '4922', balances: { EUR: 500 } },
  ]);
  t.same(
    store.ledger.debit('ord_1', '4911', 1000, 'IDR'),
    { outcome: 'declined', reason: 'CURRENCY_MISMATCH' },
    'the order for 1000 IDR is declined',
  );
  t.same(store.ledger.debit('ord_2', '4911', 10, 'EUR'), { outcome: 'declined', reason: 'CURRENCY_MISMATCH' });
  t.same(store.ledger.debit('ord_3', '4922', 10, 'EUR'), { outcome: 'succeeded', replayed: false });
  t.same(
    store.ledger.show('4911').entries.map((e) => e.currency),
    ['XXX'],
  );
  t.same(
    store.ledger.show('4922').entries.map((e) => e.currency),
    ['EUR', 'EUR'],
  );
});
