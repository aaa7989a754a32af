// The operator's commands: config check / show, admin commands that read the
// service's configuration by default (so `sp add` mints keys the daemon
// accepts), sp update, and sightings (why a subscriber was charged).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfigFile, didYouMean } from '../../src/config-file';
import { loadConfig, storeOptions } from '../../src/config';
import { Store } from '../../src/store';
import { cli, sighting, spawnDaemon, tmpDir } from '../e2e/harness';

function withEnv(t: { teardown(fn: () => void): void }, vars: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  });
}

t.test('where the service configuration is found', async (t) => {
  const dir = tmpDir(t);
  const yaml = join(dir, 'config.yaml');
  const json = join(dir, 'config.json');
  writeFileSync(json, '{}');
  t.equal(defaultConfigFile({}, [yaml, json]), json, 'the first that exists');
  writeFileSync(yaml, '{}');
  t.equal(defaultConfigFile({}, [yaml, json]), yaml);
  t.equal(defaultConfigFile({ GNPAY_CONFIG: '/x.yaml' }, [yaml]), '/x.yaml', '$GNPAY_CONFIG first');
  t.equal(defaultConfigFile({ GNPAY_CONFIG: '' }, [yaml]), null, 'empty: none');
  t.equal(defaultConfigFile({}, [join(dir, 'none')]), null);
  t.equal(didYouMean('opslisten', ['listen', 'opsListen']), 'opsListen');
  t.equal(didYouMean('zzz', ['listen', 'opsListen']), null);
});

t.test('sp add reads the service config: its key works with the daemon that has a pepper', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, `# the service's configuration\ndb: ${db}\nlisten: 127.0.0.1:0\nsecrets:\n  apiKeyPepper: pepper-of-the-install # HMAC of API keys\n`);
  withEnv(t, { GNPAY_CONFIG: cfg });
  const added = JSON.parse((await cli(['sp', 'add', '--name', 'shop', '--json'])).stdout);
  const d = await spawnDaemon(t, ['--config', cfg]);
  const r = await fetch(`${d.url}/v1/orders`, { headers: { authorization: `Bearer ${added.apiKey}` } });
  t.equal(r.status, 200, 'the daemon accepts the key sp add minted');
  // --db alone still reads the service's secrets
  const other = join(dir, 'other.db');
  const again = JSON.parse((await cli(['sp', 'add', '--db', other, '--name', 'x', '--json'])).stdout);
  const s = Store.open(other, storeOptions(loadConfig(cfg, { db: other })));
  t.ok(s.sps.authenticate(again.apiKey), 'hashed with the pepper of the service config');
  s.close();
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('config check and config show', async (t) => {
  const dir = tmpDir(t);
  const cfg = join(dir, 'c.yaml');
  withEnv(t, { GNPAY_CONFIG: '' });
  writeFileSync(cfg, ['listen: 0.0.0.0:8080', 'payments:', '  driver: http', '  http: { url: "https://pay.example/charge", secret: s3cr3t }', 'secrets: { apiKeyPepper: pep }', ''].join('\n'));
  const ok = await cli(['config', 'check', '--config', cfg]);
  t.same([ok.code, ok.stdout], [0, `${cfg}: ok\n`]);
  const show = await cli(['config', 'show', '--config', cfg]);
  t.equal(show.code, 0);
  t.match(show.stdout, /^# the effective configuration: .*; secrets masked\n/);
  t.match(show.stdout, /\nlisten: 0\.0\.0\.0:8080\n/);
  t.match(show.stdout, /apiKeyPepper: \(set\)/);
  t.match(show.stdout, /secret: \(set\)/);
  t.notMatch(show.stdout, /s3cr3t|pep\b/, 'no secret printed');
  const json = JSON.parse((await cli(['config', 'show', '--config', cfg, '--json'])).stdout);
  t.equal(json.payments.http.url, 'https://pay.example/charge');
  t.equal(json.secrets.webhookSecretKey, null, 'unset stays null');
  t.equal(json.checkpoint.intervalSeconds, 10, 'the defaults are shown too');

  writeFileSync(cfg, ['listen: 0.0.0.0:8080', 'lisen: x', 'payments:', '  driver: htp', ''].join('\n'));
  const bad = await cli(['config', 'check', '--config', cfg]);
  t.equal(bad.code, 2);
  t.equal(
    bad.stderr,
    [
      `gnpay: config: 2 problems in ${cfg}:`,
      `  ${cfg}:2:1: lisen is not a known key (did you mean listen?)`,
      `  ${cfg}:4:3: payments.driver must be one of "ledger", "http"`,
      '',
    ].join('\n'),
  );
  const none = await cli(['config', 'check']);
  t.same([none.code, none.stdout], [0, 'no configuration file: the defaults are valid\n']);
});

t.test('sp update: webhook URL, name, scopes', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  withEnv(t, { GNPAY_CONFIG: '' });
  const added = JSON.parse((await cli(['sp', 'add', '--db', db, '--name', 'shop', '--webhook', 'https://old.example/hook', '--json'])).stdout);
  const u = JSON.parse((await cli(['sp', 'update', added.id, '--db', db, '--webhook', 'https://new.example/hook', '--name', 'Shop 2', '--scope', 'msisdn:read', '--json'])).stdout);
  t.match(u, { id: added.id, name: 'Shop 2', webhookUrl: 'https://new.example/hook', scopes: ['msisdn:read'] });
  const off = await cli(['sp', 'update', added.id, '--db', db, '--no-webhook', '--no-scopes']);
  t.match(off.stdout, new RegExp(`^updated ${added.id}: Shop 2  \\(no webhook\\)  \\(no scopes\\)`));
  t.equal((await cli(['sp', 'update', added.id, '--db', db])).code, 2, 'nothing to change');
  t.equal((await cli(['sp', 'update', added.id, '--db', db, '--webhook', 'ftp://x'])).code, 2);
  t.equal((await cli(['sp', 'update', 'sp_nope', '--db', db, '--name', 'x'])).code, 1);
  const s = Store.open(db, storeOptions(loadConfig(null, { db })));
  t.equal(s.sps.webhookSecret(added.id), added.webhookSecret, 'the webhook secret stays');
  s.close();
});

t.test('sp add / sp update --webhook: the destination policy of PUT /v1/webhook (exit 2, clear message)', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  withEnv(t, { GNPAY_CONFIG: '' });
  for (const url of ['http://127.0.0.1:9/h', 'http://169.254.169.254/latest', 'https://u:pw@10.1.2.3/h', 'http://[::1]/h']) {
    const r = await cli(['sp', 'add', '--db', db, '--name', 's', '--webhook', url]);
    t.equal(r.code, 2, `sp add ${url}: exit 2`);
    t.match(r.stderr, /--webhook ".*" is refused: destination .* not allowed: .*webhooks\.allowDestinations/);
    t.notMatch(r.stderr, /pw@/, 'credentials never printed');
  }
  const added = JSON.parse((await cli(['sp', 'add', '--db', db, '--name', 'shop', '--webhook', 'https://shop.example/hook', '--json'])).stdout);
  const refused = await cli(['sp', 'update', added.id, '--db', db, '--webhook', 'http://192.168.1.10/h']);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /refused: destination 192\.168\.1\.10 not allowed: private/);
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ webhooks: { allowDestinations: ['192.168.1.0/24'] } }));
  const ok = JSON.parse((await cli(['sp', 'update', added.id, '--db', db, '--config', cfg, '--webhook', 'http://192.168.1.10/h', '--json'])).stdout);
  t.equal(ok.webhookUrl, 'http://192.168.1.10/h', 'a range the configuration allows');
  t.equal(JSON.parse((await cli(['sp', 'list', '--db', db, '--json'])).stdout)[0].webhookUrl, 'http://192.168.1.10/h');
});

t.test('sightings: why a subscriber was charged, masked unless --reveal', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  withEnv(t, { GNPAY_CONFIG: '' });
  const store = Store.open(db, storeOptions(loadConfig(null, { db })));
  const sp = store.sps.add({ name: 'shop', confirmation: 'none' });
  store.ledger.credit('491511234567', 1000, { currency: 'EUR' });
  const { order } = store.orders.create(sp.sp.id, { amount: 100, currency: 'EUR', reference: 'r1' }, { payUrlTemplate: 'http://pay.example.net/pay?pay_token={token}', defaultTtlSeconds: 900, maxTtlSeconds: 86400 });
  const flow = { ueIp: '10.45.0.3', dst: '203.0.113.80', proto: 'tcp' as const, sport: 54846, dport: 80, communityId: '1:Oth01VeucZ5QF8a68dbmODvW74g=' };
  store.associator.process([sighting(order.token, '491511234567', { imsi: '262011234567890', teid: 0x1234, ...flow })], { now: Date.now(), sourceId: 'test', limits: { perTransaction: null, perMonth: null, amountPerDay: null, ordersPerHour: null } });
  store.close();
  const masked = JSON.parse((await cli(['sightings', '--order', order.id, '--db', db, '--json'])).stdout);
  t.equal(masked.length, 1);
  t.match(masked[0], { orderId: order.id, outcome: 'associated', msisdn: '+49151*****67', imsi: '26201********90', teid: '0x00001234', token: `${order.token.slice(0, 6)}…` });
  t.match(masked[0], { ueIp: '10.45.0.3', dst: '203.0.113.80', proto: 'tcp', sport: 54846, dport: 80, communityId: flow.communityId, flow: 'tcp 10.45.0.3:54846 > 203.0.113.80:80' }, 'the inner flow and its Community ID');
  const full = JSON.parse((await cli(['sightings', '--msisdn', '+491511234567', '--db', db, '--json', '--reveal'])).stdout);
  t.match(full[0], { msisdn: '+491511234567', imsi: '262011234567890', token: order.token });
  const text = (await cli(['sightings', '--order', order.id, '--db', db])).stdout;
  t.match(text, /associated\s+order \S+\s+msisdn \+49151\*+67/);
  t.match(text, /flow tcp 10\.45\.0\.3:54846 > 203\.0\.113\.80:80 {2}community-id 1:Oth01VeucZ5QF8a68dbmODvW74g=/);
  const evidence = (await cli(['orders', 'show', order.id, '--evidence', '--db', db])).stdout;
  t.match(evidence, /sighting flow +\S+ packet \d+ associated: tcp 10\.45\.0\.3:54846 > 203\.0\.113\.80:80 community-id 1:Oth01VeucZ5QF8a68dbmODvW74g=/, 'orders show --evidence: the flow');
  const evJson = JSON.parse((await cli(['orders', 'show', order.id, '--evidence', '--db', db, '--json'])).stdout);
  t.match(evJson.sightings, [{ outcome: 'associated', flow: 'tcp 10.45.0.3:54846 > 203.0.113.80:80', communityId: flow.communityId }]);
  t.match(evJson.evidence.sighting, { communityId: flow.communityId, sport: 54846 }, 'the one-step evidence keeps the flow');
  t.equal((await cli(['sightings', '--db', db])).code, 2, '--order or --msisdn');
  t.equal((await cli(['sightings', '--msisdn', '+49abc', '--db', db])).code, 2);
  t.equal((await cli(['sightings', '--order', 'ord_none', '--db', db])).stdout, '(no sightings)\n');
});
