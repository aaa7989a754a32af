// A damaged database is noticed (PRAGMA quick_check at open and on a
// schedule) and refused with one clear line; `gnpay db backup` copies a live
// database and `gnpay db restore` puts a copy back; the admin commands say in
// one line what is wrong with a database they cannot use.
import t from 'tap';
import { join } from 'node:path';
import {
  closeSync,
  copyFileSync,
  chmodSync,
  chownSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { Daemon } from '../../src/pipeline/daemon';
import { Store } from '../../src/store';
import { DatabaseDamagedError, openDatabase } from '../../src/store/db';
import { checkFile, quickCheckInWorker, restoreDatabase } from '../../src/store/backup';
import { GnpayClient } from '../../src/client';
import { CLI, ORDER_OPTS, childEnv, cli, cliProcess, ensureBuilt, tmpDir } from '../e2e/harness';

t.setTimeout(300000);

const silent = createLogger({ level: 'silent', redactPersonalData: true });

/** A database with an SP, orders and ledger accounts, closed (its WAL checkpointed into the file). */
function seeded(file: string, orders = 300): { spId: string; apiKey: string } {
  const store = Store.open(file);
  const sp = store.sps.add({ name: 'shop' });
  store.db.transaction(() => {
    for (let i = 0; i < orders; i++)
      store.orders.create(
        sp.sp.id,
        { amount: 1 + i, currency: 'EUR', reference: `r${i}`, description: 'x'.repeat(i % 200) },
        ORDER_OPTS,
      );
  })();
  store.db.exec('VACUUM'); // no free pages: every page belongs to a table or an index
  store.close();
  return { spId: sp.sp.id, apiKey: sp.apiKey };
}

function pageInfo(file: string): { pageSize: number; pages: number; ordersRoot: number } {
  const db = new Database(file, { readonly: true });
  const r = {
    pageSize: db.pragma('page_size', { simple: true }) as number,
    pages: db.pragma('page_count', { simple: true }) as number,
    ordersRoot: db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'orders'`).pluck().get() as number,
  };
  db.close();
  return r;
}

/** Overwrites page `n` (1-based) of `file` with bytes from a seeded generator. */
function smash(file: string, n: number, pageSize: number, seed: number): void {
  const buf = Buffer.alloc(pageSize);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < pageSize; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  const fd = openSync(file, 'r+');
  writeSync(fd, buf, 0, pageSize, (n - 1) * pageSize);
  closeSync(fd);
}

t.test('a table root page overwritten: refused at open, by the daemon and by gnpay run, in one line', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'g.db');
  seeded(file);
  const { pageSize, ordersRoot } = pageInfo(file);
  smash(file, ordersRoot, pageSize, 7);
  t.throws(() => openDatabase(file, { quickCheck: true }), DatabaseDamagedError);
  t.throws(
    () => openDatabase(file, { quickCheck: true }),
    /is damaged \(PRAGMA quick_check: .*\); restore it from a backup: gnpay db restore BACKUP --db /,
  );
  const config = loadConfig(null, { db: file, listen: '127.0.0.1:0' });
  await t.rejects(Daemon.start({ config, logger: silent }), DatabaseDamagedError, 'the daemon does not start on it');
  t.notOk(existsSync(`${file}.pid`), 'and released its lock');
  const run = cliProcess(['run', '--db', file, '--listen', '127.0.0.1:0', '--log-level', 'silent']);
  t.equal(run.code, 1);
  t.match(run.stderr, /^gnpay: database .*g\.db is damaged \(PRAGMA quick_check: [^\n]+\n$/, 'one line, no stack');
  const check = cliProcess(['db', 'check', '--db', file]);
  t.equal(check.code, 1);
  t.match(check.stdout, /g\.db: damaged\n {2}\S/);
  const json = JSON.parse(cliProcess(['db', 'check', '--db', file, '--json']).stdout);
  t.equal(json.ok, false);
  t.ok(json.findings.length > 0);
});

t.test('random pages overwritten: each one found', async (t) => {
  const dir = tmpDir(t);
  const clean = join(dir, 'clean.db');
  seeded(clean, 600);
  const { pageSize, pages } = pageInfo(clean);
  t.ok(pages > 20, `${pages} pages`);
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const picked = new Set<number>();
  while (picked.size < 6) picked.add(2 + (next() % (pages - 1))); // page 1 is the header: "not a database", tested below
  for (const n of picked) {
    const file = join(dir, `p${n}.db`);
    copyFileSync(clean, file);
    smash(file, n, pageSize, n);
    t.throws(
      () => openDatabase(file, { quickCheck: true }),
      { name: /^Database(Open|Damaged)Error$/, kind: 'damaged' },
      `page ${n} of ${pages}`,
    );
    const r = await quickCheckInWorker(file);
    t.ok(r.findings.length > 0, `page ${n}: the worker's check finds it too`);
  }
  const header = join(dir, 'header.db');
  copyFileSync(clean, header);
  smash(header, 1, pageSize, 1);
  t.throws(
    () => openDatabase(header, { quickCheck: true }),
    /is damaged or not a gnpay database \(file is not a database\)/,
  );
  t.same((await quickCheckInWorker(clean)).findings, [], 'the clean file is clean');
});

t.test(
  'damage appearing while the daemon runs: the scheduled check stops it (exit 1), the metric says 0',
  async (t) => {
    const dir = tmpDir(t);
    const file = join(dir, 'g.db');
    seeded(file);
    const d = await Daemon.start({ config: loadConfig(null, { db: file, listen: '127.0.0.1:0' }), logger: silent });
    t.equal(await d.checkIntegrity(), true);
    t.match(await d.metrics.registry.getSingleMetricAsString('gnpay_db_integrity_ok'), /gnpay_db_integrity_ok 1/);
    d.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const { pageSize, ordersRoot } = pageInfo(file);
    smash(file, ordersRoot, pageSize, 99);
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (c: string) => (stderr.push(String(c)), true);
    try {
      t.equal(await d.checkIntegrity(), false);
    } finally {
      process.stderr.write = write;
    }
    t.match(await d.metrics.registry.getSingleMetricAsString('gnpay_db_integrity_ok'), /gnpay_db_integrity_ok 0/);
    t.equal(await d.done, 1, 'stopped with exit code 1');
    t.match(stderr.join(''), /^gnpay: database .* is damaged/);
    t.equal(await d.checkIntegrity(), true, 'nothing checked once stopping');
  },
);

t.test('gnpay db backup while the daemon writes; restore over a damaged file; the daemon starts on it', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'g.db');
  const { apiKey } = seeded(file, 50);
  const d = await Daemon.start({ config: loadConfig(null, { db: file, listen: '127.0.0.1:0' }), logger: silent });
  const client = new GnpayClient({ baseUrl: d.url, apiKey });
  // orders are created while the backup runs: the copy is one consistent snapshot
  let writing = true;
  const writer = (async () => {
    let n = 0;
    while (writing) await client.createOrder({ amount: 5, currency: 'EUR', reference: `live-${n++}` });
    return n;
  })();
  const backup = join(dir, 'backup.db');
  const r = await cli(['db', 'backup', backup, '--db', file, '--json']);
  writing = false;
  const written = await writer;
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  t.match(info, { file: backup, schemaVersion: Number });
  t.equal(info.key, `${backup}.key`, 'the key of the webhook secrets goes with the backup');
  t.equal(readFileSync(`${backup}.key`, 'utf8'), readFileSync(`${file}.key`, 'utf8'));
  t.equal(statSync(`${backup}.key`).mode & 0o777, 0o600);
  t.ok(info.pages > 0);
  t.same(
    ['-wal', '-shm', '-journal'].filter((e) => existsSync(backup + e)),
    [],
    'a standalone file',
  );
  t.ok(checkFile(backup).pages > 0);
  const again = await cli(['db', 'backup', backup, '--db', file]);
  t.equal(again.code, 1);
  t.match(again.stderr, /exists; give a new file name/);
  const inBackup = new Database(backup, { readonly: true });
  const backedUp = inBackup.prepare('SELECT COUNT(*) FROM orders').pluck().get() as number;
  const eventsOk = inBackup
    .prepare('SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.order_id = o.id)')
    .pluck()
    .get();
  inBackup.close();
  t.ok(backedUp >= 50 && backedUp <= 50 + written, `${backedUp} orders in the copy (${written} created meanwhile)`);
  t.equal(eventsOk, 0, 'every order in the copy has its event (one transaction, one snapshot)');

  const locked = await cli(['db', 'restore', backup, '--db', file]);
  t.equal(locked.code, 1);
  t.match(locked.stderr, /is in use by another gnpay run .*: a database is restored only while no gnpay run uses it/);
  await d.shutdown('test');

  const { pageSize, ordersRoot } = pageInfo(file);
  smash(file, ordersRoot, pageSize, 3);
  const restored = await cli(['db', 'restore', backup, '--db', file, '--json']);
  t.equal(restored.code, 0, restored.stderr);
  const rr = JSON.parse(restored.stdout);
  t.match(rr.movedAside, /g\.db\.replaced-/);
  t.ok(existsSync(rr.movedAside), 'the damaged file is kept for inspection');
  const d2 = await Daemon.start({ config: loadConfig(null, { db: file, listen: '127.0.0.1:0' }), logger: silent });
  t.equal(d2.store.db.prepare('SELECT COUNT(*) FROM orders').pluck().get(), backedUp, 'the orders of the backup');
  const more = await new GnpayClient({ baseUrl: d2.url, apiKey }).createOrder({
    amount: 1,
    currency: 'EUR',
    reference: 'after',
  });
  t.equal(more.status, 'pending', 'and it takes new ones');
  await d2.shutdown('test');
  const text = await cli(['db', 'check', '--db', file]);
  t.match(text.stdout, /g\.db: ok\n/);
  t.equal((await cli(['db', 'check', '--full', '--db', file])).code, 0);

  // restore refuses a file that is not a sound gnpay database
  const junk = join(dir, 'junk.db');
  copyFileSync(rr.movedAside, junk);
  t.throws(() => restoreDatabase(junk, join(dir, 'other.db')), {
    name: /^Database(Open|Damaged)Error$/,
    kind: 'damaged',
  });
  const empty = join(dir, 'empty.db');
  new Database(empty).close();
  t.throws(() => restoreDatabase(empty, join(dir, 'other.db')), /not a gnpay database/);
  const fresh = restoreDatabase(backup, join(dir, 'new.db'));
  t.equal(fresh.movedAside, null, 'restoring where there was no file');
  // restored elsewhere by the CLI: the key comes along, and the webhook secrets open there
  const elsewhere = join(dir, 'elsewhere.db');
  const moved = JSON.parse((await cli(['db', 'restore', backup, '--db', elsewhere, '--json'])).stdout);
  t.equal(moved.key, `${elsewhere}.key`);
  const s2 = Store.open(elsewhere);
  t.doesNotThrow(
    () => s2.sps.list().forEach((sp) => s2.sps.webhookSecret(sp.id)),
    'the secrets of the backup open with the key restored beside it',
  );
  s2.close();
  t.equal((await cli(['db', 'check', '--db', join(dir, 'missing.db')])).code, 1);
});

t.test('admin commands on a newer-schema or read-only database: one line, no stack', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'g.db');
  seeded(file, 1);
  const raw = new Database(file);
  raw.prepare('UPDATE schema_version SET version = 999').run();
  raw.close();
  for (const args of [
    ['sp', 'list'],
    ['sp', 'add', '--name', 'x'],
    ['orders', 'list'],
    ['ledger', 'show'],
    ['ledger', 'credit', '--msisdn', '491511234567', '--amount', '5', '--currency', 'EUR'],
    ['run', '--listen', '127.0.0.1:0', '--log-level', 'silent'],
  ]) {
    const r = await cli([...args, '--db', file]);
    t.equal(r.code, 1, args.join(' '));
    t.match(
      r.stderr,
      /^gnpay: database .*g\.db: schema version 999 is newer than this gnpay \(\d+\); upgrade gnpay\n$/,
      `${args.join(' ')}: one line`,
    );
  }

  const ro = join(dir, 'ro');
  (await import('node:fs')).mkdirSync(ro);
  const rofile = join(ro, 'g.db');
  seeded(rofile, 1);
  ensureBuilt();
  const asOther = (args: string[]) => {
    if (process.getuid?.() !== 0) return cliProcess(args);
    // root may write anything: run the command as nobody (without the test runner's
    // process tracking, which the runner puts back into NODE_OPTIONS and nobody could not write)
    const r = spawnSync(
      'env',
      [
        '-u',
        'NODE_OPTIONS',
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        CLI,
        ...args,
      ],
      { encoding: 'utf8', env: childEnv() },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  chmodSync(rofile, 0o444);
  chmodSync(ro, 0o555);
  if (process.getuid?.() === 0) {
    chownSync(rofile, 0, 0);
    chmodSync(dir, 0o755);
  }
  t.teardown(() => chmodSync(ro, 0o755));
  for (const args of [
    ['sp', 'add', '--name', 'x'],
    ['sp', 'list'],
    ['ledger', 'credit', '--msisdn', '491511234567', '--amount', '5', '--currency', 'EUR'],
  ]) {
    const r = asOther([...args, '--db', rofile]);
    t.equal(r.code, 1, args.join(' '));
    t.match(
      r.stderr,
      /^gnpay: database .*g\.db is read-only \([^\n]+\): run gnpay as a user that may write it and its directory\n$/,
      `${args.join(' ')}: one line`,
    );
  }
});
