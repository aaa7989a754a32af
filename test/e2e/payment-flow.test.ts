// Issue 3 proof: real SQLite file, the daemon as a child process on
// 127.0.0.1, a real webhook receiver and payment platform, captures made by
// our generator replayed through the real decode engine with `gnpay run --read`.
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import Ajv from 'ajv';
import { OrderEvent as OrderEventSchema } from '../../src/api/schemas';
import {
  GnpayClient,
  parseSignatureHeader,
  signatureMatches,
  verifyWebhook,
  type Order,
  type OrderEvent,
} from '../../src/client';
import { cli, httpServer, msisdnOf, phoneCapture, spawnDaemon, tmpDir, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(300000);

async function stop(d: Awaited<ReturnType<typeof spawnDaemon>>) {
  d.child.kill('SIGTERM');
  return d.exited;
}

t.test(
  'an order goes pending -> associated -> paid through the http driver, notified by a signed webhook',
  async (t) => {
    const dir = tmpDir(t);
    const db = join(dir, 'gnpay.db');
    const platformSecret = 'platform-secret-1';
    const charges = new Map<string, Array<Record<string, unknown>>>();
    const platform = await httpServer(t, (req, body, res) => {
      const sig = parseSignatureHeader(String(req.headers['gnpay-signature']));
      if (!sig || !signatureMatches(platformSecret, sig, body)) {
        res.statusCode = 401;
        return res.end();
      }
      const c = JSON.parse(body) as Record<string, unknown>;
      charges.set(c.idempotencyKey as string, [...(charges.get(c.idempotencyKey as string) ?? []), c]);
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"succeeded"}');
    });
    let webhookSecret = '';
    const webhooks: OrderEvent[] = [];
    const receiver = await httpServer(t, (req, body, res) => {
      webhooks.push(verifyWebhook(body, req.headers, webhookSecret)); // throws (500) when forged
      res.statusCode = 204;
      res.end();
    });
    const cfg = join(dir, 'gnpay.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        payments: {
          driver: 'http',
          http: { url: `${platform.url}/charge`, secret: platformSecret, timeoutMs: 2000, maxAttempts: 5 },
          retry: { baseMs: 50, maxMs: 500 },
        },
        webhooks: { retry: { baseMs: 50, maxMs: 500 }, allowDestinations: ['127.0.0.1/32'] },
      }),
    );

    // 1. the daemon serves the API; an SP is added and creates an order through it
    const api = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg]);
    const sp = JSON.parse(
      (
        await cli([
          'sp',
          'add',
          '--db',
          db,
          '--config',
          cfg,
          '--confirmation',
          'none',
          '--name',
          'music shop',
          '--webhook',
          `${receiver.url}/gnpay`,
          '--scope',
          'msisdn:read',
          '--json',
        ])
      ).stdout,
    );
    webhookSecret = sp.webhookSecret;
    const client = new GnpayClient({ baseUrl: api.url, apiKey: sp.apiKey });
    const order = await client.createOrder({
      amount: 299,
      currency: 'EUR',
      reference: 'cart-9',
      description: 'an album',
    });
    t.equal(order.status, 'pending');
    t.equal(order.payUrl, `http://pay.example.net/pay?pay_token=${order.token}`);
    t.same(await stop(api), { code: 0, signal: null }, 'SIGTERM: drained and stopped with 0');

    // 2. the subscriber's phone opens the payUrl over the mobile network (a capture by our generator)
    const capture = join(dir, 'phone.pcap');
    phoneCapture(capture, [{ who: 0, token: order.token }]);

    // 3. the capture is replayed through the pipeline; the API answers meanwhile
    const d = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--ops-listen',
      '127.0.0.1:0',
      '--config',
      cfg,
      '--read',
      capture,
    ]);
    const live = new GnpayClient({ baseUrl: d.url, apiKey: sp.apiKey });
    const paid = await until(
      async () => {
        const o = await live.getOrder(order.id);
        return o.status === 'paid' ? o : null;
      },
      20_000,
      'paid',
    ).catch((e) => {
      console.error(JSON.stringify(d.logs, null, 1).slice(0, 3000), d.stderr.join(''));
      throw e;
    });
    t.equal(paid.msisdn, `+${msisdnOf(0)}`, 'the MSISDN of the tunnel the token came from (msisdn:read scope)');
    t.ok(paid.confirmedAt && paid.completedAt);
    await until(() => webhooks.length >= 3, 20_000, 'three webhooks');
    t.same(
      webhooks.map((w) => w.type),
      ['org.gnpay.order.pending', 'org.gnpay.order.identified', 'org.gnpay.order.paid'],
      'signed webhooks, verified, in order',
    );
    t.same(
      webhooks.map((w) => w.data.status),
      ['pending', 'identified', 'paid'],
    );
    t.equal(new Set(webhooks.map((w) => w.id)).size, 3);
    const validEvent = new Ajv({ formats: { 'date-time': true } }).compile(OrderEventSchema);
    t.ok(
      webhooks.every((w) => validEvent(w)),
      'each webhook body is a CloudEvents 1.0 event as docs/openapi.json describes',
    );
    t.match(webhooks[2], {
      specversion: '1.0',
      source: '/gnpay/v1/orders',
      subject: order.id,
      datacontenttype: 'application/json',
    });
    const feed = await live.eventsPage();
    t.same(
      feed.events.map((e) => `${e.data.status}`),
      ['pending', 'identified', 'paid'],
      'the event feed shows each step',
    );
    t.same(
      feed.events.map((e) => e.id),
      webhooks.map((w) => w.id),
      'the same events as the webhooks',
    );
    t.equal(charges.size, 1);
    t.same(
      charges.get(order.id),
      [
        {
          idempotencyKey: order.id,
          msisdn: `+${msisdnOf(0)}`,
          amount: 299,
          currency: 'EUR',
          reference: 'cart-9',
          description: 'an album',
        },
      ],
      'charged once, keyed by the order id',
    );
    t.equal((await fetch(`${d.url}/metrics`)).status, 404, 'no metrics on the SP listener');
    const metrics = await (await fetch(`${d.opsUrl}/metrics`)).text();
    t.match(metrics, /gnpay_sightings_total\{carrier="[^"]+",via="http",outcome="associated"\} 1/);
    t.match(metrics, /gnpay_payment_attempts_total\{driver="http",outcome="succeeded"\} 1/);
    t.match(metrics, /gnpay_orders\{status="paid"\} 1/);
    t.same(await stop(d), { code: 0, signal: null });
    const logs = d.logs.map((l) => JSON.stringify(l)).join('\n');
    t.notOk(logs.includes(msisdnOf(0)), 'no MSISDN in the logs');
    t.notOk(
      logs.includes(sp.apiKey) || logs.includes(sp.webhookSecret) || logs.includes(platformSecret),
      'no secret in the logs',
    );
  },
);

t.test(
  'every rule with real captures: conflict, expiry, cancel, limits, funds, unknown token, unknown subscriber, reuse',
  async (t) => {
    const dir = tmpDir(t);
    const db = join(dir, 'gnpay.db');
    const cfg = join(dir, 'gnpay.json');
    writeFileSync(cfg, JSON.stringify({ limits: { perMsisdn: { ordersPerHour: 1 } }, log: { level: 'warn' } }));
    const api = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg]);
    const sp = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'shop', '--json'])).stdout,
    );
    for (const who of [0, 1, 2, 4])
      await cli([
        'ledger',
        'credit',
        '--db',
        db,
        '--msisdn',
        `+${msisdnOf(who)}`,
        '--amount',
        '1000',
        '--currency',
        'EUR',
      ]);
    const c = new GnpayClient({ baseUrl: api.url, apiKey: sp.apiKey });
    const mk = (reference: string, ttlSeconds?: number) =>
      c.createOrder({ amount: 100, currency: 'EUR', reference, ttlSeconds });
    const paid = await mk('paid');
    const conflict = await mk('conflict');
    const expired = await mk('expired', 1);
    const cancelled = await mk('cancelled');
    const broke = await mk('no-funds');
    const limited = await mk('limited');
    const unresolved = await mk('unresolved');
    await c.cancelOrder(cancelled.id);
    await until(async () => (await c.getOrder(expired.id)).status === 'expired', 10_000, 'expiry');
    await stop(api);

    const unknownToken = 'zzzzzzzzzzzzzzzzzzzzzzzzzz';
    const cap1 = join(dir, 'one.pcap');
    const startSec = Math.floor(Date.now() / 1000);
    phoneCapture(
      cap1,
      [
        { who: 0, token: paid.token },
        { who: 1, token: conflict.token },
        { who: 2, token: conflict.token },
        { who: 0, token: expired.token },
        { who: 0, token: cancelled.token },
        { who: 3, token: broke.token },
        { who: 0, token: limited.token },
        { who: 0, token: unknownToken },
        { who: 'unattached', token: unresolved.token },
        { who: 0, token: paid.token },
      ],
      7,
      startSec,
    );
    const run1 = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--config',
      cfg,
      '--read',
      cap1,
      '--exit-when-done',
    ]);
    t.same(await run1.exited, { code: 0, signal: null }, '--exit-when-done: exits once charged and notified');

    const show = async (o: Order) =>
      JSON.parse((await cli(['orders', 'show', o.id, '--db', db, '--json'])).stdout) as Order;
    t.match(await show(paid), { status: 'paid', msisdn: '+49170*****00' });
    t.match(await show(conflict), { status: 'conflict', reason: 'TOKEN_CONFLICT' });
    t.match((await cli(['orders', 'show', conflict.id, '--db', db])).stdout, /status +conflict \(TOKEN_CONFLICT\)/);
    t.match(await show(expired), { status: 'expired', msisdn: null });
    t.match(await show(cancelled), { status: 'cancelled', msisdn: null });
    t.match(await show(broke), { status: 'declined', reason: 'INSUFFICIENT_FUNDS' });
    t.match(await show(limited), { status: 'declined', reason: 'LIMIT_ORDERS_PER_HOUR' });
    t.match(
      await show(unresolved),
      { status: 'pending', msisdn: null },
      'a token from an unknown subscriber does not count',
    );
    const ledger = async (who: number) =>
      JSON.parse((await cli(['ledger', 'show', '--db', db, '--msisdn', msisdnOf(who), '--json'])).stdout);
    t.same((await ledger(0)).balances, { EUR: 900 }, 'debited once');
    t.same(
      (await ledger(0)).entries
        .filter((e: { kind: string }) => e.kind === 'debit')
        .map((e: { orderId: string }) => e.orderId),
      [paid.id],
    );
    t.same((await ledger(1)).balances, { EUR: 1000 }, 'nothing charged on conflict');
    t.same((await ledger(2)).balances, { EUR: 1000 });

    const audit = () =>
      new Database(db, { readonly: true })
        .prepare('SELECT outcome, order_id, msisdn FROM sightings ORDER BY id')
        .all() as Array<{ outcome: string; order_id: string | null; msisdn: string | null }>;
    t.same(
      audit().map((a) => a.outcome),
      [
        'associated',
        'associated',
        'conflict',
        'expired',
        'cancelled',
        'associated',
        'declined',
        'unresolved',
        'duplicate',
      ],
      'every sighting of a known token kept for audit (unknown ones only counted)',
    );

    // another capture: another subscriber reuses the paid token; the first capture is replayed again.
    // Written from the same second, its first sighting has the time, packet index and token of
    // cap1's first: the replay check must still tell them apart (this once lost the sighting).
    const cap2 = join(dir, 'two.pcap');
    phoneCapture(cap2, [{ who: 4, token: paid.token }], 99, startSec);
    const run2 = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--config',
      cfg,
      '--read',
      cap1,
      cap2,
      '--exit-when-done',
    ]);
    t.same(await run2.exited, { code: 0, signal: null });
    t.equal((await show(paid)).status, 'paid');
    t.same((await ledger(0)).balances, { EUR: 900 }, 'a replay charges nothing again');
    t.same((await ledger(4)).balances, { EUR: 1000 }, 'a reused token charges nothing');
    const after = audit();
    t.same(
      after.slice(9).map((a) => a.outcome),
      [
        'duplicate',
        'conflict',
        'conflict',
        'expired',
        'cancelled',
        'duplicate',
        'duplicate',
        'unresolved',
        'duplicate',
        'used',
      ],
    );
  },
);
