import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { DecodeEvent, SessionEvent } from '../../src/native/types';
import { Daemon, type EventSource } from '../../src/pipeline/daemon';
import { processBatch, runPipeline } from '../../src/pipeline/pipeline';
import { activeCarriers } from '../../src/pipeline/carriers';
import { DatabaseLockedError } from '../../src/store/lock';
import { Store } from '../../src/store';
import { verifyWebhook } from '../../src/client';
import { GnpayClient } from '../../src/client';
import { NO_LIMITS, ORDER_OPTS, httpServer, openStore, sighting, tmpDir, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(180000);

const session: SessionEvent = {
  type: 'session',
  event: 'create',
  ts: '2025-01-01T00:00:00.000000Z',
  packet: 1,
  file: null,
  gtp: 1,
  imsi: '262011234567890',
  msisdn: '491511234567',
  imei: null,
  apn: 'internet',
  ueIp: '10.1.2.3',
  ueIpv6: null,
  bearer: 5,
  linkedBearer: null,
  tunnels: [],
};

async function* batches(...bs: DecodeEvent[][]): AsyncGenerator<DecodeEvent[]> {
  for (const b of bs) yield b;
}

/** A synthetic source: the batches, then the end (or never, with `hang`). */
function source(bs: DecodeEvent[][], hang = false): EventSource {
  let closed = false;
  return {
    async *[Symbol.asyncIterator]() {
      for (const b of bs) yield b;
      while (hang && !closed) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      closed = true;
    },
  };
}

const silent = createLogger({ level: 'silent', redactPersonalData: true });

t.test('runPipeline: one transaction per batch, outcomes counted, abort between batches', async (t) => {
  const store = openStore(t);
  const sp = store.sps.add({ confirmation: 'none', name: 's' }).sp;
  const o = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  let associated = 0;
  const committed: number[] = [];
  const seenBatches: number[] = [];
  const deps = {
    store,
    sourceId: 'test',
    limits: () => NO_LIMITS,
    onAssociated: () => associated++,
    onCommitted: (r: unknown[]) => committed.push(r.length),
    onBatch: (b: DecodeEvent[]) => seenBatches.push(b.length),
  };
  const s1 = sighting(o.token, '491511234567');
  const stats = await runPipeline(
    batches([session], [s1, sighting('x'.repeat(26), '491511234567'), session], [sighting(o.token, null)]),
    deps,
  );
  t.same(
    { ...stats, outcomes: undefined },
    {
      batches: 3,
      events: 5,
      sightings: 3,
      replayed: 0,
      failed: 0,
      spooled: 0,
      lost: 0,
      unstored: 0,
      hellos: {},
      outcomes: undefined,
    },
  );
  t.equal(stats.outcomes.associated, 1);
  t.equal(stats.outcomes.unknown, 1);
  t.equal(stats.outcomes.unresolved, 1);
  t.equal(associated, 1);
  t.same(committed, [2, 1]);
  t.same(seenBatches, [1, 3, 1]);
  const again = processBatch([s1], deps);
  t.equal(again.replayed, 1, 'the same sighting again (replay after a crash) changes nothing');
  const ac = new AbortController();
  ac.abort();
  const cut = await runPipeline(batches([session], [session]), deps, ac.signal);
  t.equal(cut.batches, 1, 'stops after the batch under way');
});

t.test('the daemon in-process: synthetic capture -> paid -> webhook, exit when done', async (t) => {
  const dir = tmpDir(t);
  const received: string[] = [];
  let secret = '';
  const hook = await httpServer(t, (req, body, res) => {
    received.push(verifyWebhook(body, req.headers, secret).type);
    res.end();
  });
  const config = loadConfig(null, {
    db: join(dir, 'g.db'),
    listen: '127.0.0.1:0',
    webhooks: { allowDestinations: ['127.0.0.1/32'] },
  });
  // first daemon: API only, to create the order
  const api = await Daemon.start({ config, logger: silent });
  t.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  await t.rejects(
    Daemon.start({ config, logger: silent }),
    DatabaseLockedError,
    'a second daemon on the same database is refused',
  );
  const added = api.store.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: `${hook.url}/hook` });
  secret = added.webhookSecret;
  api.store.ledger.credit('491511234567', 500, { currency: 'EUR' });
  const client = new GnpayClient({ baseUrl: api.url, apiKey: added.apiKey });
  const order = await client.createOrder({ amount: 199, currency: 'EUR', reference: 'cart-1' });
  const notReady = await fetch(`${api.url}/readyz`);
  t.equal(notReady.status, 503, 'an API-only daemon serves the API but is not ready: it sees no traffic');
  t.same(await notReady.json(), {
    status: 'unavailable',
    reason: 'no capture source (capture.interfaces or --read)',
    capture: 'none',
  });
  t.equal(await api.shutdown('test'), 0);
  t.equal(await api.shutdown('again'), 0, 'shutdown once');
  t.equal(await api.done, 0);

  // second daemon: replays a "capture" and exits when charged and notified
  const d = await Daemon.start({
    config,
    logger: silent,
    read: ['synthetic.pcap'],
    exitWhenDone: true,
    openSource: (opts) => {
      t.same(opts.carriers, ['query:pay_token']);
      t.match(opts.files![0], /synthetic\.pcap$/);
      return source([[session, sighting(order.token, '491511234567')]]);
    },
  });
  t.equal(await d.done, 0);
  t.equal(d.pipeline.outcomes.associated, 1);
  await until(() => received.length === 3);
  t.same(received, ['org.gnpay.order.pending', 'org.gnpay.order.identified', 'org.gnpay.order.paid']);
});

t.test('reload, failing sources, the shutdown deadline', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'gnpay.json');
  writeFileSync(
    file,
    JSON.stringify({
      limits: { perMsisdn: { ordersPerHour: 5 } },
      carriers: ['header:X-Pay'],
      shutdown: { timeoutMs: 300 },
    }),
  );
  const flags = { db: join(dir, 'g.db'), listen: '127.0.0.1:0' };
  const carriers: string[][] = [];
  const src = source([[session]], true);
  src.engine = { setCarriers: (c) => carriers.push(c) };
  const d = await Daemon.start({
    config: loadConfig(file, flags),
    configFile: file,
    flags,
    logger: silent,
    read: ['a'],
    openSource: () => src,
  });
  t.equal(d.config.limits.perMsisdn.ordersPerHour, 5);
  writeFileSync(
    file,
    JSON.stringify({
      limits: { perMsisdn: { ordersPerHour: 1 } },
      carriers: ['cookie:pay'],
      shutdown: { timeoutMs: 300 },
    }),
  );
  t.equal(d.reload(), true);
  t.equal(d.config.limits.perMsisdn.ordersPerHour, 1);
  t.same(carriers, [['query:pay_token', 'cookie:pay']]);
  t.equal(d.reload(), true);
  t.equal(carriers.length, 1, 'unchanged carriers are not pushed again');
  writeFileSync(file, '{"limits": ');
  t.equal(d.reload(), false, 'an invalid file keeps the running config');
  t.equal(d.config.limits.perMsisdn.ordersPerHour, 1);
  t.equal(await d.shutdown('test'), 0);

  // a source that fails: with --exit-when-done the daemon exits 3 for a capture error, 1 otherwise
  const failing = (name: string): EventSource => ({
    // eslint-disable-next-line require-yield -- a source that fails before its first batch
    async *[Symbol.asyncIterator]() {
      const e = new Error('truncated');
      e.name = name;
      // the errors src/native raises carry these codes (the daemon reads the code)
      const code =
        name === 'CaptureFileError'
          ? 'ERR_GNPAY_CAPTURE_FILE'
          : name === 'CaptureFilterError'
            ? 'ERR_GNPAY_BAD_FILTER'
            : undefined;
      if (code) (e as Error & { code?: string }).code = code;
      throw e;
    },
  });
  const d2 = await Daemon.start({
    config: loadConfig(null, flags),
    logger: silent,
    read: ['a'],
    exitWhenDone: true,
    openSource: () => failing('CaptureFileError'),
  });
  t.equal(await d2.done, 3);
  const d3 = await Daemon.start({
    config: loadConfig(null, flags),
    logger: silent,
    read: ['a'],
    exitWhenDone: true,
    openSource: () => failing('Error'),
  });
  t.equal(await d3.done, 1);
  const d4 = await Daemon.start({
    config: loadConfig(null, flags),
    logger: silent,
    read: ['a'],
    openSource: () => failing('Error'),
  });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(await d4.shutdown('test'), 0, 'without --exit-when-done a failed replay leaves the API up');
  // live: a capture that cannot run stops the daemon (1; 2 for a filter libpcap rejects)
  const liveFlags = { ...flags, capture: { interfaces: ['eth9'] } };
  const d6 = await Daemon.start({
    config: loadConfig(null, liveFlags),
    logger: silent,
    openSource: () => failing('Error'),
  });
  t.equal(await d6.done, 1, 'a live capture that fails stops the daemon with 1');
  const d7 = await Daemon.start({
    config: loadConfig(null, liveFlags),
    logger: silent,
    openSource: () => failing('CaptureFilterError'),
  });
  t.equal(await d7.done, 2, 'a filter libpcap rejects stops it with 2');
  // a webhook still owed to an SP that does not answer (retried for hours) does not hold the exit
  const owed = join(dir, 'owed.db');
  const seed = Store.open(owed);
  const hooked = seed.sps.add({ confirmation: 'none', name: 'shop', webhookUrl: 'http://127.0.0.1:9/h' }).sp;
  seed.orders.create(hooked.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS);
  seed.close();
  const d8 = await Daemon.start({
    config: loadConfig(null, { ...liveFlags, db: owed }),
    logger: silent,
    openSource: () => failing('Error'),
  });
  t.notOk(d8.settled(), 'a webhook is pending');
  t.equal(await d8.done, 1, 'the failed live capture stops the daemon all the same');

  // a source whose close never returns: the hard deadline ends the shutdown with 1
  const stuck: EventSource = {
    // eslint-disable-next-line require-yield -- a source that never delivers a batch
    async *[Symbol.asyncIterator]() {
      await new Promise(() => {});
    },
    close: () => new Promise(() => {}),
  };
  const d5 = await Daemon.start({
    config: loadConfig(null, { ...flags, shutdown: { timeoutMs: 200 } }),
    logger: silent,
    read: ['a'],
    openSource: () => stuck,
  });
  t.equal(await d5.shutdown('test'), 1);
});

t.test('start refusals and carriers', async (t) => {
  const dir = tmpDir(t);
  await t.rejects(Daemon.start({ config: loadConfig(null, {}), logger: silent }), /db is required/);
  await t.rejects(
    Daemon.start({
      config: loadConfig(null, { db: join(dir, 'x.db'), capture: { interfaces: ['eth0'] } }),
      logger: silent,
      read: ['a'],
    }),
    /cannot be combined/,
  );
  await t.rejects(
    Daemon.start({ config: loadConfig(null, { db: join(dir, 'y.db'), listen: '256.0.0.1:80' }), logger: silent }),
    /ENOTFOUND|EADDRNOTAVAIL|getaddrinfo/,
  );
  await t.rejects(
    Daemon.start({
      config: loadConfig(null, {
        db: join(dir, 'y.db'),
        listen: '127.0.0.1:0',
        secrets: { webhookSecretKeyFile: join(dir, 'missing') },
      }),
      logger: silent,
    }),
    /config: secrets\.webhookSecretKeyFile: cannot read/,
  );
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    redactPersonalData: true,
    destination: { write: (s: string) => lines.push(s) },
  });
  const again = await Daemon.start({
    config: loadConfig(null, { db: join(dir, 'y.db'), listen: '127.0.0.1:0' }),
    logger,
  });
  t.ok(again.url, 'a failed start released the lock');
  again.store.orders.expireDue = () => {
    throw new Error('disk I/O error');
  };
  await until(() => lines.some((l) => l.includes('expiry sweep failed')), 5000, 'the sweeper reports');
  await again.shutdown('test');
  t.same(
    activeCarriers({
      payUrlTemplate: 'https://{token}.pay.example.net/',
      carriers: ['host:pay.example.net', 'query:x'],
    }),
    ['host:pay.example.net', 'query:x'],
  );
});

t.test('live capture options reach the source; flags as config; IPv6 listen; reload without flags', async (t) => {
  const dir = tmpDir(t);
  let seen: Record<string, unknown> | null = null;
  const d = await Daemon.start({
    config: loadConfig(null, {
      db: join(dir, 'l.db'),
      listen: '127.0.0.1:0',
      capture: { interfaces: ['gn0', 'gn1'], bufferMiB: 64, snaplen: 2048, filter: 'udp port 2152' },
    }),
    logger: silent,
    openSource: (opts) => {
      seen = opts as unknown as Record<string, unknown>;
      return source([], true);
    },
  });
  await until(() => seen);
  t.match(seen, {
    files: undefined,
    interfaces: ['gn0', 'gn1'],
    carriers: ['query:pay_token'],
    live: { bufferBytes: 64 * 1024 * 1024, snaplen: 2048, filter: 'udp port 2152' },
  });
  t.equal(d.reload(), true, 'no file, no flags: the defaults');
  t.same(d.config.capture.interfaces, ['gn0', 'gn1'], 'the capture, database and listeners change only on restart');
  t.equal(d.config.db, join(dir, 'l.db'));
  await d.shutdown('test');
  const { flagsToConfig } = await import('../../src/cli/run');
  t.same(
    flagsToConfig({
      db: 'x.db',
      listen: '127.0.0.1:1',
      opsListen: '127.0.0.1:2',
      carrier: ['cookie:c'],
      payUrl: 'http://p/{token}/x',
      interface: ['eth1'],
      logLevel: 'warn',
    }),
    {
      db: 'x.db',
      listen: '127.0.0.1:1',
      opsListen: '127.0.0.1:2',
      carriers: ['cookie:c'],
      payUrlTemplate: 'http://p/{token}/x',
      capture: { interfaces: ['eth1'] },
      log: { level: 'warn' },
    },
  );
  const v6 = await Daemon.start({
    config: loadConfig(null, { db: join(dir, 'v6.db'), listen: '[::1]:0' }),
    logger: silent,
  }).catch(() => null);
  if (v6) {
    t.match(v6.url, /^http:\/\/\[::1\]:\d+$/);
    await v6.shutdown('test');
  } else t.comment('no IPv6 loopback here');
});

t.test('opsListen: /metrics, /healthz and /readyz on their own listener, /metrics gone from the SP API', async (t) => {
  const dir = tmpDir(t);
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    redactPersonalData: true,
    destination: { write: (s: string) => lines.push(s) },
  });
  const d = await Daemon.start({
    config: loadConfig(null, { db: join(dir, 'o.db'), listen: '127.0.0.1:0', opsListen: '127.0.0.1:0' }),
    logger,
  });
  t.match(d.opsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.not(d.opsUrl, d.url);
  const m = await fetch(`${d.opsUrl}/metrics`);
  t.equal(m.status, 200);
  t.match(m.headers.get('content-type'), /^text\/plain/);
  const text = await m.text();
  t.match(text, /gnpay_orders/, 'the gnpay metrics');
  t.match(text, /nodejs_eventloop_lag_seconds/, 'and the process metrics');
  t.same(await fetch(`${d.opsUrl}/healthz`).then((r) => r.json()), { status: 'ok' });
  t.equal(await fetch(`${d.opsUrl}/readyz`).then((r) => r.status), 503, 'no capture source: not ready');
  t.match(
    text,
    /gnpay_http_requests_total\{listener="ops",method="GET",route="\/metrics",status="200"\} 0/,
    'the ops listener counts its requests',
  );
  t.same(
    await fetch(`${d.opsUrl}/v1/orders`).then((r) => r.json()),
    { status: 404, code: 'NOT_FOUND', message: 'no route GET /v1/orders' },
    'no SP API there',
  );
  const api = await fetch(`${d.url}/metrics`);
  t.equal(api.status, 404, 'not on the SP API');
  t.match(await api.json(), { status: 404, code: 'NOT_FOUND' });
  t.equal(await fetch(`${d.url}/healthz`).then((r) => r.status), 200, 'health stays on the API too (load balancers)');
  t.equal(d.reload(), true);
  t.match(lines.join(''), /"keys":\["listen","opsListen","db"\]/, 'a reload names what it cannot change live');
  t.match(d.config.opsListen, '127.0.0.1:0');
  await d.shutdown('test');
  await t.rejects(fetch(`${d.opsUrl}/healthz`), 'the operations listener closes with the daemon');
  t.throws(() => loadConfig(null, { opsListen: 'nope' }), /opsListen must be HOST:PORT/);
});

t.test(
  'the daemon deletes unlinked sightings (kept by earlier versions) after audit.retentionDays, in rounds, and counts them',
  async (t) => {
    const dir = tmpDir(t);
    const clock = { t: Date.parse('2025-01-01T00:00:00Z') };
    const now = () => clock.t;
    const d = await Daemon.start({
      config: loadConfig(null, { db: join(dir, 'r.db'), listen: '127.0.0.1:0', audit: { retentionDays: 7 } }),
      logger: silent,
      clock: now,
    });
    const s = d.store;
    const legacy = s.db.prepare(
      `INSERT INTO sightings (source_key, seen_at, ts, packet, token, outcome) VALUES (?, ?, 't', 1, 'x', 'unknown')`,
    );
    s.db.transaction(() => {
      for (let i = 0; i < 12_000; i++) legacy.run(`old|${i}`, clock.t);
    })();
    t.same(
      s.associator
        .process([sighting('q'.repeat(26), '491511234567')], { now: clock.t, sourceId: 'new' })
        .map((r) => r.outcome),
      ['unknown'],
    );
    t.equal(
      s.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(),
      12_000,
      'an unknown token is no longer stored',
    );
    clock.t += 6 * 86_400_000;
    t.equal(d.pruneSightings(), 0, 'younger than the retention');
    clock.t += 2 * 86_400_000;
    t.equal(d.pruneSightings(), 12_000, 'all of them, in chunks');
    t.equal(s.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(), 0);
    t.match(
      await d.metrics.registry.getSingleMetricAsString('gnpay_sightings_pruned_total'),
      /gnpay_sightings_pruned_total 12000/,
    );
    d.config.audit.retentionDays = null;
    legacy.run('older|1', clock.t - 365 * 86_400_000);
    t.equal(d.pruneSightings(), 0, 'retentionDays null: kept forever');
    await d.shutdown('test');
  },
);

t.test('worker errors are logged, the workers go on', async (t) => {
  const store = openStore(t);
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    redactPersonalData: true,
    destination: { write: (s: string) => lines.push(s) },
  });
  const { PaymentWorker } = await import('../../src/payments/worker');
  const { WebhookWorker } = await import('../../src/webhooks/worker');
  const { HttpDriver } = await import('../../src/payments/drivers/http');
  const { LedgerDriver } = await import('../../src/payments/drivers/ledger');
  const pw = new PaymentWorker(
    store,
    {
      driver: new HttpDriver({ url: 'http://127.0.0.1:9/', secret: 's', timeoutMs: 100 }),
      concurrency: 1,
      maxAttempts: 1,
      backoff: { baseMs: 1, maxMs: 1 },
      leaseMs: 1000,
      pollMs: 10,
    },
    { log },
  );
  const lw = new PaymentWorker(
    store,
    {
      driver: new LedgerDriver(store.ledger),
      concurrency: 1,
      maxAttempts: 1,
      backoff: { baseMs: 1, maxMs: 1 },
      leaseMs: 1000,
      pollMs: 10,
    },
    { log },
  );
  const ww = new WebhookWorker(
    store,
    { timeoutMs: 100, retryHours: 1, concurrency: 1, backoff: { baseMs: 1, maxMs: 1 }, pollMs: 10 },
    { log },
  );
  store.close();
  pw.start();
  lw.start();
  ww.start();
  await until(
    () =>
      lines.some((l) => l.includes('payment worker error')) && lines.some((l) => l.includes('webhook worker error')),
  );
  await Promise.all([pw.stop(100), lw.stop(100), ww.stop(100)]);
  t.ok(lines.some((l) => l.includes('The database connection is not open')));
});

t.test('a sighting that cannot be processed is logged and skipped; the rest of its batch is kept', async (t) => {
  const store = openStore(t);
  const sp = store.sps.add({ confirmation: 'none', name: 's' }).sp;
  const good = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'good' }, ORDER_OPTS).order;
  const poison = 'p'.repeat(26);
  const real = store.associator.process.bind(store.associator);
  store.associator.process = (s, ctx) => {
    if (s.some((x) => x.token === poison)) throw new Error('SQLITE_CORRUPT');
    return real(s, ctx);
  };
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    redactPersonalData: true,
    destination: { write: (s: string) => lines.push(s) },
  });
  const { createMetrics } = await import('../../src/metrics');
  const metrics = createMetrics();
  const stats = processBatch([sighting(poison, '491511234567'), sighting(good.token, '491511234567')], {
    store,
    sourceId: 't',
    limits: () => NO_LIMITS,
    log,
    metrics,
  });
  t.equal(stats.failed, 1);
  t.equal(stats.outcomes.associated, 1);
  t.equal(store.orders.find(good.id)!.status, 'identified');
  t.ok(lines.some((l) => l.includes('batch failed')) && lines.some((l) => l.includes('sighting failed, skipped')));
  t.match(await metrics.registry.getSingleMetricAsString('gnpay_sightings_total'), /outcome="error"\} 1/);
  const quiet = processBatch([sighting(poison, '491511234567')], { store, sourceId: 't', limits: () => NO_LIMITS });
  t.equal(quiet.failed, 1, 'without a logger or metrics too');
});

t.test('live: an interface that stops with an error is logged once; none left stops the daemon with 1', async (t) => {
  const dir = tmpDir(t);
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    redactPersonalData: true,
    destination: { write: (s: string) => lines.push(s) },
  });
  const d = await Daemon.start({
    config: loadConfig(null, { db: join(dir, 'g.db'), listen: '127.0.0.1:0' }),
    logger: log,
  });
  const st = (iface: string, error: string | null) => ({
    interface: iface,
    packets: 5,
    bytes: 0,
    kernelReceived: 0,
    kernelDropped: 0,
    interfaceDropped: 0,
    shedBatches: 0,
    shedEvents: 0,
    error,
  });
  let stats = [st('eth1', null), st('eth2', 'The interface disappeared')];
  const capture = { captureStats: () => stats };
  d.watchCapture(capture);
  d.watchCapture(capture);
  const lost = lines.filter((l) => l.includes('capture stopped on an interface'));
  t.equal(lost.length, 1, 'logged once');
  t.match(JSON.parse(lost[0]!), {
    interface: 'eth2',
    error: 'The interface disappeared',
    level: 'error',
    pid: process.pid,
    hostname: String,
  });
  d.watchCapture({
    captureStats: () => {
      throw new Error('closed');
    },
  });
  stats = [st('eth1', 'The interface went down'), st('eth2', 'The interface disappeared')];
  const stderr = process.stderr.write;
  let said = '';
  process.stderr.write = (c: string) => ((said += c), true);
  try {
    d.watchCapture(capture);
  } finally {
    process.stderr.write = stderr;
  }
  t.equal(await d.done, 1, 'no interface left: exit 1');
  t.equal(said, 'gnpay: capture failed: eth1: The interface went down; eth2: The interface disappeared\n');
  t.ok(lines.some((l) => l.includes('no interface is captured any more: stopping')));
  d.watchCapture(capture); // after the stop: nothing more
  t.equal(lines.filter((l) => l.includes('no interface is captured any more')).length, 1);
});
