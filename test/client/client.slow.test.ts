// The client kit against a real `gnpay run` on 127.0.0.1 (a child process).
import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { GnpayApiError, GnpayClient, GnpayNetworkError, parseRetryAfter, type OrderEvent } from '../../src/client';
import { closedPort, cli, httpServer, spawnDaemon, tmpDir } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(240000);

t.test('every route through the client', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const cfg = join(dir, 'gnpay.json');
  writeFileSync(cfg, JSON.stringify({ rateLimit: { ordersPerMinute: 60 }, log: { level: 'warn' } }));
  const d = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg, '--log-level', 'info']);
  const sp = JSON.parse(
    (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'shop', '--json'])).stdout,
  );
  const other = JSON.parse(
    (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'other', '--json'])).stdout,
  );
  const gnpay = new GnpayClient({ baseUrl: `${d.url}/`, apiKey: sp.apiKey });

  const o = await gnpay.createOrder({ amount: 199, currency: 'EUR', reference: 'cart-1', description: 'a song' });
  t.match(o, { status: 'pending', amount: 199, currency: 'EUR', reference: 'cart-1', msisdn: null });
  t.same(await gnpay.getOrder(o.id), o);
  const k1 = await gnpay.createOrder({ amount: 5, currency: 'EUR', reference: 'cart-2' }, { idempotencyKey: 'cart-2' });
  const k2 = await gnpay.createOrder({ amount: 5, currency: 'EUR', reference: 'cart-2' }, { idempotencyKey: 'cart-2' });
  t.equal(k2.id, k1.id, 'same key, same order');
  const k3 = await gnpay.createOrder({ amount: 5, currency: 'EUR', reference: 'cart-2' });
  t.not(k3.id, k1.id, 'without a key each call is a new order (a key is generated per call)');

  const page = await gnpay.listOrders({ reference: 'cart-2', limit: 1 });
  t.equal(page.orders.length, 1);
  t.ok(page.nextCursor);
  const page2 = await gnpay.listOrders({ reference: 'cart-2', after: page.nextCursor! });
  t.equal(page2.orders.length, 1);
  t.equal((await gnpay.listOrders({ status: 'pending' })).orders.length, 3);

  const c = await gnpay.cancelOrder(o.id);
  t.equal(c.status, 'cancelled');
  t.equal((await gnpay.cancelOrder(o.id)).status, 'cancelled');

  // typed errors
  const err = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as GnpayApiError;
    }
    throw new Error('expected an error');
  };
  const nf = await err(new GnpayClient({ baseUrl: d.url, apiKey: other.apiKey }).getOrder(o.id));
  t.ok(nf instanceof GnpayApiError);
  t.match(nf, { status: 404, code: 'NOT_FOUND', name: 'GnpayApiError' });
  t.ok(nf.correlator, 'the correlator comes back');
  t.match(await err(new GnpayClient({ baseUrl: d.url, apiKey: 'gnpk_wrong' }).getOrder(o.id)), {
    status: 401,
    code: 'UNAUTHENTICATED',
  });
  t.match(
    await err(gnpay.createOrder({ amount: 5, currency: 'EUR', reference: 'other' }, { idempotencyKey: 'cart-2' })),
    { status: 409, code: 'CONFLICT' },
  );
  t.match(await err(gnpay.createOrder({ amount: -5, currency: 'EUR', reference: 'x' })), {
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'body/amount must be >= 1',
  });
  t.match(
    await err(
      gnpay
        .cancelOrder(k1.id)
        .then(() => gnpay.cancelOrder(k1.id))
        .then(() => gnpay.getOrder('ord_x')),
    ),
    { code: 'NOT_FOUND' },
  );

  // the event feed as an async iterator, resumable at a cursor
  const seen: OrderEvent[] = [];
  for await (const e of gnpay.events({ follow: false, limit: 2 })) seen.push(e);
  t.same(
    seen.map((e) => `${e.subject}:${e.type}`),
    [
      `${o.id}:org.gnpay.order.pending`,
      `${k1.id}:org.gnpay.order.pending`,
      `${k3.id}:org.gnpay.order.pending`,
      `${o.id}:org.gnpay.order.cancelled`,
      `${k1.id}:org.gnpay.order.cancelled`,
    ],
  );
  const resumed: string[] = [];
  for await (const e of gnpay.events({ after: seen[2]!.cursor, follow: false })) resumed.push(e.type);
  t.same(resumed, ['org.gnpay.order.cancelled', 'org.gnpay.order.cancelled']);
  // following: a new change shows up, then abort ends the iteration
  const ac = new AbortController();
  const followed: string[] = [];
  const follower = (async () => {
    for await (const e of gnpay.events({
      after: seen[seen.length - 1]!.cursor,
      pollIntervalMs: 20,
      signal: ac.signal,
    })) {
      followed.push(e.type);
      ac.abort();
    }
  })();
  await gnpay.cancelOrder(k3.id);
  await follower;
  t.same(followed, ['org.gnpay.order.cancelled']);
  const stopped = new AbortController();
  stopped.abort();
  for await (const _ of gnpay.events({ signal: stopped.signal })) t.fail('an aborted iterator yields nothing');

  // 429 with Retry-After: the client waits as told and succeeds (60 per minute: a token a second)
  const burst = await Promise.all(
    Array.from({ length: 57 }, (_, i) => gnpay.createOrder({ amount: 1, currency: 'EUR', reference: `b${i}` })),
  );
  t.equal(burst.length, 57);
  const noRetry = new GnpayClient({ baseUrl: d.url, apiKey: sp.apiKey, maxRetries: 0 });
  const limited = await err(
    Promise.all(Array.from({ length: 5 }, () => noRetry.createOrder({ amount: 1, currency: 'EUR', reference: 'x' }))),
  );
  t.match(limited, { status: 429, code: 'TOO_MANY_REQUESTS' });
  t.ok(limited.retryAfterSeconds! >= 1);
  const late = await gnpay.createOrder({ amount: 1, currency: 'EUR', reference: 'after-429' });
  t.equal(late.status, 'pending', 'retried after Retry-After');
});

t.test('retries on 5xx and network failures, then typed errors', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const d = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--log-level', 'warn']);
  const sp = JSON.parse(
    (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'shop', '--json'])).stdout,
  );
  // a real HTTP front that fails the first two requests of each path, then forwards to the daemon
  const failures = new Map<string, number>();
  let retryAfterSent = false;
  const { url } = await httpServer(t, async (req, body, res) => {
    const n = failures.get(req.url!) ?? 0;
    failures.set(req.url!, n + 1);
    if (n === 0) {
      res.statusCode = 503;
      if (!retryAfterSent) {
        retryAfterSent = true;
        res.setHeader('retry-after', new Date(Date.now() + 1000).toUTCString());
      }
      return res.end('not json');
    }
    if (n === 1) return res.socket?.destroy();
    const headers = { ...req.headers } as Record<string, string>;
    delete headers.host;
    delete headers['content-length'];
    const r = await fetch(`${d.url}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? body : undefined,
    });
    res.statusCode = r.status;
    r.headers.forEach((v, k) => k !== 'content-length' && k !== 'transfer-encoding' && res.setHeader(k, v));
    res.end(await r.text());
  });
  const gnpay = new GnpayClient({ baseUrl: url, apiKey: sp.apiKey, retryBaseMs: 10, maxRetries: 3 });
  const o = await gnpay.createOrder({ amount: 1, currency: 'EUR', reference: 'r' }, { idempotencyKey: 'once' });
  t.equal(o.status, 'pending');
  t.equal(failures.get('/v1/orders'), 3, 'two failures, then through');
  t.equal((await gnpay.listOrders()).orders.length, 1, 'retries of a POST with its idempotency key made one order');

  const fewer = new GnpayClient({ baseUrl: url, apiKey: sp.apiKey, retryBaseMs: 10, maxRetries: 1 });
  try {
    await fewer.getOrder('ord_missing');
    t.fail('expected an error');
  } catch (e) {
    t.ok(e instanceof GnpayNetworkError, 'network failure after the retries');
  }
  try {
    await new GnpayClient({ baseUrl: url, apiKey: sp.apiKey, maxRetries: 0 }).getOrder('ord_other');
    t.fail('expected an error');
  } catch (e) {
    t.match(e, { status: 503, code: 'UNKNOWN', message: 'HTTP 503', correlator: null });
  }
  try {
    await new GnpayClient({ baseUrl: await closedPort(), apiKey: 'x', maxRetries: 0 }).getOrder('x');
    t.fail('expected an error');
  } catch (e) {
    t.match(e, { name: 'GnpayNetworkError', message: /GET \/v1\/orders\/x: fetch failed/ });
  }
  t.equal(parseRetryAfter(null), null);
  t.equal(parseRetryAfter(' 7 '), 7);
  t.equal(parseRetryAfter('soon'), null);
  t.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
  t.equal(parseRetryAfter(new Date(0).toUTCString(), 10_000), 0);
});
