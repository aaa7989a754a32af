// The HTTP payment driver (src/payments/drivers/http.ts) against a real server on 127.0.0.1.
import t from 'tap';
import { describeFetchError, HttpDriver } from '../../../src/payments/drivers/http';
import { parseSignatureHeader, signatureMatches } from '../../../src/client/signature';
import { closedPort, httpServer } from '../../e2e/harness';

// real servers on a shared 2-core machine: generous, bounded
t.setTimeout(120000);

const req = {
  idempotencyKey: 'ord_1',
  msisdn: '491511234567',
  amount: 250,
  currency: 'EUR',
  reference: 'r-1',
  description: 'd',
};

t.test('http driver: signed request, answers mapped', async (t) => {
  const secret = 'platform-secret';
  const seen: Array<{ headers: Record<string, unknown>; body: string }> = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end();
  const { url } = await httpServer(t, (r, body, res) => {
    seen.push({ headers: r.headers, body });
    answer(res);
  });
  const d = new HttpDriver({ url: `${url}/charge`, secret, timeoutMs: 2000, clock: () => 1_700_000_000_000 });
  t.equal(d.name, 'http');
  const reply = (status: number, body: string) => (res: import('node:http').ServerResponse) => {
    res.statusCode = status;
    res.end(body);
  };
  const cases: Array<[string, (res: import('node:http').ServerResponse) => void, string, string?]> = [
    ['succeeded', reply(200, '{"status":"succeeded"}'), 'succeeded'],
    ['declined', reply(200, '{"status":"declined","reason":"no credit"}'), 'declined', 'PLATFORM_DECLINED'],
    ['201 succeeded', reply(201, '{"status":"succeeded"}'), 'succeeded'],
    ['2xx without a status', reply(200, '{}'), 'unknown'],
    ['2xx not JSON', reply(200, 'ok'), 'unknown'],
    ['400', reply(400, '{}'), 'declined', 'PLATFORM_REJECTED'],
    ['402', reply(402, ''), 'declined', 'PLATFORM_REJECTED'],
    // the key held by another request: a decline, marked so (the worker keeps a charge in doubt on it)
    ['409', reply(409, '{"error":"idempotency key in use"}'), 'declined', 'PLATFORM_REJECTED'],
    ['408', reply(408, ''), 'retry'],
    ['429', reply(429, ''), 'retry'],
    // what may have charged is unknown, never a plain retry
    ['500', reply(500, ''), 'unknown'],
    ['503', reply(503, ''), 'unknown'],
    [
      '302',
      (res) => {
        res.statusCode = 302;
        res.setHeader('location', 'http://127.0.0.1:1/');
        res.end();
      },
      'unknown',
    ],
    ['timeout', () => {}, 'unknown'],
    ['reset', (res) => res.socket?.destroy(), 'unknown'],
  ];
  for (const [name, a, outcome, reason] of cases) {
    answer = a;
    const r = await d.charge(req);
    t.equal(r.outcome, outcome, name);
    if (reason) t.equal((r as { reason: string }).reason, reason, `${name} reason`);
    if (name === 'timeout') t.match((r as { error: string }).error, /timeout after 2000 ms/);
    t.equal((r as { keyHeld?: boolean }).keyHeld === true, name === '409', `${name}: the key held or not`);
  }
  const first = seen[0]!;
  t.same(JSON.parse(first.body), {
    idempotencyKey: 'ord_1',
    msisdn: '+491511234567',
    amount: 250,
    currency: 'EUR',
    reference: 'r-1',
    description: 'd',
  });
  t.equal(first.headers['idempotency-key'], 'ord_1');
  t.equal(first.headers['content-type'], 'application/json');
  const sig = parseSignatureHeader(String(first.headers['gnpay-signature']));
  t.equal(sig?.timestamp, 1_700_000_000);
  t.ok(signatureMatches(secret, sig!, first.body), 'the platform can verify the signature');
  t.notOk(signatureMatches('other', sig!, first.body));

  const down = new HttpDriver({ url: `${await closedPort()}/charge`, secret, timeoutMs: 1000 });
  const r = await down.charge(req);
  t.equal(r.outcome, 'retry', 'a refused connection sent nothing: a plain retry');
  t.match((r as { error: string }).error, /ECONNREFUSED/);
  t.notOk(down.status, 'no status call unless the platform has one');
  const ac = new AbortController();
  answer = () => ac.abort();
  const cut = await d.charge(req, ac.signal);
  t.same(
    cut,
    { outcome: 'unknown', error: 'aborted: shutting down' },
    'an attempt aborted at shutdown may have charged',
  );
});

t.test('http driver: the status call', async (t) => {
  const secret = 'platform-secret';
  const seen: Array<{ url: string; headers: Record<string, unknown> }> = [];
  let answer: (res: import('node:http').ServerResponse) => void = (res) => res.end();
  const { url } = await httpServer(t, (r, _body, res) => {
    seen.push({ url: r.url!, headers: r.headers });
    answer(res);
  });
  const d = new HttpDriver({
    url: `${url}/charge`,
    statusUrl: `${url}/charges/{key}/status`,
    secret,
    timeoutMs: 2000,
    clock: () => 1_700_000_000_000,
  });
  const reply = (status: number, body: string) => (res: import('node:http').ServerResponse) => {
    res.statusCode = status;
    res.end(body);
  };
  const cases: Array<[string, (res: import('node:http').ServerResponse) => void, string]> = [
    ['succeeded', reply(200, '{"status":"succeeded"}'), 'succeeded'],
    ['declined', reply(200, '{"status":"declined"}'), 'declined'],
    ['absent', reply(404, ''), 'absent'],
    ['200 without a status', reply(200, '{}'), 'unknown'],
    ['500', reply(500, ''), 'unknown'],
    ['timeout', () => {}, 'unknown'],
  ];
  for (const [name, a, outcome] of cases) {
    answer = a;
    t.equal((await d.status!(req)).outcome, outcome, name);
  }
  t.equal(seen[0]!.url, '/charges/ord_1/status');
  t.equal(seen[0]!.headers['idempotency-key'], 'ord_1');
  const sig = parseSignatureHeader(String(seen[0]!.headers['gnpay-signature']));
  t.ok(signatureMatches(secret, sig!, 'ord_1'), 'signed over "<t>.<idempotency key>"');
  const down = new HttpDriver({
    url: `${url}/charge`,
    statusUrl: `${await closedPort()}/s/{key}`,
    secret,
    timeoutMs: 2000,
  });
  t.match(await down.status!(req), { outcome: 'unknown', error: /status call: fetch failed/ });
});

t.test('describeFetchError', async (t) => {
  const timeout = Object.assign(new Error('x'), { name: 'TimeoutError' });
  t.equal(describeFetchError(timeout, 5), 'timeout after 5 ms');
  t.equal(
    describeFetchError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }), 5),
    'fetch failed: ECONNRESET',
  );
  t.equal(
    describeFetchError(Object.assign(new Error('fetch failed'), { cause: { message: 'other side closed' } }), 5),
    'fetch failed: other side closed',
  );
  t.equal(describeFetchError(new Error('boom'), 5), 'boom');
});
