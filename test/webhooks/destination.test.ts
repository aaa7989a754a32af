// Webhook destinations: loopback, link-local (cloud metadata), private and
// reserved addresses are refused unless the operator allows them, on the
// address each connection is made to, so a name whose answers change (DNS
// rebinding) cannot reach them; credentials in a webhook URL are sent as
// Basic authentication and never logged or stored in errors.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { DestinationPolicy, parseCidr, redactUrl, resolverLookup } from '../../src/webhooks/destination';
import { WebhookWorker } from '../../src/webhooks/worker';
import { ORDER_OPTS, cli, httpServer, openStore, tmpDir, until } from '../e2e/harness';
import { testDns } from '../helpers/dns';

t.setTimeout(120000);

const base = {
  timeoutMs: 2000,
  retryHours: 1,
  concurrency: 4,
  backoff: { baseMs: 5, maxMs: 20 },
  pollMs: 30,
  breaker: { failures: 1000, baseMs: 1000, maxMs: 1000 },
};

t.test('the policy: refused ranges, allowed ones, parsing', async (t) => {
  const p = new DestinationPolicy();
  const refused: Array<[string, RegExp]> = [
    ['127.0.0.1', /loopback/],
    ['127.9.9.9', /loopback/],
    ['169.254.169.254', /link-local \(cloud metadata\)/],
    ['10.1.2.3', /private/],
    ['172.20.0.1', /private/],
    ['192.168.1.1', /private/],
    ['100.100.100.200', /shared/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /private/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:a9fe:a9fe', /link-local/],
    ['64:ff9b::a9fe:a9fe', /NAT64/],
    ['ff02::1', /multicast/],
  ];
  for (const [a, why] of refused) t.match(p.refusal(a), why, `${a} refused`);
  for (const a of ['8.8.8.8', '203.0.113.7', '::ffff:8.8.8.8', '2001:4860:4860::8888', '2a00:1450::1'])
    t.equal(p.refusal(a), null, `${a} allowed`);
  t.equal(p.refusal('not-an-ip'), 'not an IP address');
  const allowing = new DestinationPolicy(['10.0.0.0/8', '127.0.0.2', 'fd00::/8']);
  t.equal(allowing.refusal('10.9.9.9'), null, 'an allowed private range');
  t.equal(allowing.refusal('127.0.0.2'), null, 'one allowed loopback address');
  t.match(allowing.refusal('127.0.0.1'), /loopback/, 'not the rest of loopback');
  t.equal(allowing.refusal('fd12::1'), null);
  t.throws(() => allowing.checkHost('127.0.0.1'), {
    code: 'EDESTINATION',
    message: /destination 127\.0\.0\.1 not allowed: loopback \(webhooks\.allowDestinations\)/,
  });
  t.throws(() => p.checkHost('[::1]'), { code: 'EDESTINATION' });
  t.doesNotThrow(() => p.checkHost('hooks.example'), 'names are checked when connecting');
  for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/8/1', '::1/129', '10.0.0.0/a'])
    t.throws(() => parseCidr(bad), /is not an address or an address\/prefix/, bad);
  t.throws(
    () => loadConfig(null, { webhooks: { allowDestinations: ['nope'] } }),
    /config: webhooks\.allowDestinations\[0\]: "nope" is not an address/,
  );
  t.same(loadConfig(null, { webhooks: { allowDestinations: ['10.0.0.0/8'] } }).webhooks.allowDestinations, [
    '10.0.0.0/8',
  ]);
  t.equal(redactUrl('https://user:secret@hooks.example/x?y=1'), 'https://***:***@hooks.example/x?y=1');
  t.equal(redactUrl('https://hooks.example/x'), 'https://hooks.example/x');
  t.equal(redactUrl('::'), '(not a URL)');
});

t.test('the operations listener and the metadata address are never POSTed to', async (t) => {
  const store = openStore(t);
  let trapped = 0;
  const trap = await httpServer(t, (_req, _body, res) => {
    trapped++;
    res.end();
  });
  const port = new URL(trap.url).port;
  const a = store.sps.add({ name: 'ops', webhookUrl: `http://127.0.0.1:${port}/metrics` }).sp;
  const b = store.sps.add({ name: 'metadata', webhookUrl: 'http://169.254.169.254/latest/meta-data/' }).sp;
  const c = store.sps.add({ name: 'localhost', webhookUrl: `http://localhost:${port}/x` }).sp;
  for (const sp of [a, b, c]) store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  const w = new WebhookWorker(store, base);
  w.start();
  await until(
    () => (store.db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE attempts >= 3`).pluck().get() as number) === 3,
    20_000,
    'attempted thrice each',
  );
  await w.stop(1000);
  t.equal(trapped, 0, 'nothing reached the loopback listener');
  const errors = Object.fromEntries(
    (
      store.db.prepare('SELECT sp_id, last_error FROM webhook_outbox').all() as Array<{
        sp_id: string;
        last_error: string;
      }>
    ).map((r) => [r.sp_id, r.last_error]),
  );
  t.match(errors[a.id], /destination 127\.0\.0\.1 not allowed: loopback/);
  t.match(errors[b.id], /destination 169\.254\.169\.254 not allowed: link-local \(cloud metadata\)/);
  t.match(errors[c.id], /destination (127\.0\.0\.1|::1) not allowed: loopback/, 'a name resolving to loopback too');
});

t.test('DNS rebinding: the address is checked for each connection, as it is made', async (t) => {
  const store = openStore(t);
  // the SP's receiver on 127.0.0.2 (allowed by the operator), a trap on 127.0.0.1 at the same port (refused)
  const received: string[] = [];
  let trapped = 0;
  const listen = (s: Server, host: string, port: number) =>
    new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.listen(port, host, () => r(true));
    });
  let port = 0;
  let receiver: Server | null = null;
  let trap: Server | null = null;
  for (let i = 0; i < 20 && !trap; i++) {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body).data.reference);
        res.setHeader('connection', 'close'); // a new connection, so a new lookup, for every webhook
        res.end();
      });
    });
    await listen(receiver, '127.0.0.2', 0);
    port = (receiver.address() as { port: number }).port;
    const candidate = createServer((_req, res) => {
      trapped++;
      res.end();
    });
    if (await listen(candidate, '127.0.0.1', port)) trap = candidate;
    else receiver.close();
  }
  t.ok(trap, 'a port free on both addresses');
  t.teardown(() => {
    receiver!.closeAllConnections();
    receiver!.close();
    trap!.close();
  });
  // answers: allowed, then loopback, then metadata, then allowed again, in turns
  const turns = ['127.0.0.2', '127.0.0.1', '169.254.169.254'];
  const dns = await testDns((_name, n) => turns[n % 3]!);
  t.teardown(() => dns.close());
  const sp = store.sps.add({ name: 'rebinder', webhookUrl: `http://hooks.rebind.test:${port}/h` }).sp;
  for (let i = 0; i < 6; i++)
    store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: `r${i}` }, ORDER_OPTS);
  const w = new WebhookWorker(
    store,
    { ...base, perSpConcurrency: 1, allowDestinations: ['127.0.0.2/32'] },
    { lookup: resolverLookup([dns.server]) },
  );
  w.start();
  await until(() => received.length === 6, 60_000, 'every webhook, through the allowed answers');
  await w.stop(1000);
  t.equal(trapped, 0, 'the refused answers never got a connection');
  t.same([...received].sort(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  t.ok(dns.queries.length >= 12, `the name was resolved for each connection (${dns.queries.length} queries)`);
  const errors = store.db
    .prepare('SELECT last_error FROM webhook_outbox WHERE last_error IS NOT NULL')
    .pluck()
    .all() as string[];
  t.ok(
    errors.some((e) => /127\.0\.0\.1 not allowed: loopback/.test(e)),
    'a loopback answer was refused',
  );
  t.ok(
    errors.some((e) => /169\.254\.169\.254 not allowed/.test(e)),
    'a metadata answer was refused',
  );
});

t.test('credentials in a webhook URL: sent as Basic authentication, never logged, listed masked', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const seen: string[] = [];
  let fail = 2;
  const receiver = await httpServer(t, (req, _body, res) => {
    seen.push(String(req.headers.authorization));
    res.statusCode = fail-- > 0 ? 500 : 204;
    res.end();
  });
  const url = receiver.url.replace('http://', 'http://hook-user:s3cr%40t-pass@');
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ webhooks: { allowDestinations: ['127.0.0.1/32'] } }));
  const sp = JSON.parse(
    (await cli(['sp', 'add', '--db', db, '--config', cfg, '--name', 'x', '--webhook', `${url}/h`, '--json'])).stdout,
  );
  const listed = JSON.parse((await cli(['sp', 'list', '--db', db, '--json'])).stdout);
  t.equal(listed[0].webhookUrl, `${receiver.url.replace('http://', 'http://***:***@')}/h`, 'sp list masks them');
  t.notMatch((await cli(['sp', 'list', '--db', db])).stdout, /s3cr/);
  const { Store } = await import('../../src/store');
  const store = Store.open(db);
  t.teardown(() => store.close());
  store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  const logs: string[] = [];
  const log = (await import('pino')).default({ level: 'trace' }, { write: (s: string) => logs.push(s) });
  const w = new WebhookWorker(store, { ...base, allowDestinations: ['127.0.0.1/32'] }, { log });
  w.start();
  await until(() => store.webhooks.pendingCount() === 0, 20_000, 'delivered');
  await w.stop(1000);
  t.same(
    seen,
    Array(3).fill(`Basic ${Buffer.from('hook-user:s3cr@t-pass').toString('base64')}`),
    'Basic authentication on every attempt',
  );
  t.equal(logs.filter((l) => l.includes('will retry')).length, 2, 'the retries are logged');
  t.notOk(
    logs.some((l) => l.includes('s3cr') || l.includes('hook-user')),
    'without the credentials',
  );
  t.notOk((store.db.prepare('SELECT last_error FROM webhook_outbox').pluck().get() as string).includes('s3cr'));
});
