// Data at rest: the database and every file beside it (-wal, -shm, lock, pid,
// key, backups) are readable by their owner only whatever the umask; webhook
// secrets are encrypted by default under a key made at first start; secrets an
// older gnpay stored `plain:` keep working and are re-encrypted.
import t from 'tap';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig, storeOptions } from '../../src/config';
import { createLogger } from '../../src/log';
import { Daemon } from '../../src/pipeline/daemon';
import { Store } from '../../src/store';
import { backupDatabase } from '../../src/store/backup';
import { migrate } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';
import { cli, tmpDir } from '../e2e/harness';

const silent = createLogger({ level: 'silent', redactPersonalData: true });
const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);

t.test('database, -wal, -shm, lock, pid, key and backups are 0600 under umask 022', async (t) => {
  const dir = tmpDir(t);
  const old = process.umask(0o022);
  t.teardown(() => void process.umask(old));
  const db = join(dir, 'g.db');
  const d = await Daemon.start({ config: loadConfig(null, { db, listen: '127.0.0.1:0' }), logger: silent });
  d.store.sps.add({ name: 'shop', webhookUrl: 'https://shop.example/hook' });
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`, `${db}.pid`, `${db}.key`]) t.equal(mode(f), '600', f);
  const { Spool } = await import('../../src/pipeline/spool');
  Spool.open(`${db}.spool`, 1 << 20).close?.();
  t.equal(mode(`${db}.spool`), '600', 'the spool of a live capture too');
  const backup = join(dir, 'backup.db');
  await backupDatabase(d.store.db, backup);
  t.equal(mode(backup), '600', 'a backup too');
  await d.shutdown('test');

  // a database made world-readable by an older gnpay (or a copy) is tightened when opened
  for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) chmodSync(f, 0o644);
  Store.open(db, storeOptions(loadConfig(null, { db }))).close();
  t.equal(mode(db), '600', 'tightened at open');
});

t.test('webhook secrets: encrypted by default under a key made at first start, plain ones re-encrypted', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const config = loadConfig(null, { db, listen: '127.0.0.1:0' });
  // an SP added by the CLI before the daemon ever ran: the key is made then
  const added = JSON.parse((await cli(['sp', 'add', '--db', db, '--name', 'shop', '--json'])).stdout);
  const key = readFileSync(`${db}.key`, 'utf8').trim();
  t.match(key, /^[0-9a-f]{64}$/, 'a 32-byte key, hex');
  const raw = () => new Database(db, { readonly: true }).prepare('SELECT id, webhook_secret FROM sps ORDER BY created_at').all() as Array<{ id: string; webhook_secret: string }>;
  t.match(raw()[0]!.webhook_secret, /^aes256gcm:/, 'stored encrypted');
  t.notOk(raw()[0]!.webhook_secret.includes(added.webhookSecret));

  // a secret of an older gnpay, stored in plain text
  const legacy = new Store(new Database(db), {});
  const old = legacy.sps.add({ name: 'legacy' });
  legacy.close();
  t.match(raw()[1]!.webhook_secret, /^plain:/);

  const lines: string[] = [];
  const logger = createLogger({ level: 'info', redactPersonalData: true, destination: { write: (s: string) => lines.push(s) } });
  const d = await Daemon.start({ config, logger });
  t.same(raw().map((r) => r.webhook_secret.split(':')[0]), ['aes256gcm', 'aes256gcm'], 're-encrypted at start');
  t.equal(d.store.sps.webhookSecret(old.sp.id), old.webhookSecret, 'and still the same secret');
  t.equal(d.store.sps.webhookSecret(added.id), added.webhookSecret);
  t.ok(lines.some((l) => /"sps":1,.*stored in plain text encrypted/.test(l)));
  await d.shutdown('test');
  t.equal(readFileSync(`${db}.key`, 'utf8').trim(), key, 'the key is kept, never replaced');

  // a configured key is used instead of the file
  const db2 = join(dir, 'h.db');
  const configured = 'cd'.repeat(32);
  const s2 = Store.open(db2, storeOptions(loadConfig(null, { db: db2, secrets: { webhookSecretKey: configured } })));
  const sp2 = s2.sps.add({ name: 'x' });
  s2.close();
  t.notOk(existsSync(`${db2}.key`), 'no key file when one is configured');
  const s3 = Store.open(db2, storeOptions(loadConfig(null, { db: db2 })));
  t.throws(() => s3.sps.webhookSecret(sp2.sp.id), /cannot be decrypted with this key/, 'another key says so');
  s3.close();

  // a key file that cannot be read is an error, not a silent downgrade
  const db3 = join(dir, 'k.db');
  writeFileSync(`${db3}.key`, 'not a key');
  const s4 = Store.open(db3, storeOptions(loadConfig(null, { db: db3 })));
  t.throws(() => s4.sps.add({ name: 'y' }), /webhookSecretKey must be 32 bytes/);
  s4.close();
});

t.test('sink credentials of CAMARA payments and refunds: sealed like webhook secrets; clear ones of an older schema still work and are sealed at start', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const config = loadConfig(null, { db, listen: '127.0.0.1:0' });
  const opts = { oneStep: false, limits: { perTransaction: null, perMonth: null }, payUrlTemplate: 'https://pay.example/p/{token}', defaultTtlSeconds: 600, maxTtlSeconds: 3600 };
  const input = (correlator: string, accessToken: string) => ({
    amountTransaction: { clientCorrelator: correlator, referenceCode: 'r1', paymentAmount: { chargingInformation: { amount: 1.5, currency: 'EUR', description: 'x' } } },
    sink: 'https://sp.example/n',
    sinkCredential: { credentialType: 'ACCESSTOKEN', accessToken, accessTokenType: 'bearer' },
  });
  const s = Store.open(db, storeOptions(config));
  const sp = s.sps.add({ name: 'shop' });
  const { order } = s.camara.create(sp.sp, input('c-1', 'tok-new'), opts);
  t.match(s.camara.payment(order.id)!.sink_token, /^aes256gcm:/, 'sealed when written');
  t.equal(s.camara.create(sp.sp, input('c-1', 'tok-new'), opts).replayed, true, 'the same request with the same token replays');
  t.throws(() => s.camara.create(sp.sp, input('c-1', 'tok-other'), opts), { code: 'ALREADY_EXISTS' }, 'another token is another request');

  // a payment as schema 9 stored it: the token in clear, in its row, its request and its notification
  const legacy = s.camara.create(sp.sp, input('c-2', 'tok-old'), opts).order;
  s.db.prepare(`UPDATE camara_payments SET sink_token = 'tok-old', request = json_set(request, '$.sinkCredential.accessToken', 'tok-old') WHERE order_id = ?`).run(legacy.id);
  s.db.prepare(`UPDATE sink_outbox SET token = 'tok-old' WHERE order_id = ?`).run(legacy.id);
  s.db.prepare('UPDATE schema_version SET version = 9').run();
  s.close();

  const raw = new Database(db);
  t.teardown(() => raw.close());
  // migration 10 over that row (the later ones are already applied)
  migrate(raw, MIGRATIONS.slice(0, 10));
  raw.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
  const s2 = Store.open(db, storeOptions(config));
  const tokenOf = () => raw.prepare('SELECT sink_token FROM camara_payments WHERE order_id = ?').pluck().get(legacy.id) as string;
  t.equal(tokenOf(), 'plain:tok-old', 'marked plain by the migration');
  t.notMatch(raw.prepare('SELECT request FROM camara_payments WHERE order_id = ?').pluck().get(legacy.id), /tok-old/, 'taken out of the stored request');
  t.equal(s2.camara.create(sp.sp, input('c-2', 'tok-old'), opts).replayed, true, 'the older payment still replays');
  t.same(s2.camara.dueNotifications(10).filter((n) => n.order_id === legacy.id).map((n) => s2.secrets.open(n.token!)), ['tok-old'], 'its notification still carries it');
  s2.close();

  const lines: string[] = [];
  const logger = createLogger({ level: 'info', redactPersonalData: true, destination: { write: (x: string) => lines.push(x) } });
  const d = await Daemon.start({ config, logger });
  t.match(tokenOf(), /^aes256gcm:/, 'sealed at start');
  t.equal(raw.prepare(`SELECT COUNT(*) FROM sink_outbox WHERE token NOT LIKE 'aes256gcm:%'`).pluck().get(), 0, 'its notifications too');
  t.ok(lines.some((l) => /"sinkCredentials":2.*stored in plain text encrypted/.test(l)), lines.filter((l) => /plain/.test(l)).join('') || 'logged');
  t.equal(d.store.secrets.open(tokenOf()), 'tok-old');
  await d.shutdown('test');
});
