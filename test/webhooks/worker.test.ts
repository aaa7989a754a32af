import t from 'tap';
import { WebhookWorker } from '../../src/webhooks/worker';
import { verifyWebhook } from '../../src/client/webhook';
import { createMetrics } from '../../src/metrics';
import type { OrderEvent } from '../../src/client/types';
import { FakeClock, ORDER_OPTS, closedPort, httpServer, openStore, sighting, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

// the receivers are on loopback, which webhooks reach only when the operator allows it
const opts = {
  timeoutMs: 300,
  retryHours: 1,
  concurrency: 4,
  backoff: { baseMs: 5, maxMs: 20 },
  pollMs: 50,
  allowDestinations: ['127.0.0.1/32'],
};

t.test('signed CloudEvents, in order per order, retried until delivered', async (t) => {
  const store = openStore(t);
  const received: Array<{ event: OrderEvent; headers: Record<string, unknown> }> = [];
  let fail = 2;
  const { url } = await httpServer(t, (req, body, res) => {
    if (fail-- > 0) {
      res.statusCode = 503;
      return res.end();
    }
    received.push({ event: verifyWebhook(body, req.headers, secret), headers: req.headers });
    res.statusCode = 204;
    res.end();
  });
  const added = store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: `${url}/hook` });
  const secret = added.webhookSecret;
  const o = store.orders.create(added.sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  store.associator.process([sighting(o.token, '491511234567')], { now: store.clock(), sourceId: 's' });
  const metrics = createMetrics();
  const w = new WebhookWorker(store, opts, { metrics });
  w.start();
  await until(() => received.length === 2);
  await w.stop(1000);
  t.same(
    received.map((r) => r.event.type),
    ['org.gnpay.order.pending', 'org.gnpay.order.identified'],
  );
  t.equal(received[1]!.event.data.msisdn, '+49151*****67');
  t.equal(received[1]!.headers['content-type'], 'application/cloudevents+json');
  t.equal(received[1]!.headers['gnpay-event-id'], received[1]!.event.id);
  t.equal(store.webhooks.pendingCount(), 0);
  t.match(await metrics.registry.getSingleMetricAsString('gnpay_webhook_attempts_total'), /outcome="failed"\} 2/);
});

t.test('while a webhook secret is rotated, each webhook verifies with the old and with the new secret', async (t) => {
  const store = openStore(t);
  const received: Array<{ body: string; headers: Record<string, string> }> = [];
  const { url } = await httpServer(t, (req, body, res) => {
    received.push({ body, headers: req.headers as Record<string, string> });
    res.statusCode = 204;
    res.end();
  });
  const added = store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: `${url}/hook` });
  const rotated = store.sps.rotate(added.sp.id, { apiKey: false, webhookSecret: true }, 3600);
  store.orders.create(added.sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  const w = new WebhookWorker(store, opts, {});
  w.start();
  await until(() => received.length === 1);
  await w.stop(1000);
  const { body, headers } = received[0]!;
  t.match(headers['gnpay-signature'], /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/, 'two signatures');
  t.equal(
    verifyWebhook(body, headers, rotated.webhookSecret!).type,
    'org.gnpay.order.pending',
    'the new secret verifies',
  );
  t.equal(verifyWebhook(body, headers, added.webhookSecret).type, 'org.gnpay.order.pending', 'the old one too');
  t.throws(() => verifyWebhook(body, headers, 'whsec_other'), { code: 'SIGNATURE_MISMATCH' });
});

t.test('given up after the retry window; revoked SPs and SPs without URL are not called', async (t) => {
  const clock = new FakeClock(Date.now());
  const store = openStore(t, { clock: clock.now });
  const down = store.sps.add({ confirmation: 'none', name: 'down', webhookUrl: `${await closedPort()}/hook` }).sp;
  const gone = store.sps.add({ confirmation: 'none', name: 'gone', webhookUrl: `${await closedPort()}/hook` }).sp;
  const o1 = store.orders.create(down.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  store.orders.create(gone.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  store.sps.revoke(gone.id);
  store.db.prepare('UPDATE sps SET webhook_url = NULL WHERE id = ?').run(down.id);
  store.orders.cancel(down.id, o1.id); // a row written while the SP still... has no URL: none
  store.db.prepare('UPDATE sps SET webhook_url = ? WHERE id = ?').run(`${await closedPort()}/hook`, down.id);
  const logs: string[] = [];
  const log = (await import('pino')).default({}, { write: (s: string) => logs.push(s) });
  const w = new WebhookWorker(store, opts, { log });
  w.start();
  await until(() => store.db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE state = 'dead'`).pluck().get() === 1);
  await until(() => logs.some((l) => l.includes('will retry')));
  clock.advance(3_600_000);
  w.wake();
  await until(() => store.webhooks.pendingCount() === 0);
  await w.stop(1000);
  const rows = store.db.prepare('SELECT sp_id, state, last_error FROM webhook_outbox ORDER BY id').all() as Array<{
    sp_id: string;
    state: string;
    last_error: string;
  }>;
  t.same(
    rows.map((r) => [r.sp_id, r.state]),
    [
      [down.id, 'dead'],
      [gone.id, 'dead'],
    ],
  );
  t.match(rows[1]!.last_error, /SP revoked/);
  t.match(rows[0]!.last_error, /ECONNREFUSED/);
  t.ok(logs.some((l) => l.includes('webhook abandoned')));
});

t.test('a webhook to an SP whose URL was removed is dropped; a timeout is retried', async (t) => {
  const store = openStore(t);
  let calls = 0;
  const { url } = await httpServer(t, (_req, _body, res) => {
    if (calls++ === 0) return; // never answers: timeout
    res.end();
  });
  const sp = store.sps.add({ confirmation: 'none', name: 'x', webhookUrl: url }).sp;
  const nourl = store.sps.add({ confirmation: 'none', name: 'y', webhookUrl: url }).sp;
  store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  store.orders.create(nourl.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  store.db.prepare('UPDATE sps SET webhook_url = NULL WHERE id = ?').run(nourl.id);
  const w = new WebhookWorker(store, { ...opts, concurrency: 1 });
  w.start();
  await until(() => store.webhooks.pendingCount() === 0);
  await w.stop(1000);
  const rows = store.db.prepare('SELECT state, attempts, last_error FROM webhook_outbox ORDER BY id').all();
  t.same(rows, [
    { state: 'delivered', attempts: 2, last_error: 'timeout after 300 ms' },
    { state: 'dead', attempts: 0, last_error: 'SP has no webhook URL' },
  ]);
});
