import t, { type Test } from 'tap';
import type { Store } from '../../src/store';
import type { ConsentLimits } from '../../src/store/consent';
import { sha256 } from '../../src/store/ids';
import { FakeClock, NO_LIMITS, ORDER_OPTS, openStore, sighting } from '../e2e/harness';

const A = '491511234567';
const B = '491517654321';

function setup(t: Test) {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: 'http://127.0.0.1:19/h' }).sp;
  const order = (amount = 100, ttlSeconds?: number) =>
    store.orders.create(sp.id, { amount, currency: 'EUR', reference: 'r', ttlSeconds }, ORDER_OPTS).order;
  const run = (sightings: ReturnType<typeof sighting>[], limits: Partial<ConsentLimits> = {}) =>
    store.associator
      .process(sightings, { now: clock.t, sourceId: 'test', limits: { ...NO_LIMITS, ...limits } })
      .map((r) => r.outcome);
  const status = (id: string) => store.orders.find(id)!.status;
  return { clock, store, sp, order, run, status };
}

const payments = (store: Store) =>
  store.db.prepare('SELECT order_id, state FROM payment_outbox ORDER BY order_id').all();

t.test('a valid token from a resolved subscriber associates once and queues one charge', async (t) => {
  const { store, order, run, status } = setup(t);
  const o = order();
  t.same(run([sighting(o.token, A)]), ['associated']);
  t.equal(status(o.id), 'identified');
  const row = store.orders.find(o.id)!;
  t.equal(row.msisdn, A);
  t.equal(row.imsi, '262011234567890');
  t.same(payments(store), [{ order_id: o.id, state: 'pending' }]);
  t.same(run([sighting(o.token, `+${A}`)]), ['duplicate'], 'same MSISDN again: no-op (with or without +)');
  t.equal(payments(store).length, 1);
  t.same(
    store.events.forOrder(o.id).map((e) => e.status),
    ['pending', 'identified'],
  );
});

t.test('replaying the same sighting (crash, restart) changes nothing', async (t) => {
  const { store, order, clock } = setup(t);
  const o = order();
  const s = sighting(o.token, A);
  const first = store.associator.process([s], { now: clock.t, sourceId: 'cap' });
  t.same(first, [{ outcome: 'associated', orderId: o.id, replayed: false }]);
  const again = store.associator.process([s], { now: clock.t, sourceId: 'cap' });
  t.same(again, [{ outcome: 'duplicate', orderId: null, replayed: true }]);
  t.equal(store.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(), 1);
});

t.test(
  'a sighting with the same time, packet index and token from another tunnel (a second file of the run) is not a replay',
  async (t) => {
    const { store, order, clock } = setup(t);
    const o = order();
    const first = sighting(o.token, A);
    const other = { ...first, msisdn: B, teid: 4242, ueIp: '10.9.9.9' };
    const r = store.associator.process([first, other], { now: clock.t, sourceId: 'files:a|b' });
    t.same(
      r.map((x) => [x.outcome, x.replayed]),
      [
        ['associated', false],
        ['conflict', false],
      ],
    );
    t.same(
      store.associator.process([first, other], { now: clock.t, sourceId: 'files:a|b' }).map((x) => x.replayed),
      [true, true],
      'both recognised on a replay',
    );
    t.equal(store.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(), 2);
  },
);

t.test('unknown tokens are only counted; unresolved ones are kept with their order and change nothing', async (t) => {
  const { store, order, run, status } = setup(t);
  const o = order();
  t.same(run([sighting('a'.repeat(26), A), sighting(o.token, null), sighting('short-token-value-x', A)]), [
    'unknown',
    'unresolved',
    'unknown',
  ]);
  t.equal(status(o.id), 'pending', 'an unresolved sighting does not use the token up');
  t.same(run([sighting(o.token, A)]), ['associated']);
  const audit = store.db.prepare('SELECT outcome, order_id, msisdn FROM sightings ORDER BY id').all();
  t.same(
    audit,
    [
      { outcome: 'unresolved', order_id: o.id, msisdn: null },
      { outcome: 'associated', order_id: o.id, msisdn: A },
    ],
    'made-up tokens do not grow the database',
  );
});

t.test('a batch is decided in its order, whether an order holds its tokens or not', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now, sightings: { perTunnelPerSecond: 1, perTunnelBurst: 3 } });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const o = store.orders.create(sp.id, { amount: 100, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  const ctx = { now: clock.t, sourceId: 'cap' };
  const batch = [
    sighting('c'.repeat(26), A, { teid: 9 }),
    sighting(o.token, A, { teid: 9 }),
    sighting('d'.repeat(26), A, { teid: 9 }),
    sighting('e'.repeat(26), A, { teid: 9 }),
    sighting(o.token, A, { teid: 10 }),
  ];
  t.same(
    store.associator.process(batch, ctx).map((r) => r.outcome),
    ['unknown', 'associated', 'unknown', 'ratelimited', 'duplicate'],
    "tokens without an order spend the tunnel's budget between the others, in capture order",
  );
  t.same(store.orders.positionsWithOrder(batch.map((s) => sha256(s.token))), new Set([1, 4]));
  t.same(store.orders.positionsWithOrder([]), new Set());
  // a row an earlier version kept for a token no order holds: replaying its sighting is recognised
  const unlinked = sighting('f'.repeat(26), A, { teid: 11 });
  store.db
    .prepare(
      `INSERT INTO sightings (source_key, seen_at, ts, packet, token, outcome) VALUES (?, ?, ?, ?, ?, 'unknown')`,
    )
    .run(
      `cap|${unlinked.ts}|${unlinked.packet}|${unlinked.token}|11|${unlinked.ueIp}`,
      clock.t,
      unlinked.ts,
      unlinked.packet,
      unlinked.token,
    );
  clock.advance(10_000);
  t.same(
    store.associator.process([unlinked, sighting('f'.repeat(26), A, { teid: 11 }), batch[1]!], {
      now: clock.t,
      sourceId: 'cap',
    }),
    [
      { outcome: 'duplicate', orderId: null, replayed: true },
      { outcome: 'unknown', orderId: null, replayed: false },
      { outcome: 'duplicate', orderId: null, replayed: true },
    ],
  );
});

t.test(
  'retention: unlinked sightings (kept by earlier versions) are deleted once old, those of an order stay',
  async (t) => {
    const { store, order, run, clock } = setup(t);
    const o = order();
    const DAY = 86_400_000;
    const legacy = (token: string, at: number) =>
      store.db
        .prepare(
          `INSERT INTO sightings (source_key, seen_at, ts, packet, token, outcome) VALUES (?, ?, 't', 1, ?, 'unknown')`,
        )
        .run(`old|${token}|${at}`, at, token);
    legacy('a'.repeat(26), clock.t);
    run([sighting(o.token, null)]);
    legacy('b'.repeat(26), clock.t);
    clock.advance(10 * DAY);
    legacy('c'.repeat(26), clock.t);
    run([sighting(o.token, A)]);
    const rows = () =>
      store.db.prepare('SELECT token, outcome FROM sightings ORDER BY id').all() as {
        token: string;
        outcome: string;
      }[];
    t.equal(store.associator.pruneUnlinked(clock.t - 20 * DAY), 0, 'nothing that old');
    t.equal(store.associator.pruneUnlinked(clock.t - 5 * DAY, 1), 1, 'at most the limit');
    t.equal(store.associator.pruneUnlinked(clock.t - 5 * DAY), 1, 'then the rest');
    t.same(
      rows().map((r) => r.outcome),
      ['unresolved', 'unknown', 'expired'],
      "the order's sightings (its token has expired by now) and the recent unknown one are kept",
    );
    t.equal(store.associator.pruneUnlinked(clock.t + 1), 1);
    t.same(
      rows().map((r) => r.outcome),
      ['unresolved', 'expired'],
    );
    const plan = store.db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT id FROM sightings WHERE order_id IS NULL AND seen_at < ? ORDER BY seen_at LIMIT ?',
      )
      .all(0, 1) as { detail: string }[];
    t.match(plan.map((p) => p.detail).join(' '), /sightings_unlinked_seen/, 'the prune walks its partial index');
  },
);

t.test('an expired token is not charged', async (t) => {
  const { store, order, run, status, clock } = setup(t);
  const o = order(100, 60);
  clock.advance(60_000);
  t.same(run([sighting(o.token, A)]), ['expired']);
  t.equal(status(o.id), 'expired');
  t.same(run([sighting(o.token, A)]), ['expired']);
  t.same(payments(store), []);
});

t.test('a cancelled token is not charged', async (t) => {
  const { store, sp, order, run } = setup(t);
  const o = order();
  store.orders.cancel(sp.id, o.id);
  t.same(run([sighting(o.token, A)]), ['cancelled']);
  t.same(payments(store), []);
});

t.test('a second MSISDN before the charge starts: conflict, nothing charged', async (t) => {
  const { store, order, run, status } = setup(t);
  const o = order();
  t.same(run([sighting(o.token, A), sighting(o.token, B)]), ['associated', 'conflict']);
  t.equal(status(o.id), 'conflict');
  t.equal(store.orders.find(o.id)!.reason, 'TOKEN_CONFLICT');
  t.same(payments(store), [{ order_id: o.id, state: 'cancelled' }]);
  t.same(store.payments.lease('w', 10, 1000), [], 'nothing to charge');
  t.same(run([sighting(o.token, A)]), ['conflict']);
});

t.test('a second MSISDN once the charge is under way, or after it: used', async (t) => {
  const { store, order, run } = setup(t);
  const o = order();
  run([sighting(o.token, A)]);
  t.equal(store.payments.lease('w', 10, 1000).length, 1);
  t.same(run([sighting(o.token, B)]), ['used']);
  store.payments.settle(o.id, 'w', { status: 'paid' });
  t.same(run([sighting(o.token, B), sighting(o.token, A)]), ['used', 'duplicate']);
});

t.test('per-MSISDN limits decline with a reason', async (t) => {
  const { store, order, run, status, clock } = setup(t);
  const limits = { amountPerDay: 250, ordersPerHour: 2 };
  const [o1, o2, o3] = [order(100), order(100), order(100)];
  t.same(run([sighting(o1.token, A), sighting(o2.token, A), sighting(o3.token, A)], limits), [
    'associated',
    'associated',
    'declined',
  ]);
  t.equal(store.orders.find(o3.id)!.reason, 'LIMIT_AMOUNT_PER_DAY');
  t.same(
    store.events.forOrder(o3.id).map((e) => e.status),
    ['pending', 'identified', 'declined'],
  );
  const o4 = order(10);
  t.same(run([sighting(o4.token, A)], limits), ['declined']);
  t.equal(store.orders.find(o4.id)!.reason, 'LIMIT_ORDERS_PER_HOUR');
  const o5 = order(10);
  t.same(run([sighting(o5.token, B)], limits), ['associated'], 'limits are per MSISDN');
  clock.advance(3_600_001);
  const o6 = order(10);
  t.same(run([sighting(o6.token, A)], limits), ['associated'], 'the hour has passed, the day not: 210 <= 250');
  clock.advance(86_400_000);
  const o7 = order(240);
  t.same(run([sighting(o7.token, A)], { amountPerDay: 250, ordersPerHour: null }), ['associated']);
  t.equal(status(o7.id), 'identified');
});

t.test('an SP confirming on the pay page: a sighting is recorded and changes nothing', async (t) => {
  const { store, clock } = setup(t);
  const sp = store.sps.add({ name: 'consent shop' }).sp;
  t.equal(sp.confirmation, 'page', 'the default');
  const o = store.orders.create(sp.id, { amount: 100, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  const r = store.associator.process([sighting(o.token, A), sighting(o.token, B)], { now: clock.t, sourceId: 't' });
  t.same(
    r.map((x) => x.outcome),
    ['consent', 'consent'],
  );
  t.equal(store.orders.find(o.id)!.status, 'pending');
  t.same(payments(store), []);
});

t.test(
  'one-step rules: tunnel-resolved only, never DNS, legacy carriers on pay hosts only, one token per request',
  async (t) => {
    const { store, order, run, status, clock } = setup(t);
    const o = order();
    t.same(
      run([sighting(o.token, A, { resolvedBy: 'ue-ip' })]),
      ['unresolved'],
      'a UE-address resolution is never enough',
    );
    t.same(
      run([sighting(o.token, A, { carrier: 'host', via: 'dns', host: `${o.token}.pay.example.net` })]),
      ['ignored'],
      'a DNS lookup alone never identifies',
    );
    t.same(
      run([sighting(o.token, A, { host: 'ads.attacker.example' })]),
      ['ignored'],
      'a query token in a URL to another host',
    );
    t.same(run([sighting(o.token, A, { host: null })]), ['ignored'], 'no Host');
    t.same(
      run([sighting(o.token, A, { carrier: 'cookie', host: 'pay.example.net.attacker.example' })]),
      ['ignored'],
      'a look-alike host',
    );
    // eight tokens in one request: none counts
    const eight = Array.from({ length: 8 }, () => order());
    const req = 9_000_001;
    t.same(run(eight.map((x) => sighting(x.token, A, { request: req }))), Array(8).fill('ignored'));
    t.ok(eight.every((x) => status(x.id) === 'pending'));
    t.equal(status(o.id), 'pending');
    t.same(payments(store), [], 'nothing charged by any of them');
    // the same token twice in one request is one token
    const twice = store.associator.process(
      [sighting(o.token, A, { request: 9_000_002 }), sighting(o.token, A, { request: 9_000_002, carrier: 'cookie' })],
      { now: clock.t, sourceId: 't' },
    );
    t.same(
      twice.map((x) => x.outcome),
      ['associated', 'duplicate'],
    );
    // a configured extra pay host, and the host carrier (the SNI or Host under the pay host suffix)
    const p = order();
    t.same(
      store.associator
        .process([sighting(p.token, A, { host: 'checkout.example:8443' })], {
          now: clock.t,
          sourceId: 't',
          payHosts: ['checkout.example'],
        })
        .map((x) => x.outcome),
      ['associated'],
    );
    const h = order();
    t.same(run([sighting(h.token, A, { carrier: 'host', via: 'tls-sni', host: `${h.token}.pay.example.net` })]), [
      'associated',
    ]);
  },
);

t.test('per-tunnel rate limit, and a hard cap on the sightings table', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, {
    clock: clock.now,
    sightings: { perTunnelPerSecond: 2, perTunnelBurst: 3, maxRows: 1000 },
  });
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const o = store.orders.create(sp.id, { amount: 100, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  const burst = store.associator.process(
    Array.from({ length: 5 }, () => sighting(o.token, A, { teid: 77 })),
    { now: clock.t, sourceId: 't' },
  );
  t.same(
    burst.map((x) => x.outcome),
    ['associated', 'duplicate', 'duplicate', 'ratelimited', 'ratelimited'],
  );
  t.same(
    store.associator
      .process([sighting(o.token, A, { teid: 78 })], { now: clock.t, sourceId: 't' })
      .map((x) => x.outcome),
    ['duplicate'],
    'another tunnel has its own budget',
  );
  clock.advance(1000);
  t.same(
    store.associator
      .process(
        Array.from({ length: 3 }, () => sighting(o.token, A, { teid: 77 })),
        { now: clock.t, sourceId: 't' },
      )
      .map((x) => x.outcome),
    ['duplicate', 'duplicate', 'ratelimited'],
    'refilled at the rate',
  );
  // the cap: past maxRows the oldest go (checked every 100 inserts)
  const many = Array.from({ length: 2100 }, (_, i) => sighting(o.token, A, { teid: 1000 + i }));
  store.associator.process(many, { now: clock.t, sourceId: 'cap' });
  const n = store.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get() as number;
  t.ok(n <= 1000 + 100, `capped: ${n} rows kept of ${2100 + 6}`);
});
