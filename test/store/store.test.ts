import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DomainError } from '../../src/store';
import { migrate, openDatabase, schemaVersion } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';
import { canonicalJson, newToken, TOKEN_RE } from '../../src/store/ids';
import { parseKey, SecretBox } from '../../src/store/secrets';
import { FakeClock, ORDER_OPTS, openStore, tmpDir } from '../e2e/harness';

t.test('migrations set schema_version and refuse a newer database', async (t) => {
  const file = join(tmpDir(t), 'a.db');
  const db = openDatabase(file);
  t.equal(schemaVersion(db), MIGRATIONS.length);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(migrate(db), MIGRATIONS.length, 'idempotent');
  db.prepare('UPDATE schema_version SET version = 99').run();
  db.close();
  t.throws(() => openDatabase(file), /schema version 99 is newer/);
  const raw = new Database(join(tmpDir(t), 'b.db'));
  t.equal(migrate(raw, ['CREATE TABLE x (a)', 'CREATE TABLE y (b)']), 2);
  raw.close();
  const nosync = openDatabase(join(tmpDir(t), 'c.db'), { fullSync: false });
  t.equal(nosync.pragma('synchronous', { simple: true }), 1);
  nosync.close();
});

t.test('tokens are 26 characters of lower-case base32', async (t) => {
  const seen = new Set<string>();
  const bad: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const tok = newToken();
    if (!TOKEN_RE.test(tok)) bad.push(tok);
    seen.add(tok);
  }
  t.same(bad, []);
  t.equal(seen.size, 1000);
  t.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] }), '{"a":[1,{"c":"x"}],"b":1}');
});

t.test('SPs: keys hashed, authenticate, revoke', async (t) => {
  const store = openStore(t);
  const { sp, apiKey, webhookSecret } = store.sps.add({
    name: 'shop',
    webhookUrl: 'http://127.0.0.1:19/hook',
    scopes: ['msisdn:read', 'msisdn:read'],
  });
  t.match(apiKey, /^gnpk_[a-z2-7]{40}$/);
  t.match(webhookSecret, /^whsec_/);
  t.same(sp.scopes, ['msisdn:read']);
  const raw = store.db.prepare('SELECT * FROM sps').get() as Record<string, unknown>;
  t.notOk(JSON.stringify(raw).includes(apiKey.slice(5)), 'the key is not stored');
  t.equal(store.sps.authenticate(apiKey)?.id, sp.id);
  t.equal(store.sps.authenticate(apiKey + 'x'), null);
  t.equal(store.sps.webhookSecret(sp.id), webhookSecret);
  t.equal(store.sps.list().length, 1);
  t.equal(store.sps.revoke(sp.id).revokedAt !== null, true);
  t.equal(store.sps.authenticate(apiKey), null, 'revoked');
  t.throws(() => store.sps.revoke('sp_nope'), DomainError);
  t.throws(() => store.sps.webhookSecret('sp_nope'), /no SP/);
  t.equal(store.sps.get('sp_nope'), null);
});

t.test('SPs: rotating the key and the webhook secret, with and without an overlap', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now, secrets: { webhookSecretKey: 'ab'.repeat(32) } });
  const first = store.sps.add({ name: 'shop' });
  const id = first.sp.id;
  const r1 = store.sps.rotate(id, { apiKey: true, webhookSecret: false }, 3600);
  t.match(r1.apiKey, /^gnpk_[a-z2-7]{40}$/);
  t.equal(r1.webhookSecret, undefined, 'only what was asked');
  t.equal(r1.previousValidUntil, clock.t + 3_600_000);
  t.equal(r1.sp.keyHint, `${r1.apiKey!.slice(0, 9)}…`);
  t.equal(store.sps.authenticate(r1.apiKey!)?.id, id, 'the new key works');
  t.equal(store.sps.authenticate(first.apiKey)?.id, id, 'the old one too, during the overlap');
  t.same(store.sps.webhookSecrets(id), [first.webhookSecret], 'the secret was not rotated');
  clock.advance(3_600_000);
  t.equal(store.sps.authenticate(first.apiKey), null, 'the old key stops at the end of the overlap');
  t.equal(store.sps.authenticate(r1.apiKey!)?.id, id);

  const r2 = store.sps.rotate(id, { apiKey: false, webhookSecret: true }, 60);
  t.match(r2.webhookSecret, /^whsec_/);
  t.same(
    store.sps.webhookSecrets(id),
    [r2.webhookSecret, first.webhookSecret],
    'webhooks are signed with both during the overlap',
  );
  const raw = JSON.stringify(store.db.prepare('SELECT * FROM sps').get());
  t.notOk(raw.includes(r2.webhookSecret!) || raw.includes(first.webhookSecret), 'both stored encrypted');
  clock.advance(60_000);
  t.same(store.sps.webhookSecrets(id), [r2.webhookSecret]);
  t.equal(store.sps.webhookSecret(id), r2.webhookSecret);

  const r3 = store.sps.rotate(id, { apiKey: true, webhookSecret: true }, 0);
  t.equal(store.sps.authenticate(r1.apiKey!), null, 'overlap 0: the old key stops at once');
  t.equal(store.sps.authenticate(r3.apiKey!)?.id, id);
  t.same(store.sps.webhookSecrets(id), [r3.webhookSecret]);
  store.sps.revoke(id);
  t.equal(store.sps.authenticate(r3.apiKey!), null, 'revoked');
  const r4 = store.sps.add({ name: 'other' });
  const r5 = store.sps.rotate(r4.sp.id, { apiKey: true, webhookSecret: false }, 3600);
  store.sps.revoke(r4.sp.id);
  t.equal(store.sps.authenticate(r4.apiKey), null, 'revoking ends the overlap too');
  t.equal(store.sps.authenticate(r5.apiKey!), null);
  t.throws(
    () => store.sps.rotate(id, { apiKey: true, webhookSecret: true }, 0),
    /no active SP/,
    'a revoked SP cannot be rotated',
  );
  t.throws(() => store.sps.rotate('sp_nope', { apiKey: true, webhookSecret: true }, 0), DomainError);
  t.throws(() => store.sps.webhookSecrets('sp_nope'), /no SP/);
});

t.test('secrets: pepper and encrypted webhook secrets', async (t) => {
  const key = 'ab'.repeat(32);
  const store = openStore(t, { secrets: { apiKeyPepper: 'pepper', webhookSecretKey: key } });
  const { sp, apiKey, webhookSecret } = store.sps.add({ name: 'x' });
  const stored = store.db.prepare('SELECT webhook_secret FROM sps').pluck().get() as string;
  t.match(stored, /^aes256gcm:/);
  t.notOk(stored.includes(webhookSecret.slice(6)));
  t.equal(store.sps.webhookSecret(sp.id), webhookSecret);
  t.equal(store.sps.authenticate(apiKey)?.id, sp.id);
  t.equal(
    new SecretBox({ apiKeyPepper: 'other' })
      .hashApiKey(apiKey)
      .equals(new SecretBox({ apiKeyPepper: 'pepper' }).hashApiKey(apiKey)),
    false,
  );
  t.throws(() => new SecretBox().open(stored), /secrets.webhookSecretKey is required/);
  t.throws(() => new SecretBox().open('rot13:x'), /unknown webhook secret encoding/);
  t.equal(parseKey(Buffer.alloc(32, 1).toString('base64')).length, 32);
  t.throws(() => parseKey('short'), /must be 32 bytes/);
});

t.test('orders: create, idempotency, reads scoped to the SP, list, cancel, expiry', async (t) => {
  const clock = new FakeClock();
  const store = openStore(t, { clock: clock.now });
  const a = store.sps.add({ name: 'a', webhookUrl: 'http://127.0.0.1:19/a' }).sp;
  const b = store.sps.add({ name: 'b' }).sp;
  const input = { amount: 499, currency: 'EUR', reference: 'r-1', description: 'song' };
  const first = store.orders.create(a.id, input, { ...ORDER_OPTS, idempotencyKey: 'k1' });
  t.equal(first.replayed, false);
  t.equal(first.order.status, 'pending');
  t.equal(first.order.pay_url, `http://pay.example.net/pay?pay_token=${first.order.token}`);
  t.equal(first.order.expires_at, clock.t + 900_000);
  const again = store.orders.create(
    a.id,
    { description: 'song', reference: 'r-1', currency: 'EUR', amount: 499 },
    { ...ORDER_OPTS, idempotencyKey: 'k1' },
  );
  t.equal(again.replayed, true);
  t.equal(again.order.id, first.order.id);
  t.throws(() => store.orders.create(a.id, { ...input, amount: 500 }, { ...ORDER_OPTS, idempotencyKey: 'k1' }), {
    code: 'CONFLICT',
  });
  const otherSp = store.orders.create(b.id, input, { ...ORDER_OPTS, idempotencyKey: 'k1' });
  t.not(otherSp.order.id, first.order.id, 'keys are per SP');
  t.throws(() => store.orders.create(a.id, { ...input, ttlSeconds: 86401 }, ORDER_OPTS), { code: 'INVALID_ARGUMENT' });
  t.equal(store.orders.create(a.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order.description, '');

  t.equal(store.orders.get(a.id, first.order.id).id, first.order.id);
  t.throws(() => store.orders.get(b.id, first.order.id), { code: 'NOT_FOUND', status: 404 });
  t.throws(() => store.orders.get(a.id, 'ord_nope'), { code: 'NOT_FOUND' });
  t.equal(store.orders.find('ord_nope'), null);
  t.equal(store.orders.findByToken(first.order.token)?.id, first.order.id);
  t.equal(store.orders.findByToken('x'.repeat(26)), null);

  for (let i = 0; i < 5; i++) store.orders.create(a.id, { ...input, reference: `p-${i}` }, ORDER_OPTS);
  const p1 = store.orders.list(a.id, { limit: 3 });
  t.equal(p1.orders.length, 3);
  t.ok(p1.nextCursor);
  const p2 = store.orders.list(a.id, { limit: 3, after: p1.nextCursor! });
  t.equal(p2.orders.length, 3);
  const p3 = store.orders.list(a.id, { limit: 3, after: p2.nextCursor! });
  t.equal(p3.orders.length, 1);
  t.equal(p3.nextCursor, null);
  t.equal(store.orders.list(a.id, { reference: 'p-2' }).orders.length, 1);
  t.equal(store.orders.list(b.id).orders.length, 1);
  t.equal(store.orders.list(null).orders.length, 8);

  const c = store.orders.cancel(a.id, first.order.id);
  t.equal(c.status, 'cancelled');
  t.equal(store.orders.cancel(a.id, first.order.id).status, 'cancelled', 'cancel is safe to retry');
  t.throws(() => store.orders.cancel(b.id, first.order.id), { code: 'NOT_FOUND' });
  t.equal(store.orders.list(a.id, { status: 'cancelled' }).orders.length, 1);

  // expiry: on read, by the sweeper, and never twice
  const short = store.orders.create(a.id, { ...input, ttlSeconds: 1 }, ORDER_OPTS).order;
  t.equal(store.orders.expireDue(), 0);
  clock.advance(1000);
  t.equal(store.orders.get(a.id, short.id).status, 'expired');
  t.throws(() => store.orders.cancel(a.id, short.id), { code: 'ORDER_NOT_CANCELLABLE', status: 409 });
  clock.advance(900_000);
  t.equal(store.orders.expireDue(), 7);
  t.equal(store.orders.expireDue(), 0);
  const replay = store.orders.create(a.id, input, { ...ORDER_OPTS, idempotencyKey: 'k2' });
  clock.advance(900_000);
  t.equal(
    store.orders.create(a.id, input, { ...ORDER_OPTS, idempotencyKey: 'k2' }).order.status,
    'expired',
    'a replay shows the current state',
  );
  t.equal(store.orders.expireIfDue(store.orders.find(replay.order.id)!).status, 'expired');
  const raced = store.orders.create(a.id, { ...input, reference: 'raced' }, ORDER_OPTS).order;
  store.orders.cancel(a.id, raced.id);
  clock.advance(900_000);
  t.equal(store.orders.expireIfDue(raced).status, 'cancelled', 'a stale pending row: the fresh state wins');

  const events = store.events.forOrder(first.order.id).map((e) => [e.previous_status, e.status]);
  t.same(events, [
    [null, 'pending'],
    ['pending', 'cancelled'],
  ]);
  const hooks = store.db.prepare('SELECT COUNT(*) FROM webhook_outbox').pluck().get();
  const aEvents = store.db.prepare('SELECT COUNT(*) FROM events WHERE sp_id = ?').pluck().get(a.id);
  t.equal(hooks, aEvents, 'a webhook row for each event of the SP with a URL, none for the SP without');
  t.throws(() => store.transitions.apply(store.orders.find(first.order.id)!, 'paid', clock.t), /illegal transition/);
});

t.test('a transition that lost its race throws and rolls back with its event', async (t) => {
  const store = openStore(t);
  const sp = store.sps.add({ name: 'a' }).sp;
  const o = store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: 'r' }, ORDER_OPTS).order;
  const heard: string[] = [];
  store.transitions.listeners.push((_f, to) => heard.push(to));
  store.orders.cancel(sp.id, o.id);
  t.throws(() => store.transitions.tx(() => store.transitions.apply(o, 'expired', 1)), /no longer pending/);
  t.same(heard, ['cancelled']);
  t.equal(store.events.forOrder(o.id).length, 2);
});
