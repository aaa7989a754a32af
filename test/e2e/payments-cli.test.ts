// gnpay payments doubt|resolve: the operator's view of charges whose outcome
// is unknown, and settling one by hand once the platform has answered.
import t from 'tap';
import { join } from 'node:path';
import { Store } from '../../src/store';
import { cli, ORDER_OPTS, sighting, tmpDir } from './harness';

t.test('payments doubt lists the orders in doubt; payments resolve settles them', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  t.match((await cli(['payments', 'doubt', '--db', db])).stdout, /\(no payment in doubt\)/);
  const store = Store.open(db);
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const orders = [1, 2, 3].map(
    (i) => store.orders.create(sp.id, { amount: 100 * i, currency: 'EUR', reference: `r${i}` }, ORDER_OPTS).order,
  );
  store.associator.process(
    orders.map((o, i) => sighting(o.token, `49151123456${i}`)),
    { now: store.clock(), sourceId: 's' },
  );
  const leased = store.payments.lease('w', 2, 60_000);
  for (const p of leased) store.payments.retry(p.order.id, 'w', store.clock(), 'timeout after 10000 ms', true);
  store.close();

  const text = await cli(['payments', 'doubt', '--db', db]);
  t.equal(text.code, 0);
  t.match(
    text.stdout,
    new RegExp(
      `^${orders[0]!.id} +100 EUR +\\+49151\\*+60 +in doubt since \\S+ +1 attempts +timeout after 10000 ms$`,
      'm',
    ),
    'one line each, MSISDN masked',
  );
  t.match(
    text.stdout,
    /2 in doubt\. gnpay keeps asking the platform; once it has told you the outcome: gnpay payments resolve ORDER --charged\|--not-charged/,
  );
  const json = JSON.parse((await cli(['payments', 'doubt', '--db', db, '--json'])).stdout);
  t.equal(json.length, 2);
  t.same(Object.keys(json[0]), [
    'orderId',
    'spId',
    'amount',
    'currency',
    'msisdn',
    'attempts',
    'inDoubtSince',
    'why',
    'lastError',
    'nextAttemptAt',
    'attemptUnderWay',
  ]);
  t.match(json[0], {
    orderId: orders[0]!.id,
    spId: sp.id,
    attempts: 1,
    why: 'timeout after 10000 ms',
    attemptUnderWay: false,
  });
  t.equal(JSON.parse((await cli(['payments', 'doubt', '--db', db, '--json', '--limit', '1'])).stdout).length, 1);

  const paid = await cli([
    'payments',
    'resolve',
    orders[0]!.id,
    '--charged',
    '--note',
    'platform ticket 17',
    '--db',
    db,
  ]);
  t.equal(paid.code, 0);
  t.equal(paid.stdout, `${orders[0]!.id} is paid\n`);
  const failed = JSON.parse(
    (await cli(['payments', 'resolve', orders[1]!.id, '--not-charged', '--db', db, '--json'])).stdout,
  );
  t.same(failed, { orderId: orders[1]!.id, status: 'failed', reason: 'PAYMENT_FAILED' });
  t.match((await cli(['payments', 'doubt', '--db', db])).stdout, /\(no payment in doubt\)/);

  const cases: Array<[string[], number, RegExp]> = [
    [
      ['payments', 'resolve', orders[2]!.id, '--db', db],
      2,
      /say what the platform answered: --charged or --not-charged/,
    ],
    [
      ['payments', 'resolve', orders[2]!.id, '--charged', '--not-charged', '--db', db],
      2,
      /say what the platform answered/,
    ],
    [['payments', 'resolve', orders[0]!.id, '--charged', '--db', db], 2, /is already settled \(done\)/],
    [['payments', 'resolve', 'ord_nope', '--charged', '--db', db], 1, /has no payment/],
    [['payments', 'doubt', '--db', db, '--limit', 'x'], 2, /--limit must be a positive integer/],
  ];
  for (const [args, code, re] of cases) {
    const r = await cli(args);
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, re, args.join(' '));
  }
  const after = Store.open(db);
  t.teardown(() => after.close());
  t.same(
    after.events.forOrder(orders[0]!.id).map((e) => e.status),
    ['pending', 'identified', 'paid'],
    'the SP hears of it as of any charge',
  );
});
