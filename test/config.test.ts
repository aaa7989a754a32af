import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  checkConfig,
  ConfigError,
  DEFAULTS,
  loadConfig,
  merge,
  parseListen,
  payHosts,
  readSecret,
  storeOptions,
  validateConfig,
} from '../src/config';
import { createLogger, redactPaths } from '../src/log';
import { createMetrics } from '../src/metrics';
import { tmpDir } from './e2e/harness';

t.test('config: defaults, file, flags over the file', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  writeFileSync(
    file,
    JSON.stringify({
      db: 'file.db',
      listen: '0.0.0.0:9000',
      limits: { perMsisdn: { amountPerDay: 5000 } },
      carriers: ['header:X-Pay-Token'],
    }),
  );
  const c = loadConfig(file, { db: 'flag.db', carriers: ['cookie:pay'] });
  t.equal(c.db, 'flag.db', 'flags override the file');
  t.equal(c.listen, '0.0.0.0:9000');
  t.same(c.carriers, ['cookie:pay'], 'arrays are replaced, not merged');
  t.same(
    c.limits.perMsisdn,
    { perTransaction: 50, perMonth: 300, amountPerDay: 5000, ordersPerHour: null },
    'objects merge key by key',
  );
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
    [{ payments: { http: { url: 'nope' } } }, /^config: \S+c\.json:\d+:\d+: payments\.http\.url must be a URL$/],
    [
      { payments: { driver: 'http' } },
      /^config: 2 problems in \S+c\.json:\n {2}\S+c\.json:1:2: payments\.http\.url is required when payments\.driver is "http"\n {2}\S+c\.json:1:2: payments\.http\.secret or payments\.http\.secretFile is required/,
    ],
    [
      { payments: { driver: 'http', http: { url: 'http://127.0.0.1:1/x' } } },
      /^config: \S+c\.json:\d+:\d+: payments\.http\.secret or payments\.http\.secretFile is required/,
    ],
    [
      { payments: { htp: {} } },
      /^config: \S+c\.json:\d+:\d+: payments\.htp is not a known key \(did you mean payments\.http\?\)$/,
    ],
    [{ listen: 5 }, /^config: \S+c\.json:\d+:\d+: listen must be string$/],
    [{ listen: 'localhost' }, /^config: \S+c\.json:\d+:\d+: listen must be HOST:PORT/],
    [{ listen: 'localhost:70000' }, /^config: \S+c\.json:\d+:\d+: listen must be HOST:PORT/],
    [{ payments: { driver: 'x' } }, /^config: \S+c\.json:\d+:\d+: payments\.driver must be one of "ledger", "http"$/],
    [
      { limits: { perMsisdn: { amountPerDay: -1 } } },
      /^config: \S+c\.json:\d+:\d+: limits\.perMsisdn\.amountPerDay must be >= 1$/,
    ],
    [
      { limits: { perMsisdn: { ordersPerHour: 1.5 } } },
      /^config: \S+c\.json:\d+:\d+: limits\.perMsisdn\.ordersPerHour must be integer/,
    ],
    [
      { payUrlTemplate: 'http://x/' },
      /^config: \S+c\.json:\d+:\d+: payUrlTemplate must contain \{token\} exactly once$/,
    ],
    [{ carriers: ['foo'] }, /^config: \S+c\.json:\d+:\d+: carriers\[0\]: carrier "foo" must look like kind:argument/],
    [{ carriers: ['path:pay'] }, /^config: \S+c\.json:\d+:\d+: carriers\[0\]: .*starts with "\/"/],
    [
      { decode: { limits: { maxSessions: 0 } } },
      /^config: \S+c\.json:\d+:\d+: decode\.limits\.maxSessions must be >= 1$/,
    ],
    [
      { decode: { limits: { maxSesions: 5 } } },
      /^config: \S+c\.json:\d+:\d+: decode\.limits\.maxSesions is not a known key \(did you mean decode\.limits\.maxSessions\?\)$/,
    ],
    [{ webhooks: { retryHours: 0 } }, /^config: \S+c\.json:\d+:\d+: webhooks\.retryHours must be > 0$/],
    [
      { orders: { defaultTtlSeconds: 100, maxTtlSeconds: 50 } },
      /^config: \S+c\.json:\d+:\d+: orders\.defaultTtlSeconds must not exceed orders\.maxTtlSeconds$/,
    ],
    [[], /^config: \S+c\.json:1:1: the file must hold a mapping of keys/],
  ];
  for (const [content, re] of cases) {
    writeFileSync(file, JSON.stringify(content));
    t.throws(() => loadConfig(file), re, JSON.stringify(content));
  }
  writeFileSync(file, '{');
  t.throws(() => loadConfig(file), /^config: \S+c\.json:1:2: /, 'a syntax error with its position');
  t.throws(() => loadConfig(join(dir, 'missing.json')), /^config: cannot read .*missing\.json: ENOENT$/);
  // YAML with comments, every problem at once, each with its line and column
  const yml = join(dir, 'c.yaml');
  writeFileSync(
    yml,
    [
      '# the probe on the Gn mirror',
      'listen: 0.0.0.0:8080',
      'payments:',
      '  driver: ledgr  # typo',
      'log:',
      '  levl: debug',
      'carriers: [foo]',
      '',
    ].join('\n'),
  );
  const err = t.throws(() => loadConfig(yml, { opsListen: 'nowhere' })) as ConfigError;
  t.equal(
    err.message,
    [
      `config: 4 problems in ${yml}:`,
      `  ${yml}:4:3: payments.driver must be one of "ledger", "http"`,
      `  ${yml}:6:3: log.levl is not a known key (did you mean log.level?)`,
      `  ${yml}:7:12: carriers[0]: carrier "foo" must look like kind:argument (kinds: query, path, host, header, cookie)`,
      '  opsListen must be HOST:PORT (e.g. 127.0.0.1:9464), got "nowhere" (from the command line)',
    ].join('\n'),
  );
  t.equal(err.problems.length, 4);
  writeFileSync(yml, '# comments are fine\nlisten: 127.0.0.1:9000 # the SP API\n');
  t.equal(loadConfig(yml).listen, '127.0.0.1:9000', 'YAML with comments');
  t.throws(() => checkConfig({ ...DEFAULTS, api: undefined }), /^config: api is required$/);
  t.throws(() => checkConfig('x'), /^config: \(the file\) must be object$/);
  t.ok(new ConfigError('x') instanceof Error);
  t.ok(
    loadConfig(null, {
      payments: { driver: 'http', http: { url: 'https://pay.example/charge', secretFile: join(dir, 's') } },
    }),
  );
  t.ok(
    loadConfig(null, { pay: { listen: '127.0.0.1:0', insecureHttp: true } }),
    'plain HTTP needs no certificate (labs)',
  );
  t.same(
    payHosts(
      loadConfig(null, {
        payUrlTemplate: 'https://{token}.Pay.example.net:8443/',
        pay: { hosts: ['checkout.example.'] },
      }),
    ),
    ['pay.example.net', 'checkout.example'],
  );
  t.same(
    payHosts(loadConfig(null, { payUrlTemplate: 'http://10.0.0.1/pay/{token}' })),
    [],
    'an IP literal is no pay host name',
  );
});

t.test('secrets from files', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'k'), `${'ab'.repeat(32)}\n`);
  t.equal(readSecret('inline', null, 'x'), 'inline');
  t.equal(readSecret(null, null, 'x'), null);
  t.equal(readSecret(null, join(dir, 'k'), 'x'), 'ab'.repeat(32));
  t.throws(
    () => readSecret(null, join(dir, 'nope'), 'payments.http.secret'),
    /^config: payments\.http\.secretFile: cannot read .*: ENOENT$/,
  );
  const c = loadConfig(null, { secrets: { apiKeyPepper: 'p', webhookSecretKeyFile: join(dir, 'k') } });
  const sightings = { perTunnelPerSecond: 20, perTunnelBurst: 100, maxRows: 1_000_000 };
  t.same(storeOptions(c), { sightings, secrets: { apiKeyPepper: 'p', webhookSecretKey: 'ab'.repeat(32) } });
  t.same(storeOptions(loadConfig(null)), {
    sightings,
    secrets: { apiKeyPepper: undefined, webhookSecretKey: undefined },
  });
});

t.test('logs redact MSISDN, IMSI, IMEI and secrets', async (t) => {
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s) };
  const log = createLogger({ level: 'info', redactPersonalData: true, destination: sink });
  log.info(
    {
      msisdn: '491511234567',
      imsi: '262011234567890',
      sighting: { msisdn: '491511234567', imei: '35349006987330' },
      a: { b: { imsi: '2620' } },
      apiKey: 'gnpk_x',
      order: { token: 'abc' },
    },
    'x',
  );
  const rec = JSON.parse(lines[0]!);
  t.equal(rec.msisdn, '[redacted]');
  t.equal(rec.imsi, '[redacted]');
  t.equal(rec.sighting.msisdn, '[redacted]');
  t.equal(rec.sighting.imei, '[redacted]');
  t.equal(rec.a.b.imsi, '[redacted]');
  t.equal(rec.apiKey, '[redacted]');
  t.equal(rec.order.token, '[redacted]');
  t.notOk(lines[0]!.includes('491511234567'));
  const open = createLogger({ level: 'info', redactPersonalData: false, destination: sink });
  open.info({ msisdn: '491511234567', webhookSecret: 'whsec_x' }, 'y');
  const rec2 = JSON.parse(lines[1]!);
  t.equal(rec2.msisdn, '491511234567', 'personal data when configured');
  t.equal(rec2.webhookSecret, '[redacted]', 'secrets never');
  t.ok(redactPaths(true).includes('*.*.*.imsi'));
  t.notOk(redactPaths(false).includes('imsi'));
  t.ok(createLogger({ level: 'silent', redactPersonalData: true, destination: 'stderr' }));
  t.ok(createLogger({ level: 'silent', redactPersonalData: true }));
});

t.test('metrics registry', async (t) => {
  const m = createMetrics({ defaultMetrics: true, version: '1.2.3', libpcap: 'libpcap version 1.10.3' });
  m.sightings.inc({ carrier: 'query:t', via: 'http', outcome: 'associated' });
  const text = await m.registry.metrics();
  t.match(text, /gnpay_sightings_total\{carrier="query:t",via="http",outcome="associated"\} 1/);
  t.match(text, /\nprocess_cpu_seconds_total \d/, 'the standard process metrics keep their names');
  t.match(text, /\nnodejs_eventloop_lag_seconds \d/);
  t.match(text, /gnpay_build_info\{version="1\.2\.3",nodejs="[0-9.]+",libpcap="libpcap version 1\.10\.3"\} 1/);
  t.match(text, /gnpay_order_transitions_total\{to="paid"\} 0/, 'labelled series exist before their first event');
  t.match(text, /gnpay_http_connections_dropped_total\{listener="pay"\} 0/);
  t.notMatch(text, /^gnpay_\w+_total(\{[^}]*\})? .*\n# TYPE \w+ gauge/m);
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    // prom-client's standard nodejs_active_*_total gauges keep their names (stock dashboards use them)
    if (type === 'gauge' && name!.startsWith('gnpay_'))
      t.notMatch(name, /_total$/, `gauge ${name} does not end in _total`);
    if (type === 'counter') t.match(name, /_total$/, `counter ${name} ends in _total`);
    if (type === 'histogram') t.match(name, /_seconds$|_bytes$/, `histogram ${name} names its unit`);
  }
});

t.test('one schema: types, defaults, validation and the reloadable flag', async (t) => {
  const { ConfigSchema, keyDocs } = await import('../src/config-schema');
  const { defaultsOf, isReloadable } = await import('../src/config-keys');
  const { applyReload, changedKeys } = await import('../src/config');
  t.same(defaultsOf(), DEFAULTS, 'the defaults come from the schema');
  t.same(validateConfig(DEFAULTS), [], 'and the schema accepts them');
  for (const d of keyDocs()) if (!d.section) t.ok(d.description.length > 10, `${d.key} is described`);
  t.ok((ConfigSchema as unknown as { additionalProperties: boolean }).additionalProperties === false);
  // what SIGHUP applies: the flags on the schema, inherited by the keys below
  for (const k of [
    'payUrlTemplate',
    'carriers',
    'orders.defaultTtlSeconds',
    'limits.perMsisdn.amountPerDay',
    'rateLimit.ordersPerMinute',
    'log.level',
    'shutdown.timeoutMs',
    'audit.retentionDays',
  ])
    t.ok(isReloadable(k), `${k} is reloadable`);
  for (const k of [
    'db',
    'listen',
    'opsListen',
    'listeners.maxConnections',
    'payments.driver',
    'webhooks.timeoutMs',
    'secrets.apiKeyPepper',
    'capture.interfaces',
    'decode.limits.maxSessions',
    'log.redactPersonalData',
    'log.destination',
    'checkpoint.intervalSeconds',
    'checkpoint.maxAgeHours',
    'integrity.intervalMinutes',
    'api.metrics',
  ])
    t.notOk(isReloadable(k), `${k} needs a restart`);
  const running = loadConfig(null, { db: 'a.db' });
  const next = loadConfig(null, {
    db: 'b.db',
    log: { level: 'debug', redactPersonalData: false },
    checkpoint: { intervalSeconds: 5 },
    carriers: ['cookie:pay'],
    decode: { limits: { maxSessions: 10 } },
  });
  t.same(changedKeys(running, next), [
    'db',
    'carriers',
    'log.level',
    'log.redactPersonalData',
    'decode.limits.maxSessions',
    'checkpoint.intervalSeconds',
  ]);
  const r = applyReload(running, next);
  t.same(
    r.kept,
    ['db', 'log.redactPersonalData', 'decode.limits.maxSessions', 'checkpoint.intervalSeconds'],
    'redactPersonalData and checkpoint are kept, and said so',
  );
  t.equal(r.config.db, 'a.db');
  t.equal(r.config.log.redactPersonalData, true);
  t.equal(r.config.log.level, 'debug', 'the reloadable ones change');
  t.same(r.config.carriers, ['cookie:pay']);
  t.same(r.config.decode.limits, {}, 'a key absent before stays absent');
  t.equal(r.config.checkpoint.intervalSeconds, 10);
});
