import t from 'tap';
import { existsSync } from 'node:fs';
import { StoreHealth } from '../../src/daemon/store-health';
import { emptyStats } from '../../src/pipeline/pipeline';
import { sighting } from '../e2e/harness';
import { testContext, testPipelineDeps } from './context';

function setup(t: Parameters<typeof testContext>[0], flags = {}) {
  const ctx = testContext(t, flags);
  const stats = emptyStats();
  const deps = testPipelineDeps(ctx);
  return { ctx, stats, health: new StoreHealth(ctx, deps, stats) };
}

t.test('down and up: writable, the metric, one loud line per outage', async (t) => {
  const { ctx, health } = setup(t);
  t.equal(health.writable, true);
  health.down(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }));
  health.down(new Error('disk full'));
  t.equal(health.writable, false);
  t.match(await ctx.metrics.registry.getSingleMetricAsString('gnpay_db_writable'), /gnpay_db_writable 0/);
  t.equal(
    ctx.logs.filter((l) => String(l.msg).startsWith('DATABASE CANNOT BE WRITTEN')).length,
    1,
    'once, not per failure',
  );
  health.up();
  health.up();
  t.equal(health.writable, true);
  t.equal(ctx.logs.filter((l) => l.msg === 'the database takes writes again').length, 1);
});

t.test('a replay waits (no spool); live sightings are spooled and stored in order once drained', async (t) => {
  const { ctx, health } = setup(t, { spool: { sizeMiB: 1 } });
  t.notOk(health.outage(false).spool, 'a replay has no spool');
  const live = health.outage(true);
  t.equal(live.spool!([sighting('a'.repeat(26), '491511234567')], Date.now()), false, 'no spool opened yet');
  health.openSpool();
  t.ok(existsSync(`${ctx.config().db}.spool`));
  t.equal(live.spool!([sighting('a'.repeat(26), '491511234567')], Date.now()), true);
  t.equal(live.spooled!(), true);
  t.equal(health.drain(), true);
  t.equal(live.spooled!(), false);
  t.ok(ctx.logs.some((l) => l.msg === 'spooled sightings stored'));
  health.close();
});

t.test('spool.sizeMiB null: no spool', async (t) => {
  const { ctx, health } = setup(t, { spool: { sizeMiB: null } });
  health.openSpool();
  t.notOk(existsSync(`${ctx.config().db}.spool`));
  t.equal(health.drain(), true, 'nothing to drain');
  health.close();
});
