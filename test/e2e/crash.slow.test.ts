// Crash safety: `gnpay run` is killed with SIGKILL in the middle of replaying
// a capture with many orders, restarted on the same database and capture: no
// association is lost, no order is charged twice, every webhook arrives.
import t from 'tap';
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { verifyWebhook } from '../../src/client';
import { Store } from '../../src/store';
import { httpServer, msisdnOf, ORDER_OPTS, phoneCapture, spawnDaemon, tmpDir, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(300000);

const N = 2000;

t.test('SIGKILL mid-replay, restart: every order paid once', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'gnpay.db');
  let secret = '';
  const delivered = new Map<string, number>(); // event id -> deliveries
  const types = new Map<string, string[]>(); // order id -> event types (deduplicated by event id)
  const receiver = await httpServer(t, (req, body, res) => {
    const e = verifyWebhook(body, req.headers, secret);
    const n = delivered.get(e.id) ?? 0;
    delivered.set(e.id, n + 1);
    if (n === 0) types.set(e.subject, [...(types.get(e.subject) ?? []), e.data.status]);
    res.end();
  });
  const store = Store.open(db);
  const sp = store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: receiver.url });
  secret = sp.webhookSecret;
  const requests = [];
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const o = store.orders.create(
      sp.sp.id,
      { amount: 10 + (i % 7), currency: 'EUR', reference: `r${i}` },
      { ...ORDER_OPTS, defaultTtlSeconds: 3600 },
    ).order;
    ids.push(o.id);
    requests.push({ who: i, token: o.token });
  }
  store.db.transaction(() => {
    for (let i = 0; i < N; i++) store.ledger.credit(msisdnOf(i), 100, { currency: 'EUR' });
  })();
  store.close();
  const capture = join(dir, 'many.pcap');
  phoneCapture(capture, requests);

  const cfg = join(dir, 'gnpay.json');
  writeFileSync(cfg, JSON.stringify({ webhooks: { allowDestinations: ['127.0.0.1/32'] } }));
  const args = [
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
    'warn',
  ];
  const first = await spawnDaemon(t, args);
  const ro = new Database(db, { readonly: true });
  const count = (sql: string) => ro.prepare(sql).pluck().get() as number;
  // kill as soon as the replay has committed part of the associations
  await until(() => count('SELECT COUNT(*) FROM sightings') > 0, 30_000, 'first associations');
  first.child.kill('SIGKILL');
  const killed = await first.exited;
  t.equal(killed.signal, 'SIGKILL');
  const atKill = {
    sightings: count('SELECT COUNT(*) FROM sightings'),
    associatedOrPaid: count(`SELECT COUNT(*) FROM orders WHERE status IN ('identified', 'paid')`),
    paid: count(`SELECT COUNT(*) FROM orders WHERE status = 'paid'`),
  };
  t.ok(atKill.paid < N, `killed in the middle: ${JSON.stringify(atKill)}`);
  t.ok(existsSync(`${db}.lock`), 'the dead daemon left its lock');

  const second = await spawnDaemon(t, args);
  t.same(await second.exited, { code: 0, signal: null }, 'the restart takes over the stale lock, finishes and exits');
  t.same(
    ro.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status').all(),
    [{ status: 'paid', n: N }],
    'no association lost',
  );
  t.equal(count(`SELECT COUNT(*) FROM ledger_entries WHERE kind = 'debit'`), N);
  t.equal(count(`SELECT COUNT(DISTINCT order_id) FROM ledger_entries WHERE kind = 'debit'`), N, 'one debit per order');
  t.equal(
    count(
      `SELECT COUNT(*) FROM ledger_balances WHERE balance != 100 - (SELECT amount FROM orders WHERE msisdn = ledger_balances.msisdn)`,
    ),
    0,
    'each balance debited exactly by its order',
  );
  t.equal(count('SELECT COUNT(*) FROM sightings'), N, 'the replayed sightings were recognised, not recorded twice');
  t.equal(count(`SELECT COUNT(*) FROM events WHERE status = 'paid'`), N, 'one paid event per order');
  t.equal(count(`SELECT COUNT(*) FROM webhook_outbox WHERE state != 'delivered'`), 0);
  await until(() => ids.every((id) => types.get(id)?.length === 3), 10_000, 'every webhook');
  t.ok(
    ids.every((id) => JSON.stringify(types.get(id)) === '["pending","identified","paid"]'),
    'each order notified pending, associated, paid (deduplicated by event id)',
  );
  ro.close();
});
