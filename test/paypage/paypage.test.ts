// The pay page without the lab: a real HTTPS listener, real TLS connections
// whose ClientHello random the test reports as the probe would, real SQLite.
// Binding, identification without charge, confirmation, CSRF, the second
// phone, unbound connections, limits, headers.
import t, { type Test } from 'tap';
import { PaymentWorker } from '../../src/payments/worker';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import { PayServer } from '../../src/paypage/server';
import type { Store } from '../../src/store';
import type { ConsentLimits } from '../../src/store/consent';
import { orderView } from '../../src/store/views';
import { openStore, tmpDir, until } from '../e2e/harness';
import { csrfOf, hello, makeCert, PayClient } from '../helpers/paypage';

t.setTimeout(120_000);

const TEMPLATE = 'https://pay.example.net/pay/{token}';
const A = '491701234567';
const B = '491709876543';

interface Lab {
  store: Store;
  server: PayServer;
  base: string;
  limits: ConsentLimits;
  client(msisdn: string | null, o?: { resolvedBy?: 'teid' | 'ue-ip' | null }): PayClient;
  order(
    amount?: number,
    extra?: { returnUrl?: string; ttlSeconds?: number },
  ): ReturnType<Store['orders']['create']>['order'];
  spId: string;
}

async function lab(t: Test, o: { tls?: boolean; bindTimeoutMs?: number; limits?: ConsentLimits } = {}): Promise<Lab> {
  const dir = tmpDir(t);
  const store = openStore(t);
  const { cert, key } = makeCert(dir);
  const limits = o.limits ?? { perTransaction: 50, perMonth: 300 };
  const worker = new PaymentWorker(store, {
    driver: new LedgerDriver(store.ledger),
    concurrency: 1,
    maxAttempts: 3,
    backoff: { baseMs: 10, maxMs: 50 },
    leaseMs: 30_000,
    pollMs: 20,
  });
  worker.start();
  const server = new PayServer({
    store,
    payUrlTemplate: () => TEMPLATE,
    limits: () => limits,
    tls: o.tls === false ? null : { cert, key },
    bindTimeoutMs: o.bindTimeoutMs ?? 1500,
    onConfirmed: () => worker.wake(),
  });
  const base = await server.listen('127.0.0.1', 0);
  const clients: PayClient[] = [];
  t.teardown(async () => {
    clients.forEach((c) => c.close());
    await server.close();
    await worker.stop(1000);
  });
  const { sp } = store.sps.add({ name: 'Music <shop>', returnOrigins: ['https://shop.example'] });
  store.ledger.credit(A, 100_000, { currency: 'EUR' });
  store.ledger.credit(B, 100_000, { currency: 'EUR' });
  return {
    store,
    server,
    base,
    limits,
    spId: sp.id,
    client(msisdn, co = {}) {
      const c = new PayClient(base);
      // the probe: reports the ClientHello as soon as it is on the wire
      c.onRandom = (r) => {
        if (msisdn !== null)
          store.bindings.record(hello(r, msisdn, co.resolvedBy !== undefined ? { resolvedBy: co.resolvedBy } : {}));
      };
      clients.push(c);
      return c;
    },
    order(amount = 499, extra = {}) {
      return store.orders.create(
        sp.id,
        { amount, currency: 'EUR', reference: `r${Math.random()}`, description: 'Album "Blue"', ...extra },
        {
          payUrlTemplate: TEMPLATE,
          defaultTtlSeconds: 900,
          maxTtlSeconds: 86400,
          returnOrigins: ['https://shop.example'],
        },
      ).order;
    },
  };
}

const pathOf = (payUrl: string) => new URL(payUrl).pathname;

t.test('a bound phone sees the page, is identified without charge, confirms, and pays', async (t) => {
  const l = await lab(t);
  const o = l.order(499, { returnUrl: 'https://shop.example/done?x=1' });
  const phone = l.client(A);
  const page = await phone.request('GET', pathOf(o.pay_url), { headers: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  t.equal(page.status, 200);
  t.match(page.body, /Music &lt;shop&gt;/, 'merchant, escaped');
  t.match(page.body, /Album &quot;Blue&quot;/, 'description');
  t.match(page.body, /4,99\s€/, 'amount formatted for the language (de)');
  t.match(page.body, /\+49 170 \*{5} 67/, 'the masked number that will pay');
  t.match(page.body, /value="confirm"/);
  t.match(page.body, /value="cancel"/);
  t.notMatch(page.body, /<script/i, 'no JavaScript');
  t.notMatch(page.body, /(src|href)="https?:/i, 'nothing from another origin');
  for (const [h, v] of Object.entries({
    'content-security-policy': /frame-ancestors 'none'/,
    'x-frame-options': /^DENY$/,
    'referrer-policy': /^no-referrer$/,
    'cache-control': /^no-store$/,
  }))
    t.match(String(page.headers[h]), v, h);
  t.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  t.match(String(page.headers['set-cookie']), /__Host-gnpay_csrf=.*HttpOnly; SameSite=Strict; Secure/);

  let row = l.store.orders.find(o.id)!;
  t.equal(row.status, 'identified', 'identified by opening the page');
  t.equal(row.msisdn, null, 'identification reveals no number to the SP');
  t.equal(orderView(row, ['msisdn:read']).msisdn, null);
  t.equal(l.store.payments.pendingCount(), 0, 'nothing queued');
  t.equal(l.store.ledger.show(A).balances.EUR, 100_000, 'nothing charged');

  const post = await phone.request('POST', pathOf(o.pay_url), {
    form: { csrf: csrfOf(page.body), action: 'confirm' },
    headers: { Origin: 'https://pay.example.net', 'Sec-Fetch-Site': 'same-origin' },
  });
  t.equal(post.status, 303, 'POST-redirect-GET');
  await until(() => l.store.orders.find(o.id)!.status === 'paid', 10_000, 'paid');
  const done = await phone.request('GET', pathOf(o.pay_url));
  t.match(done.body, /Payment done/);
  t.match(done.body, /href="https:\/\/shop\.example\/done\?x=1"/, 'the link back to the SP');
  row = l.store.orders.find(o.id)!;
  t.equal(row.msisdn, A, 'the confirming MSISDN pays');
  t.equal(l.store.ledger.show(A).balances.EUR, 100_000 - 499);
  const ev = l.store.consent.evidence(o.id)!;
  t.equal(ev.mode, 'page');
  t.equal(ev.msisdn, A);
  t.equal(ev.teid, 1);
  t.equal(ev.gsnSrc, '10.201.0.1');
  t.equal(ev.sni, 'pay.example.net');
  t.match(ev.pageDigest, /^[0-9a-f]{64}$/);
  t.ok(ev.identifiedAt && ev.pageViewAt && ev.confirmedAt);
});

t.test(
  'an unbound connection (no ClientHello report) sees no order or subscriber data and can never confirm',
  async (t) => {
    const l = await lab(t, { bindTimeoutMs: 300 });
    const o = l.order();
    const wifi = l.client(null);
    const t0 = Date.now();
    const page = await wifi.request('GET', pathOf(o.pay_url));
    t.ok(Date.now() - t0 >= 250, 'the lookup waited for the probe, a bounded time');
    t.equal(page.status, 200);
    t.match(page.body, /mobile data/);
    t.notMatch(page.body, /Music|4\.99|\*\*\*|csrf/, 'nothing of the order or the subscriber');
    const post = await wifi.request('POST', pathOf(o.pay_url), { form: { csrf: 'x', action: 'confirm' } });
    t.equal(post.status, 403);
    t.equal(l.store.orders.find(o.id)!.status, 'pending');
    // a UE-address resolution is not tunnel evidence: never binds
    const spoof = l.client(A, { resolvedBy: 'ue-ip' });
    t.match((await spoof.request('GET', pathOf(o.pay_url))).body, /mobile data/);
    t.equal(l.store.bindings.size(), 0, 'no binding stored from a UE-address resolution');
    t.equal(l.store.orders.find(o.id)!.status, 'pending');
  },
);

t.test('the binding waits for a probe that reports late, then holds for the connection', async (t) => {
  const l = await lab(t, { bindTimeoutMs: 2000 });
  const o = l.order();
  const c = new PayClient(l.base);
  c.onRandom = (r) =>
    setTimeout(() => {
      l.store.bindings.record(hello(r, A));
      l.store.bindings.notify();
    }, 150);
  t.teardown(() => c.close());
  const page = await c.request('GET', pathOf(o.pay_url));
  t.match(page.body, /Confirm payment/);
  const again = await c.request('GET', pathOf(o.pay_url));
  t.match(again.body, /Confirm payment/, 'the second request of the connection is bound at once');
});

t.test('CSRF: no cookie, a wrong token, another site, another origin, another content type: refused', async (t) => {
  const l = await lab(t);
  const o = l.order();
  const phone = l.client(A);
  const page = await phone.request('GET', pathOf(o.pay_url));
  const csrf = csrfOf(page.body);
  const p = pathOf(o.pay_url);
  t.equal(
    (await phone.request('POST', p, { form: { csrf, action: 'confirm' }, cookies: false })).status,
    403,
    'no cookie (a cross-site form POST carries no SameSite=Strict cookie)',
  );
  t.equal(
    (await phone.request('POST', p, { form: { csrf: csrf.slice(0, -2) + 'AA', action: 'confirm' } })).status,
    403,
    'wrong token',
  );
  t.equal((await phone.request('POST', p, { form: { action: 'confirm' } })).status, 403, 'no token');
  t.equal(
    (await phone.request('POST', p, { form: { csrf, action: 'confirm' }, headers: { 'Sec-Fetch-Site': 'cross-site' } }))
      .status,
    403,
    'cross-site',
  );
  t.equal(
    (await phone.request('POST', p, { form: { csrf, action: 'confirm' }, headers: { Origin: 'https://evil.example' } }))
      .status,
    403,
    'other origin',
  );
  t.equal((await phone.request('POST', p, { form: { csrf, action: 'whatever' } })).status, 403, 'unknown action');
  const put = await phone.request('POST', p, { headers: { 'Content-Type': 'text/plain' } });
  t.equal(put.status, 403, 'not a form');
  t.equal(l.store.orders.find(o.id)!.status, 'identified');
  t.equal(l.store.payments.pendingCount(), 0);
  t.equal(l.store.ledger.show(A).balances.EUR, 100_000);
  // Cancel changes nothing for anyone: nobody can lock an order
  const cancel = await phone.request('POST', p, { form: { csrf, action: 'cancel' } });
  t.match(cancel.body, /Nothing was charged/);
  t.equal(l.store.orders.find(o.id)!.status, 'identified');
});

t.test("a second phone cannot confirm the first phone's page; it may confirm its own, and then it pays", async (t) => {
  const l = await lab(t);
  const o = l.order();
  const p = pathOf(o.pay_url);
  const a = l.client(A);
  const pageA = await a.request('GET', p);
  const b = l.client(B);
  const pageB = await b.request('GET', p);
  t.match(pageB.body, /\+49 170 \*{5} 43/, "phone B sees B's number");
  t.equal(l.store.consent.identifications(o.id), 2, 'both identified; nobody locks the order by opening it');
  // B replays A's form (token and cookie): bound to A's MSISDN, refused on B's connection
  b.cookies = new Map(a.cookies);
  t.equal((await b.request('POST', p, { form: { csrf: csrfOf(pageA.body), action: 'confirm' } })).status, 403);
  t.equal(l.store.orders.find(o.id)!.confirmed_at, null);
  // B confirms its own page
  b.cookies = new Map();
  await b.request('GET', p);
  const csrfB = csrfOf((await b.request('GET', p)).body);
  t.equal((await b.request('POST', p, { form: { csrf: csrfB, action: 'confirm' } })).status, 303);
  await until(() => l.store.orders.find(o.id)!.status === 'paid');
  t.equal(l.store.orders.find(o.id)!.msisdn, B);
  // A comes late: nothing for A
  const late = await a.request('POST', p, { form: { csrf: csrfOf(pageA.body), action: 'confirm' } });
  t.equal(late.status, 409);
  t.equal(l.store.ledger.show(A).balances.EUR, 100_000);
  t.equal(l.store.ledger.show(B).balances.EUR, 100_000 - 499);
});

t.test('limits decline and say which: per transaction, per calendar month', async (t) => {
  const l = await lab(t, { limits: { perTransaction: 50, perMonth: 100 } });
  const phone = l.client(A);
  const confirm = async (amount: number) => {
    const o = l.order(amount);
    const page = await phone.request('GET', pathOf(o.pay_url));
    await phone.request('POST', pathOf(o.pay_url), { form: { csrf: csrfOf(page.body), action: 'confirm' } });
    await until(() => ['paid', 'declined'].includes(l.store.orders.find(o.id)!.status));
    return { row: l.store.orders.find(o.id)!, page: await phone.request('GET', pathOf(o.pay_url)) };
  };
  const big = await confirm(5001);
  t.equal(big.row.status, 'declined');
  t.equal(big.row.reason, 'LIMIT_PER_TRANSACTION');
  t.match(big.page.body, /above the limit for a single payment/);
  t.equal((await confirm(5000)).row.status, 'paid');
  t.equal((await confirm(4000)).row.status, 'paid');
  const month = await confirm(2000);
  t.equal(month.row.reason, 'LIMIT_PER_MONTH');
  t.match(month.page.body, /monthly limit/);
  t.equal(l.store.ledger.show(A).balances.EUR, 100_000 - 9000);
});

t.test('expired, unknown and closed orders; plain HTTP binds nothing', async (t) => {
  const l = await lab(t);
  const phone = l.client(A);
  t.equal((await phone.request('GET', '/pay/aaaaaaaaaaaaaaaaaaaaaaaaaa')).status, 404);
  t.equal((await phone.request('GET', '/nothing')).status, 404);
  const o = l.order(499, { ttlSeconds: 1 });
  await new Promise((r) => setTimeout(r, 1100));
  const page = await phone.request('GET', pathOf(o.pay_url));
  t.match(page.body, /no longer available/);
  t.equal(l.store.orders.find(o.id)!.status, 'expired');

  const plain = await lab(t, { tls: false, bindTimeoutMs: 100 });
  t.match(plain.base, /^http:/);
  const o2 = plain.order();
  const r = await fetch(plain.base + pathOf(o2.pay_url));
  t.match(await r.text(), /mobile data/);
  t.equal(r.headers.get('x-frame-options'), 'DENY');
  t.equal((await fetch(plain.base + pathOf(o2.pay_url), { method: 'PUT' })).status, 405);
});
