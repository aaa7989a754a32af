// One SP never holds up another's webhooks: per-SP concurrency, SPs served in
// turn, a circuit breaker per endpoint; the queues are index seeks whatever
// the backlog; a shutdown aborts deliveries in flight.
import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookWorker } from '../../src/webhooks/worker';
import { createMetrics } from '../../src/metrics';
import type { Store } from '../../src/store';
import { FakeClock, ORDER_OPTS, httpServer, openStore, until } from '../e2e/harness';

t.setTimeout(180000);

const base = {
  retryHours: 1,
  concurrency: 8,
  perSpConcurrency: 2,
  backoff: { baseMs: 5, maxMs: 20 },
  pollMs: 50,
  allowDestinations: ['127.0.0.1/32'],
};

function orders(store: Store, spId: string, n: number, prefix: string): void {
  store.db.transaction(() => {
    for (let i = 0; i < n; i++)
      store.orders.create(spId, { amount: 1, currency: 'EUR', reference: `${prefix}${i}` }, ORDER_OPTS);
  })();
}

t.test(
  'an SP that never answers ties up its own slots only: the healthy SP gets all of its webhooks meanwhile',
  async (t) => {
    const store = openStore(t);
    const hanging: ServerResponse[] = [];
    let hangingSeen = 0;
    let hangingMax = 0;
    const hang = await httpServer(t, (_req: IncomingMessage, _body, res) => {
      hangingSeen++;
      hanging.push(res);
      hangingMax = Math.max(hangingMax, hanging.filter((r) => !r.writableEnded && !r.destroyed).length);
    });
    const order: string[] = []; // what happened, in order
    const okSrv = await httpServer(t, (_req, body, res) => {
      order.push(`healthy:${JSON.parse(body).data.reference}`);
      res.end();
    });
    const h = store.sps.add({ name: 'hanging', webhookUrl: `${hang.url}/h` }).sp;
    const g = store.sps.add({ name: 'healthy', webhookUrl: `${okSrv.url}/g` }).sp;
    // the hanging SP's backlog comes first, by far
    orders(store, h.id, 200, 'h');
    orders(store, g.id, 60, 'g');
    const metrics = createMetrics();
    // a timeout far longer than the test: a hanging POST holds its slot for the whole test
    const w = new WebhookWorker(store, { ...base, timeoutMs: 600_000 }, { metrics });
    w.start();
    await until(() => order.length === 60, 60_000, 'every webhook of the healthy SP');
    t.equal(order.length, 60, 'the healthy SP got all 60 webhooks');
    t.same(order.slice(0, 3), ['healthy:g0', 'healthy:g1', 'healthy:g2'], 'in order');
    t.ok(hangingMax <= 2, `the hanging SP never had more than its 2 slots (${hangingMax})`);
    t.equal(hangingSeen, 2, 'and was sent nothing more while they hang');
    // the receiver counts a webhook when it arrives, the worker once the answer is read: wait for the last one
    await until(
      async () =>
        /outcome="delivered"\} 60/.test(await metrics.registry.getSingleMetricAsString('gnpay_webhook_attempts_total')),
      5_000,
      'the last delivery counted',
    );
    t.match(await metrics.registry.getSingleMetricAsString('gnpay_webhook_attempts_total'), /outcome="delivered"\} 60/);
    t.match(
      await metrics.registry.getSingleMetricAsString('gnpay_webhook_attempts_total'),
      /outcome="failed"\} 0$/m,
      'no hanging delivery had ended when the healthy SP was done',
    );
    const aborted = hanging.map(
      (r) => new Promise((resolve) => (r.destroyed ? resolve(null) : r.once('close', resolve))),
    );
    t.equal(await w.stop(300), true, 'stop ends: the hanging deliveries are aborted');
    await Promise.all(aborted);
    t.ok(
      hanging.every((r) => r.destroyed || r.socket === null),
      'their connections were closed by gnpay',
    );
    const leased = store.db
      .prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE sp_id = ? AND state = 'pending' AND lease_until IS NOT NULL`)
      .pluck()
      .get(h.id);
    t.equal(leased, 0, 'aborted deliveries are given back for the next start');
    for (const r of hanging) r.destroy();
  },
);

t.test('a failing endpoint opens its circuit: probed now and then, closed again when it answers', async (t) => {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  let failing = true;
  let calls = 0;
  const bad = await httpServer(t, (_req, _body, res) => {
    calls++;
    res.statusCode = failing ? 503 : 204;
    res.end();
  });
  let good = 0;
  const okSrv = await httpServer(t, (_req, _body, res) => {
    good++;
    res.end();
  });
  const b = store.sps.add({ name: 'bad', webhookUrl: `${bad.url}/b` }).sp;
  const g = store.sps.add({ name: 'good', webhookUrl: `${okSrv.url}/g` }).sp;
  orders(store, b.id, 30, 'b');
  orders(store, g.id, 20, 'g');
  const logs: string[] = [];
  const log = (await import('pino')).default({ level: 'info' }, { write: (s: string) => logs.push(s) });
  const metrics = createMetrics();
  // one delivery at a time to the endpoint: the count of attempts is exact
  const w = new WebhookWorker(
    store,
    { ...base, perSpConcurrency: 1, timeoutMs: 5000, breaker: { failures: 5, baseMs: 60_000, maxMs: 600_000 } },
    { log, metrics },
  );
  w.start();
  await until(() => good === 20, 30_000, 'the good SP served');
  await until(() => logs.some((l) => l.includes('circuit open')), 30_000, 'the circuit opens');
  // the store's clock does not move: the backoff of the failed ones is over at once, the circuit stays open
  w.wake();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(calls, 5, 'five failures in a row, then nothing while the circuit is open');
  t.match(
    await metrics.registry.getSingleMetricAsString('gnpay_webhook_endpoints_open'),
    /gnpay_webhook_endpoints_open 1/,
  );
  clock.advance(60_000);
  w.wake();
  await until(() => calls === 6, 10_000, 'one probe');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(calls, 6, 'one probe at a time; it failed: open again, twice as long');
  failing = false;
  clock.advance(60_000);
  w.wake();
  await new Promise((r) => setTimeout(r, 200));
  t.equal(calls, 6, 'not before the longer period');
  clock.advance(60_000);
  w.wake();
  await until(() => store.webhooks.pendingCount() === 0, 20_000, 'the endpoint answers: everything delivered');
  t.ok(logs.some((l) => l.includes('circuit closed')));
  t.match(
    await metrics.registry.getSingleMetricAsString('gnpay_webhook_endpoints_open'),
    /gnpay_webhook_endpoints_open 0/,
  );
  t.notOk(
    logs.some((l) => l.includes(bad.url)),
    'endpoints are logged without their scheme',
  );
  await w.stop(1000);
});

t.test('webhooks past the retry window are given up even while their endpoint is never attempted', async (t) => {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const sp = store.sps.add({ name: 'x', webhookUrl: 'http://127.0.0.1:9/h' }).sp;
  orders(store, sp.id, 700, 'x');
  clock.advance(2 * 3_600_000);
  t.equal(store.webhooks.expireBefore(clock.t - 3_600_000, 500), 500, 'a round gives up at most its limit');
  t.equal(store.webhooks.expireBefore(clock.t - 3_600_000, 500), 200);
  t.equal(store.webhooks.pendingCount(), 0);
  t.equal(
    store.db
      .prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE state = 'dead' AND last_error = 'retry window over'`)
      .pluck()
      .get(),
    700,
  );
});

t.test('the due-webhook queries are index seeks: their plan does not walk a backlog', async (t) => {
  const store = openStore(t);
  const dead = store.sps.add({ name: 'dead', webhookUrl: 'http://127.0.0.1:9/h' }).sp;
  const live = store.sps.add({ name: 'live', webhookUrl: 'http://127.0.0.1:9/h' }).sp;
  orders(store, dead.id, 2000, 'd');
  // a backlog behind the heads: more state changes of the same orders (cancellation)
  store.db.transaction(() => {
    for (const o of store.orders.list(dead.id, { limit: 1000 }).orders) store.orders.cancel(dead.id, o.id);
  })();
  orders(store, live.id, 3, 'l');
  const plan = (sql: string, ...args: unknown[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join(' | ');
  const next = plan(
    `SELECT next_attempt_at FROM webhook_outbox WHERE sp_id = ? AND state = 'pending' AND ready = 1 ORDER BY next_attempt_at LIMIT 1`,
    live.id,
  );
  t.match(next, /SEARCH webhook_outbox USING (COVERING )?INDEX webhook_ready \(sp_id=\?\)/, next);
  const due = plan(
    `SELECT w.id FROM webhook_outbox w JOIN events e ON e.seq = w.event_seq JOIN sps s ON s.id = w.sp_id
     WHERE w.sp_id = ? AND w.state = 'pending' AND w.ready = 1 AND w.next_attempt_at <= ? ORDER BY w.next_attempt_at, w.id LIMIT ?`,
    live.id,
    Date.now(),
    8,
  );
  t.match(due, /SEARCH w USING INDEX webhook_ready \(sp_id=\? AND next_attempt_at<\?\)/, due);
  t.notMatch(due, /SCAN/, 'no scan');
  t.equal(
    store.db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE ready = 1 AND state = 'pending'`).pluck().get(),
    2003,
    'one head per order',
  );
  t.same(
    store.webhooks.leaseOf(live.id, 10, 600_000).map((w) => w.event.status),
    ['pending', 'pending', 'pending'],
  );
  const heads = store.webhooks.leaseOf(dead.id, 5000, 600_000);
  t.equal(heads.length, 2000, 'the dead SP: the heads only, the cancellations wait behind them');
  store.db.transaction(() => {
    for (const w of heads.slice(0, 1000)) store.webhooks.markDelivered(w.id);
  })();
  const behind = store.webhooks.leaseOf(dead.id, 5000, 600_000);
  t.equal(behind.length, 1000, 'delivering a head makes the next change of its order due');
  t.ok(behind.every((w) => w.event.status === 'cancelled'));
});
