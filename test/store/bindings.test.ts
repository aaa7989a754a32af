// The ClientHello reports the probe stores and the pay listener looks up:
// only tunnel-resolved ones bind; the lookup waits a bounded time and wakes
// on new reports; rows expire and the table is capped; the pipeline stores
// them from hello events, rate-limited per tunnel.
import t from 'tap';
import { processBatch } from '../../src/pipeline/pipeline';
import { FakeClock, openStore } from '../e2e/harness';
import { hello } from '../helpers/paypage';

const R = (i: number) => i.toString(16).padStart(64, '0');

t.test('record: only TEID-resolved hellos with an MSISDN bind; duplicates are ignored', async (t) => {
  const store = openStore(t);
  t.equal(store.bindings.record(hello(R(1), '+491701234567')), 'bound');
  t.equal(
    store.bindings.record(hello(R(1), '491701234567')),
    'duplicate',
    'the same hello seen twice (two taps) binds once',
  );
  t.equal(store.bindings.record(hello(R(2), '491701234567', { resolvedBy: 'ue-ip' })), 'unresolved');
  t.equal(store.bindings.record(hello(R(3), null)), 'unresolved');
  t.match(store.bindings.get(R(1).toUpperCase()), {
    msisdn: '491701234567',
    teid: 1,
    gsnSrc: '10.201.0.1',
    gsnDst: '10.201.0.254',
    sni: 'pay.example.net',
  });
  t.equal(store.bindings.get(R(2)), null);
  t.equal(store.bindings.size(), 1);
});

t.test('a random reported from two subscribers binds neither, for good', async (t) => {
  const store = openStore(t);
  t.equal(store.bindings.record(hello(R(1), '491701234567')), 'bound');
  t.equal(store.bindings.record(hello(R(1), '491709999999')), 'conflict', 'the same random in another tunnel');
  t.equal(store.bindings.get(R(1)), null, 'the listener finds it unbound');
  t.equal(await store.bindings.lookup(R(1), 50), null, 'a waiting lookup finds nothing either');
  t.equal(
    store.bindings.record(hello(R(1), '491701234567')),
    'conflict',
    'the first subscriber again cannot bind it back',
  );
  t.equal(store.bindings.record(hello(R(1), '491709999999')), 'conflict');
  t.equal(store.bindings.get(R(1)), null);
});

t.test('lookup: waits up to its timeout, wakes when a report is committed', async (t) => {
  const store = openStore(t);
  let t0 = Date.now();
  t.equal(await store.bindings.lookup(R(9), 200), null);
  t.ok(Date.now() - t0 >= 190, 'waited the bound');
  t.equal(await store.bindings.lookup(R(9), 0), null, 'no wait at 0');
  t0 = Date.now();
  setTimeout(() => {
    store.bindings.record(hello(R(9), '491701234567'));
    store.bindings.notify();
  }, 50);
  const b = await store.bindings.lookup(R(9), 5000, 1000);
  t.equal(b?.msisdn, '491701234567');
  t.ok(Date.now() - t0 < 900, 'woken by notify, not the next poll');
});

t.test('prune by age, cap by count', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now, maxBindings: 150 });
  store.bindings.record(hello(R(1), '491701234567'));
  clock.advance(60_000);
  store.bindings.record(hello(R(2), '491701234567'));
  t.equal(store.bindings.pruneBefore(clock.t - 30_000), 1);
  t.equal(store.bindings.get(R(1)), null);
  for (let i = 10; i < 410; i++) store.bindings.record(hello(R(i), '491701234567'));
  t.ok(store.bindings.size() <= 150 + 100, `capped: ${store.bindings.size()}`);
});

t.test('the pipeline stores hello events, per tunnel rate-limited, and counts the rest', async (t) => {
  const store = openStore(t);
  const batch = [
    ...Array.from({ length: 120 }, (_, i) => hello(R(1000 + i), '491701234567', { teid: 5 })),
    hello(R(2000), '491701234567', { teid: 6 }),
    hello(R(2001), '491701234567', { resolvedBy: 'ue-ip', teid: 7 }),
  ];
  const stats = processBatch(batch, { store, sourceId: 't', limits: () => ({ perTransaction: null, perMonth: null }) });
  t.same(stats.hellos, { bound: 101, ratelimited: 20, unresolved: 1 });
  t.ok(store.bindings.get(R(2000)), 'another tunnel has its own budget');
});
