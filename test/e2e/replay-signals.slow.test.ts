// A replay keeps the daemon responsive: /healthz answers while it runs and
// SIGTERM stops it mid-way (the event loop gets its turn between batches);
// --exit-when-done waits for the replay's own orders only; SIGTERM aborts
// webhook POSTs still in flight instead of waiting for their timeout.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Store } from '../../src/store';
import { cli, httpServer, msisdnOf, ORDER_OPTS, phoneCapture, spawnDaemon, tmpDir, until } from './harness';

t.setTimeout(300000);

t.test('SIGTERM during a long replay: handled mid-way, /healthz answered throughout', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const n = 12_000;
  const store = Store.open(db);
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const tokens: string[] = [];
  store.db.transaction(() => {
    for (let i = 0; i < n; i++)
      tokens.push(
        store.orders.create(
          sp.id,
          { amount: 1, currency: 'EUR', reference: `r${i}` },
          { ...ORDER_OPTS, defaultTtlSeconds: 3600 },
        ).order.token,
      );
  })();
  store.close();
  const capture = join(dir, 'big.pcap');
  phoneCapture(
    capture,
    tokens.map((token, i) => ({ who: i, token })),
  );
  const d = await spawnDaemon(t, [
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
    '--ops-listen',
    '127.0.0.1:0',
    '--read',
    capture,
    '--log-level',
    'info',
  ]);
  const ro = new Database(db, { readonly: true });
  t.teardown(() => ro.close());
  const stored = () => ro.prepare('SELECT COUNT(*) FROM sightings').pluck().get() as number;
  // /healthz while the replay runs: each answer with how far the replay was when it came
  const during: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await fetch(`${d.opsUrl}/healthz`).catch(() => null);
      if (r?.status === 200) during.push(stored());
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await until(() => stored() > 2000, 120_000, 'the replay under way');
  const atSignal = stored();
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  polling = false;
  await poller;
  t.same(exit, { code: 0, signal: null }, 'a clean stop');
  const finished = d.logs.find((l) => l.msg === 'source finished') as { sightings: number } | undefined;
  t.ok(finished, 'the replay ended');
  t.ok(
    finished!.sightings < n,
    `stopped mid-way: ${finished!.sightings} of ${n} sightings (${atSignal} at the signal)`,
  );
  const order = d.logs.map((l) => l.msg);
  t.ok(
    order.indexOf('shutting down') < order.indexOf('source finished'),
    'SIGTERM handled before the replay would have ended',
  );
  t.ok(
    during.some((c) => c > 0 && c < finished!.sightings),
    `/healthz answered while the replay ran (${during.filter((c) => c > 0).length} answers)`,
  );
});

t.test("--exit-when-done waits for the replay's own orders, not for other SPs' webhooks", async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const hooks: string[] = [];
  const receiver = await httpServer(t, (_req, body, res) => {
    hooks.push(JSON.parse(body).data.status);
    res.end();
  });
  const silent = await httpServer(t, () => {}); // answers nothing, ever
  const store = Store.open(db);
  const shop = store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: `${receiver.url}/h` }).sp;
  const other = store.sps.add({ confirmation: 'none', name: 'other', webhookUrl: `${silent.url}/h` }).sp;
  for (let i = 0; i < 20; i++)
    store.orders.create(other.id, { amount: 1, currency: 'EUR', reference: `o${i}` }, ORDER_OPTS);
  const mine = store.orders.create(shop.id, { amount: 5, currency: 'EUR', reference: 'mine' }, ORDER_OPTS).order;
  store.ledger.credit(msisdnOf(0), 10, { currency: 'EUR' });
  store.close();
  const capture = join(dir, 'c.pcap');
  phoneCapture(capture, [{ who: 0, token: mine.token }]);
  const cfg = join(dir, 'c.json');
  writeFileSync(
    cfg,
    JSON.stringify({ webhooks: { allowDestinations: ['127.0.0.1/32'], timeoutMs: 60_000, retryHours: 24 } }),
  );
  const d = await spawnDaemon(t, [
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
    '--config',
    cfg,
    '--read',
    capture,
    '--exit-when-done',
    '--log-level',
    'info',
  ]);
  t.same(await d.exited, { code: 0, signal: null }, 'exits once its own order is charged and notified');
  t.same(hooks, ['pending', 'identified', 'paid']);
  const after = Store.open(db);
  t.teardown(() => after.close());
  t.equal(
    after.db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE sp_id = ? AND state = 'pending'`).pluck().get(other.id),
    20,
    "the other SP's webhooks are still owed: they did not hold the exit",
  );
  t.match(
    d.logs.find((l) => l.msg === 'every association charged and notified'),
    { orders: 1 },
  );
});

t.test(
  'SIGTERM aborts webhook POSTs in flight: a clean stop within the budget, the webhook delivered later',
  async (t) => {
    const dir = tmpDir(t);
    const db = join(dir, 'g.db');
    let hanging = 0;
    const hang = await httpServer(t, () => void hanging++);
    const cfg = join(dir, 'c.json');
    // the webhook timeout is far past the shutdown budget
    writeFileSync(
      cfg,
      JSON.stringify({
        webhooks: { allowDestinations: ['127.0.0.1/32'], timeoutMs: 120_000 },
        shutdown: { timeoutMs: 2000 },
      }),
    );
    const sp = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--config', cfg, '--name', 'x', '--webhook', `${hang.url}/h`, '--json']))
        .stdout,
    );
    await cli([
      'orders',
      'create',
      '--db',
      db,
      '--sp',
      sp.id,
      '--amount',
      '1',
      '--currency',
      'EUR',
      '--reference',
      'r',
    ]);
    const d = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg, '--log-level', 'info']);
    await until(() => hanging === 1, 20_000, 'the POST in flight');
    d.child.kill('SIGTERM');
    t.same(await d.exited, { code: 0, signal: null }, 'not "shutdown timed out"');
    t.notOk(d.logs.some((l) => l.msg === 'shutdown timed out'));
    const store = Store.open(db);
    t.teardown(() => store.close());
    t.match(
      store.db.prepare('SELECT state, lease_until, last_error FROM webhook_outbox').get(),
      { state: 'pending', lease_until: null, last_error: 'aborted: shutting down' },
      'given back, delivered at the next start',
    );
  },
);
