import t from 'tap';
import { Housekeeping, PRUNE_CHUNK, PRUNE_MAX_ROUNDS } from '../../src/daemon/housekeeping';
import { testContext } from './context';

t.test(
  'sightings of unknown tokens older than audit.retentionDays are pruned, at most a few rounds a time',
  async (t) => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const ctx = testContext(t, { audit: { retentionDays: 1 } }, () => now);
    const hk = new Housekeeping(ctx, () => t.fail('not damaged'));
    const insert = ctx.store.db.prepare(
      `INSERT INTO sightings (source_key, seen_at, ts, packet, token, outcome) VALUES (?, ?, 't', 1, 'x', 'unknown')`,
    );
    const many = PRUNE_CHUNK * PRUNE_MAX_ROUNDS + 10;
    ctx.store.db.transaction(() => {
      for (let i = 0; i < many; i++) insert.run(`k|${i}`, now);
    })();
    t.equal(hk.pruneSightings(), 0, 'younger than the retention');
    now += 2 * 86_400_000;
    t.equal(hk.pruneSightings(), PRUNE_CHUNK * PRUNE_MAX_ROUNDS, 'one call: the rounds it may');
    hk.sweep();
    t.equal(ctx.store.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(), 0, 'the sweep takes the rest');
    t.match(
      await ctx.metrics.registry.getSingleMetricAsString('gnpay_sightings_pruned_total'),
      new RegExp(`gnpay_sightings_pruned_total ${many}`),
    );
    ctx.setConfig({ ...ctx.config(), audit: { ...ctx.config().audit, retentionDays: null } });
    t.equal(hk.pruneSightings(now + 1e12), 0, 'retentionDays null: kept');
  },
);

t.test('start and stop the timers; the integrity check of a sound file passes', async (t) => {
  const ctx = testContext(t, { integrity: { intervalMinutes: 60 } });
  const hk = new Housekeeping(ctx, () => t.fail('not damaged'));
  hk.start();
  t.equal(await hk.checkIntegrity(), true);
  t.match(await ctx.metrics.registry.getSingleMetricAsString('gnpay_db_integrity_ok'), /gnpay_db_integrity_ok 1/);
  ctx.setStopping(true);
  t.equal(await hk.checkIntegrity(), true, 'not checked while stopping');
  hk.stop();
  hk.stop();
});
