import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { checkConfig, ConfigError, DEFAULTS, loadConfig, merge, parseListen, payHosts, readSecret, storeOptions } from '../../src/config';
import { createLogger, redactPaths } from '../../src/log';
import { createMetrics } from '../../src/metrics';
import { tmpDir } from '../e2e/harness';

t.test('config: defaults, file, flags over the file', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ db: 'file.db', listen: '0.0.0.0:9000', limits: { perMsisdn: { amountPerDay: 5000 } }, carriers: ['header:X-Pay-Token'] }));
  const c = loadConfig(file, { db: 'flag.db', carriers: ['cookie:pay'] });
  t.equal(c.db, 'flag.db', 'flags override the file');
  t.equal(c.listen, '0.0.0.0:9000');
  t.same(c.carriers, ['cookie:pay'], 'arrays are replaced, not merged');
  t.same(c.limits.perMsisdn, { perTransaction: 50, perMonth: 300, amountPerDay: 5000, ordersPerHour: null }, 'objects merge key by key');
  t.equal(c.payments.driver, 'ledger');
  t.same(loadConfig(null), DEFAULTS);
  t.not(loadConfig(null).orders, DEFAULTS.orders, 'the defaults are not shared');
  t.same(merge({ a: { b: 1, c: 2 } }, { a: { b: undefined, c: 3 }, d: 4 }), { a: { b: 1, c: 3 }, d: 4 });
  t.same(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
  t.same(parseListen('localhost:0'), { host: 'localhost', port: 0 });
});

t.test('config errors name the key', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  const cases: Array<[unknown, RegExp]> = [
    [{ payments: { http: { url: 'nope' } } }, /^config: payments\.http\.url must be a URL$/],
    [{ payments: { driver: 'http' } }, /^config: payments\.http\.url is required when payments\.driver is "http"$/],
    [{ payments: { driver: 'http', http: { url: 'http://127.0.0.1:1/x' } } }, /^config: payments\.http\.secret or payments\.http\.secretFile is required/],
    [{ payments: { htp: {} } }, /^config: payments\.htp is not a known key$/],
    [{ listen: 5 }, /^config: listen must be string$/],
    [{ listen: 'localhost' }, /^config: listen must be HOST:PORT/],
    [{ listen: 'localhost:70000' }, /^config: listen must be HOST:PORT/],
    [{ payments: { driver: 'x' } }, /^config: payments\.driver must be one of "ledger", "http"$/],
    [{ limits: { perMsisdn: { amountPerDay: -1 } } }, /^config: limits\.perMsisdn\.amountPerDay must be >= 1$/],
    [{ limits: { perMsisdn: { ordersPerHour: 1.5 } } }, /^config: limits\.perMsisdn\.ordersPerHour must be integer/],
    [{ payUrlTemplate: 'http://x/' }, /^config: payUrlTemplate must contain \{token\} exactly once$/],
    [{ carriers: ['foo'] }, /^config: carriers\[0\]: carrier "foo" must look like kind:argument/],
    [{ carriers: ['path:pay'] }, /^config: carriers\[0\]: .*starts with "\/"/],
    [{ decode: { limits: { maxSessions: 0 } } }, /^config: decode\.limits\.maxSessions must be >= 1$/],
    [{ decode: { limits: { maxSesions: 5 } } }, /^config: decode\.limits\.maxSesions is not a known key$/],
    [{ webhooks: { retryHours: 0 } }, /^config: webhooks\.retryHours must be > 0$/],
    [{ orders: { defaultTtlSeconds: 100, maxTtlSeconds: 50 } }, /^config: orders\.defaultTtlSeconds must not exceed orders\.maxTtlSeconds$/],
    [[], /must hold a JSON object/],
    [{ pay: { listen: '0.0.0.0:443' } }, /^config: pay\.tls\.cert and pay\.tls\.key are required for the pay page \(pay\.insecureHttp is for labs only\)$/],
    [{ pay: { listen: 'nowhere' } }, /^config: pay\.listen must be HOST:PORT/],
    [{ pay: { hosts: ['not a host'] } }, /^config: pay\.hosts\[0\]: pay host "not a host" is not a DNS name$/],
    [{ pay: { bindTimeoutMs: 60_000 } }, /^config: pay\.bindTimeoutMs must be <= 30000$/],
    [{ limits: { perMsisdn: { perMonth: 0 } } }, /^config: limits\.perMsisdn\.perMonth must be > 0$/],
  ];
  for (const [content, re] of cases) {
    writeFileSync(file, JSON.stringify(content));
    t.throws(() => loadConfig(file), re, JSON.stringify(content));
  }
  writeFileSync(file, '{');
  t.throws(() => loadConfig(file), /is not valid JSON/);
  t.throws(() => loadConfig(join(dir, 'missing.json')), /^config: cannot read .*missing\.json: ENOENT$/);
  t.throws(() => checkConfig({ ...DEFAULTS, api: undefined }), /^config: api is required$/);
  t.throws(() => checkConfig('x'), /^config: \(the file\) must be object$/);
  t.ok(new ConfigError('x') instanceof Error);
  t.ok(loadConfig(null, { payments: { driver: 'http', http: { url: 'https://pay.example/charge', secretFile: join(dir, 's') } } }));
  t.ok(loadConfig(null, { pay: { listen: '127.0.0.1:0', insecureHttp: true } }), 'plain HTTP needs no certificate (labs)');
  t.same(payHosts(loadConfig(null, { payUrlTemplate: 'https://{token}.Pay.example.net:8443/', pay: { hosts: ['checkout.example.'] } })), ['pay.example.net', 'checkout.example']);
  t.same(payHosts(loadConfig(null, { payUrlTemplate: 'http://10.0.0.1/pay/{token}' })), [], 'an IP literal is no pay host name');
});

t.test('secrets from files', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'k'), `${'ab'.repeat(32)}\n`);
  t.equal(readSecret('inline', null, 'x'), 'inline');
  t.equal(readSecret(null, null, 'x'), null);
  t.equal(readSecret(null, join(dir, 'k'), 'x'), 'ab'.repeat(32));
  t.throws(() => readSecret(null, join(dir, 'nope'), 'payments.http.secret'), /^config: payments\.http\.secretFile: cannot read .*: ENOENT$/);
  const c = loadConfig(null, { secrets: { apiKeyPepper: 'p', webhookSecretKeyFile: join(dir, 'k') } });
  const sightings = { perTunnelPerSecond: 20, perTunnelBurst: 100, maxRows: 1_000_000 };
  t.same(storeOptions(c), { sightings, secrets: { apiKeyPepper: 'p', webhookSecretKey: 'ab'.repeat(32) } });
  t.same(storeOptions(loadConfig(null)), { sightings, secrets: { apiKeyPepper: undefined, webhookSecretKey: undefined } });
});

t.test('logs redact MSISDN, IMSI, IMEI and secrets', async (t) => {
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s) };
  const log = createLogger({ level: 'info', redactPersonalData: true, destination: sink });
  log.info({ msisdn: '491511234567', imsi: '262011234567890', sighting: { msisdn: '491511234567', imei: '35349006987330' }, a: { b: { imsi: '2620' } }, apiKey: 'gnpk_x', order: { token: 'abc' } }, 'x');
  const rec = JSON.parse(lines[0]);
  t.equal(rec.msisdn, '[redacted]');
  t.equal(rec.imsi, '[redacted]');
  t.equal(rec.sighting.msisdn, '[redacted]');
  t.equal(rec.sighting.imei, '[redacted]');
  t.equal(rec.a.b.imsi, '[redacted]');
  t.equal(rec.apiKey, '[redacted]');
  t.equal(rec.order.token, '[redacted]');
  t.notOk(lines[0].includes('491511234567'));
  const open = createLogger({ level: 'info', redactPersonalData: false, destination: sink });
  open.info({ msisdn: '491511234567', webhookSecret: 'whsec_x' }, 'y');
  const rec2 = JSON.parse(lines[1]);
  t.equal(rec2.msisdn, '491511234567', 'personal data when configured');
  t.equal(rec2.webhookSecret, '[redacted]', 'secrets never');
  t.ok(redactPaths(true).includes('*.*.*.imsi'));
  t.notOk(redactPaths(false).includes('imsi'));
  t.ok(createLogger({ level: 'silent', redactPersonalData: true, destination: 'stderr' }));
  t.ok(createLogger({ level: 'silent', redactPersonalData: true }));
});

t.test('metrics registry', async (t) => {
  const m = createMetrics({ defaultMetrics: true, prefix: 'x_' });
  m.sightings.inc({ outcome: 'associated' });
  const text = await m.registry.metrics();
  t.match(text, /x_sightings_total\{outcome="associated"\} 1/);
  t.match(text, /x_process_cpu_seconds_total/);
});
