// The database refusing writes (disk full, I/O errors) never drops a
// sighting: a replay waits (back-pressure), a live capture spools its
// sightings durably and stores them, in order, once the database takes writes
// again; readiness is false meanwhile, with a metric and a loud log; what
// could not be stored makes the exit code 1. (The real thing, a full tmpfs,
// is test/e2e/disk-full.slow.test.ts.)
import t from 'tap';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { DecodeEvent } from '../../src/native/types';
import { Daemon, type EventSource } from '../../src/pipeline/daemon';
import { Spool } from '../../src/pipeline/spool';
import { Store } from '../../src/store';
import { ORDER_OPTS, sighting, tmpDir, until } from '../e2e/harness';

t.setTimeout(120000);

/** A source the test feeds batch by batch; it ends when `end()` is called. */
function feed(): EventSource & { push(b: DecodeEvent[]): void; end(): void; taken: number } {
  const queue: DecodeEvent[][] = [];
  let wake = (): void => {};
  let done = false;
  const src = {
    taken: 0,
    push(b: DecodeEvent[]) {
      queue.push(b);
      wake();
    },
    end() {
      done = true;
      wake();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) {
          src.taken++;
          yield queue.shift()!;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
    async close() {
      done = true;
      wake();
    },
  };
  return src;
}

/** Makes every write transaction of `store` fail with SQLITE_FULL while `full.on`. */
function fillable(store: Store): { on: boolean } {
  const full = { on: false };
  const real = store.associator.process.bind(store.associator);
  store.associator.process = (s, ctx) => {
    if (full.on) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return real(s, ctx);
  };
  return full;
}

function logs() {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({
      level: 'info',
      redactPersonalData: true,
      destination: { write: (s: string) => lines.push(s) },
    }),
  };
}

function seed(db: string, n: number): { tokens: string[]; ids: string[] } {
  const store = Store.open(db);
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const orders = Array.from(
    { length: n },
    (_, i) =>
      store.orders.create(
        sp.id,
        { amount: 1, currency: 'EUR', reference: `r${i}` },
        { ...ORDER_OPTS, defaultTtlSeconds: 3600 },
      ).order,
  );
  for (let i = 0; i < n; i++) store.ledger.credit(`4915100000${String(i).padStart(2, '0')}`, 10, { currency: 'EUR' });
  store.close();
  return { tokens: orders.map((o) => o.token), ids: orders.map((o) => o.id) };
}

const msisdn = (i: number) => `4915100000${String(i).padStart(2, '0')}`;

t.test('replay: back-pressure while the database is full; nothing dropped; not ready meanwhile', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const { tokens, ids } = seed(db, 6);
  const src = feed();
  const { lines, logger } = logs();
  const d = await Daemon.start({
    config: loadConfig(null, { db, listen: '127.0.0.1:0', opsListen: '127.0.0.1:0' }),
    logger,
    read: ['c.pcap'],
    exitWhenDone: true,
    openSource: () => src,
  });
  const full = fillable(d.store);
  src.push([sighting(tokens[0]!, msisdn(0))]);
  await until(() => d.store.orders.find(ids[0]!)!.status === 'paid');
  full.on = true;
  for (let i = 1; i < 6; i++) src.push([sighting(tokens[i]!, msisdn(i))]);
  await until(() => lines.some((l) => l.includes('DATABASE CANNOT BE WRITTEN')), 10_000, 'the loud log');
  t.equal((await fetch(`${d.url}/readyz`)).status, 503, 'not ready');
  t.equal((await fetch(`${d.opsUrl}/readyz`)).status, 503);
  t.match(await (await fetch(`${d.opsUrl}/metrics`)).text(), /gnpay_db_writable 0/);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(src.taken, 2, 'the replay waits: the next batch is not taken while this one cannot be stored');
  full.on = false;
  src.end();
  t.equal(await d.done, 0, 'the replay finishes, exit 0');
  const store = Store.open(db);
  t.teardown(() => store.close());
  t.same(
    ids.map((id) => store.orders.find(id)!.status),
    Array(6).fill('paid'),
    'every sighting stored and charged',
  );
  t.ok(lines.some((l) => l.includes('the database takes writes again')));
});

t.test('replay stopped while the database is full: the exit code says sightings were not stored', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const { tokens } = seed(db, 2);
  const src = feed();
  const { lines, logger } = logs();
  const d = await Daemon.start({
    config: loadConfig(null, { db, listen: '127.0.0.1:0' }),
    logger,
    read: ['c.pcap'],
    openSource: () => src,
  });
  const full = fillable(d.store);
  full.on = true;
  src.push([sighting(tokens[0]!, msisdn(0)), sighting(tokens[1]!, msisdn(1))]);
  await until(() => lines.some((l) => l.includes('DATABASE CANNOT BE WRITTEN')));
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = (c: string) => (said.push(String(c)), true);
  try {
    t.equal(await d.shutdown('SIGTERM'), 1, 'exit 1, not 0');
  } finally {
    process.stderr.write = write;
  }
  t.match(said.join(''), /gnpay: 2 sighting\(s\) could not be stored/);
  t.equal(d.pipeline.unstored, 2);
});

t.test('live: spooled durably while the database is full, stored in order when it takes writes again', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const { tokens, ids } = seed(db, 4);
  const src = feed();
  const { lines, logger } = logs();
  const d = await Daemon.start({
    config: loadConfig(null, {
      db,
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      capture: { interfaces: ['gn0'] },
      spool: { sizeMiB: 1 },
    }),
    logger,
    openSource: () => src,
  });
  t.ok(existsSync(`${db}.spool`), 'the spool is set aside at start');
  const full = fillable(d.store);
  full.on = true;
  // order matters: the first MSISDN to show the token is the one associated; the second is a conflict
  src.push([sighting(tokens[0]!, msisdn(0))]);
  src.push([sighting(tokens[0]!, msisdn(1)), sighting(tokens[1]!, msisdn(1))]);
  src.push([sighting(tokens[2]!, msisdn(2))]);
  await until(() => src.taken === 3, 10_000, 'the capture is read on');
  await until(() => d.pipeline.spooled === 4, 10_000, 'four sightings spooled');
  t.equal((await fetch(`${d.opsUrl}/readyz`)).status, 503, 'not ready');
  const m = await (await fetch(`${d.opsUrl}/metrics`)).text();
  t.match(m, /gnpay_sightings_spooled_total 4/);
  t.match(m, /gnpay_spool_records 3/);
  t.same(
    ids.map((id) => d.store.orders.find(id)!.status),
    ['pending', 'pending', 'pending', 'pending'],
    'nothing stored yet',
  );
  full.on = false;
  src.push([sighting(tokens[3]!, msisdn(3))]); // arrives after the outage: stored after the spooled ones
  await until(() => d.store.orders.find(ids[3]!)!.status === 'paid', 20_000, 'everything stored');
  t.same(
    ids.map((id) => d.store.orders.find(id)!.status),
    ['conflict', 'paid', 'paid', 'paid'],
    'in the order they were seen: token 0 seen by two subscribers before its charge: conflict',
  );
  t.ok(lines.some((l) => l.includes('spooled sightings stored')));
  t.equal((await fetch(`${d.opsUrl}/readyz`)).status, 200, 'ready again');
  t.equal(await d.shutdown('test'), 0);
});

t.test('live: the spool full: sightings lost are counted, logged and make the exit code 1', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const { tokens } = seed(db, 1);
  const src = feed();
  const { lines, logger } = logs();
  const d = await Daemon.start({
    config: loadConfig(null, { db, listen: '127.0.0.1:0', capture: { interfaces: ['gn0'] }, spool: { sizeMiB: 1 } }),
    logger,
    openSource: () => src,
  });
  const full = fillable(d.store);
  full.on = true;
  const big = Array.from({ length: 256 }, (_, i) => ({ ...sighting(tokens[0]!, msisdn(0)), packet: 10_000 + i }));
  for (let i = 0; i < 40; i++) src.push(big); // ~100 KiB each: more than the spool holds
  await until(() => src.taken === 40, 20_000);
  t.ok(d.pipeline.lost > 0, `${d.pipeline.lost} lost`);
  t.ok(d.pipeline.spooled > 0, `${d.pipeline.spooled} spooled first`);
  t.ok(lines.some((l) => l.includes('SIGHTINGS LOST')));
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    t.equal(await d.shutdown('test'), 1);
  } finally {
    process.stderr.write = write;
  }
});

t.test('a crash leaves sightings in the spool: the next start stores them first', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const { tokens, ids } = seed(db, 2);
  const spool = Spool.open(`${db}.spool`, 1 << 20);
  t.ok(spool.append({ sourceId: 'live', now: Date.now(), sightings: [sighting(tokens[0]!, msisdn(0))] }));
  t.ok(spool.append({ sourceId: 'live', now: Date.now(), sightings: [sighting(tokens[1]!, msisdn(1))] }));
  spool.close();
  const { lines, logger } = logs();
  const d = await Daemon.start({ config: loadConfig(null, { db, listen: '127.0.0.1:0' }), logger });
  t.ok(
    ids.every((id) => ['identified', 'paid'].includes(d.store.orders.find(id)!.status)),
    'stored at start, before anything else',
  );
  t.ok(lines.some((l) => l.includes('spooled sightings stored')));
  await d.shutdown('test');
  const again = Spool.open(`${db}.spool`, 1 << 20);
  t.equal(again.pending, 0, 'a drained spool reads empty (a new generation)');
  t.same(again.read(), []);
  again.close();
});

t.test('the spool: records in order, a torn tail ignored, generations never mixed', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 's.spool');
  const s = Spool.open(file, 64 * 1024);
  t.equal(s.pending, 0);
  for (let i = 0; i < 3; i++) t.ok(s.append({ sourceId: 'live', now: i, sightings: [sighting('x'.repeat(26), null)] }));
  t.same(
    s.read().map((r) => r.now),
    [0, 1, 2],
  );
  s.reset();
  t.ok(s.append({ sourceId: 'live', now: 7, sightings: [] }), 'shorter than the old first record');
  t.same(
    s.read().map((r) => r.now),
    [7],
    'old records behind the new ones are not read again',
  );
  s.close();
  // a torn write: the last record's bytes damaged
  const fs = await import('node:fs');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from('garbage'), 0, 7, 16 + 12 + 2);
  fs.closeSync(fd);
  const r = Spool.open(file, 64 * 1024);
  t.same(r.read(), [], 'a record whose checksum fails ends the spool');
  let n = 0;
  while (r.append({ sourceId: 'live', now: n, sightings: [sighting('y'.repeat(26), null)] })) n++;
  t.ok(n > 50 && n < 400, `full after ${n} records`);
  r.close();
  t.equal(fs.statSync(file).size, 64 * 1024, 'never grows: its space was set aside');
  const shrunk = Spool.open(file, 32 * 1024);
  t.equal(fs.statSync(file).size, 32 * 1024);
  shrunk.close();
});
