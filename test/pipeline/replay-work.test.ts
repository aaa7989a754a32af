// The orders a replay waits for (--exit-when-done) are those whose tokens its
// stored sightings carry: matched ones by their result, replayed and
// rate-limited ones by token, unknown tokens none; each order once. The same
// set as looking every sighting's token up.
import t from 'tap';
import { processBatch, emptyStats, type PipelineDeps } from '../../src/pipeline/pipeline';
import { ReplayWork } from '../../src/pipeline/replay-work';
import type { SightingEvent } from '../../src/native/types';
import type { SightingResult } from '../../src/store/associate';
import { NO_LIMITS, ORDER_OPTS, openStore, sighting } from '../e2e/harness';

t.test('orders of the stored sightings: matched, replayed, rate-limited; not unknown tokens', async (t) => {
  const store = openStore(t, {
    sightings: { perTunnelPerSecond: 0.001, perTunnelBurst: 3, maxRows: 1000 },
  });
  const sp = store.sps.add({ name: 'a', confirmation: 'none' }).sp;
  const pending = store.sps.add({ name: 'b' }).sp;
  const o1 = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r1' }, ORDER_OPTS).order;
  const o2 = store.orders.create(pending.id, { amount: 1, currency: 'EUR', reference: 'r2' }, ORDER_OPTS).order;
  const o3 = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r3' }, ORDER_OPTS).order;
  const work = new ReplayWork(store, 3);
  const byLookup = new Set<string>();
  const deps: PipelineDeps = {
    store,
    sourceId: 'files:x',
    limits: () => NO_LIMITS,
    onStored: (s: SightingEvent[], r: readonly (SightingResult | null)[]) => {
      work.note(s, r);
      for (const e of s) {
        const o = store.orders.findByToken(e.token);
        if (o) byLookup.add(o.id);
      }
    },
  };
  const first = [
    sighting(o1.token, '491511234567'),
    sighting('z'.repeat(26), '491511234567'),
    sighting(o2.token, '491511234567'),
    sighting(o1.token, '491511234567'),
  ];
  // the burst of 3 is spent: o3's sighting is rate-limited, its order is still the replay's
  const limited = [sighting(o3.token, '491511234567')];
  const stats = emptyStats();
  processBatch(first, deps, stats);
  processBatch(limited, deps, stats);
  t.ok(stats.outcomes.ratelimited >= 1, 'rate-limited ones among them');
  t.equal(stats.outcomes.unknown, 1, 'one unknown');
  t.equal(work.orders, 3);
  t.same(new Set(work['open']), byLookup, 'the orders a lookup of every token finds');
  // the same batch again (a replay after a crash): replayed results, the same orders, counted once
  const again = new ReplayWork(store, 3);
  processBatch(first, { ...deps, onStored: (s, r) => again.note(s, r) });
  t.equal(again.orders, 2, 'replayed sightings name their orders by token');
  t.same([...again['open']].sort(), [o1.id, o2.id].sort());
});
