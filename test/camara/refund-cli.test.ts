// The operator refunds from the CLI: `gnpay orders refund ID [--amount N]`
// queues the refund in the database; the payment worker (the daemon's) gives
// the money back exactly once; `orders show` lists the refunds.
import { join } from 'node:path';
import t from 'tap';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import { PaymentWorker } from '../../src/payments/worker';
import { Store } from '../../src/store';
import { cli, ORDER_OPTS, tmpDir, until } from '../e2e/harness';

t.setTimeout(120000);

t.test('gnpay orders refund: partial, the rest, over-refund and unpaid refused', async (t) => {
  const db = join(tmpDir(t), 'g.db');
  let store = Store.open(db);
  const { sp } = store.sps.add({ name: 'shop', confirmation: 'none' });
  store.ledger.credit('491701234567', 10_000, { currency: 'EUR' });
  const o = store.orders.create(sp.id, { amount: 800, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  const unpaid = store.orders.create(sp.id, { amount: 100, currency: 'EUR', reference: 'u' }, ORDER_OPTS).order;
  store.transitions.tx(() =>
    store.consent.confirmBySighting(
      store.orders.find(o.id)!,
      '491701234567',
      null,
      { via: 'test' },
      { perTransaction: null, perMonth: null },
      Date.now(),
    ),
  );
  const work = async () => {
    const w = new PaymentWorker(store, {
      driver: new LedgerDriver(store.ledger),
      concurrency: 1,
      maxAttempts: 3,
      backoff: { baseMs: 10, maxMs: 20 },
      leaseMs: 30_000,
      pollMs: 10,
    });
    w.start();
    await until(
      () =>
        store.payments.pendingCount() === 0 &&
        store.db.prepare(`SELECT COUNT(*) FROM refunds WHERE status = 'pending'`).pluck().get() === 0,
    );
    await w.stop(1000);
  };
  await work();
  t.equal(store.orders.find(o.id)!.status, 'paid');
  store.close();

  const r1 = await cli([
    'orders',
    'refund',
    o.id,
    '--db',
    db,
    '--amount',
    '300',
    '--reason',
    'goodwill',
    '--key',
    'k1',
    '--json',
  ]);
  t.equal(r1.code, 0, r1.stderr);
  const refund = JSON.parse(r1.stdout);
  t.match(refund, { id: /^rfd_/, orderId: o.id, status: 'pending', amount: 300, reason: 'goodwill' });
  const again = await cli([
    'orders',
    'refund',
    o.id,
    '--db',
    db,
    '--amount',
    '300',
    '--reason',
    'goodwill',
    '--key',
    'k1',
  ]);
  t.match(again.stdout, new RegExp(`${refund.id} .*already asked for with this key\\)\\nremaining 500 EUR`));
  const over = await cli(['orders', 'refund', o.id, '--db', db, '--amount', '501']);
  t.not(over.code, 0);
  t.match(over.stderr, /more than the remaining amount \(500/);
  const notPaid = await cli(['orders', 'refund', unpaid.id, '--db', db]);
  t.not(notPaid.code, 0);
  t.match(notPaid.stderr, /only a paid order can be refunded/);

  store = Store.open(db);
  t.teardown(() => store.close());
  await work();
  t.equal(store.ledger.show('491701234567').balances.EUR, 10_000 - 800 + 300);
  store.close();
  const rest = await cli(['orders', 'refund', o.id, '--db', db]);
  t.match(rest.stdout, /pending +500 EUR/);
  store = Store.open(db);
  await work();
  store.close();
  const shown = await cli(['orders', 'show', o.id, '--db', db]);
  t.match(shown.stdout, /status +refunded/);
  t.match(shown.stdout, /refunded +800 EUR/);
  t.match(shown.stdout, /-> partially_refunded\n.*-> refunded/);
  t.match(shown.stdout, new RegExp(`${refund.id}  succeeded +300 EUR`));
  const json = JSON.parse((await cli(['orders', 'show', o.id, '--db', db, '--json'])).stdout);
  t.same(
    json.refunds.map((r: { amount: number; status: string }) => [r.amount, r.status]),
    [
      [300, 'succeeded'],
      [500, 'succeeded'],
    ],
  );
  t.equal(json.refundedAmount, 800);
  store = Store.open(db);
});
