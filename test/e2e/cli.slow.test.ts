// Contract tests of the CLI: --json shapes, exit codes, messages; `gnpay run` signals.
import t from 'tap';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import Ajv from 'ajv';
import { Order as OrderSchema } from '../../src/api/schemas';
import { cli, cliProcess, msisdnOf, phoneCapture, ROOT, spawnDaemon, tmpDir, until } from '../e2e/harness';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(300000);

const validOrder = new Ajv({ formats: { 'date-time': true } }).compile(OrderSchema);

t.test('sp, orders, ledger: --json shapes and text', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const added = JSON.parse(
    (
      await cli([
        'sp',
        'add',
        '--db',
        db,
        '--name',
        'shop',
        '--webhook',
        'https://shop.example/hook',
        '--scope',
        'msisdn:read',
        '--json',
      ])
    ).stdout,
  );
  t.same(Object.keys(added), [
    'id',
    'name',
    'apiKey',
    'webhookSecret',
    'scopes',
    'confirmation',
    'returnOrigins',
    'test',
  ]);
  t.equal(added.test, false, 'a live SP by default');
  t.same(added.scopes, ['msisdn:read']);
  t.equal(added.confirmation, 'page', 'the pay page by default');
  const text = await cli([
    'sp',
    'add',
    '--db',
    db,
    '--name',
    'other',
    '--confirmation',
    'none',
    '--return-origin',
    'https://other.example/x',
  ]);
  t.match(
    text.stdout,
    /api key +gnpk_\w+\nwebhook secret +whsec_\S+\nscopes +\(none\)\nconfirmation +none \(one-step: a sighting charges; safe only when the SP proves consent itself\)\nreturn origins +https:\/\/other\.example\n\nThe API key and the webhook secret are shown only this once\./,
  );
  const list = JSON.parse((await cli(['sp', 'list', '--db', db, '--json'])).stdout);
  t.equal(list.length, 2);
  t.same(Object.keys(list[0]), [
    'id',
    'name',
    'webhookUrl',
    'scopes',
    'confirmation',
    'returnOrigins',
    'keyHint',
    'test',
    'createdAt',
    'revokedAt',
  ]);
  t.notOk(JSON.stringify(list).includes(added.apiKey), 'list never shows keys');
  t.match(
    (await cli(['sp', 'list', '--db', db])).stdout,
    new RegExp(`${added.id}  active   gnpk_\\w+…  shop  https://shop.example/hook  msisdn:read  confirmation:page`),
  );
  const sandbox = await cli(['sp', 'add', '--db', db, '--name', 'dev', '--test']);
  t.match(
    sandbox.stdout,
    /api key +gnpk_test_\w+\n[\s\S]*sandbox +yes: orders never reach a subscriber or the payment platform/,
    'sp add --test: a sandbox SP',
  );
  t.match((await cli(['sp', 'list', '--db', db])).stdout, /sp_\w+ {2}test {5}gnpk_test… {2}dev {2}/, 'listed as test');
  const conf = await cli([
    'sp',
    'configure',
    added.id,
    '--db',
    db,
    '--return-origin',
    'https://shop.example',
    '--confirmation',
    'page',
  ]);
  t.match(conf.stdout, /confirmation page, return origins https:\/\/shop\.example/);
  t.equal((await cli(['sp', 'configure', added.id, '--db', db, '--confirmation', 'sometimes'])).code, 2);
  t.match(
    (await cli(['sp', 'configure', added.id, '--db', db, '--no-return-origins'])).stdout,
    /return origins \(none\)/,
  );
  await cli(['sp', 'configure', added.id, '--db', db, '--return-origin', 'https://shop.example']);

  const order = JSON.parse(
    (
      await cli([
        'orders',
        'create',
        '--db',
        db,
        '--sp',
        added.id,
        '--amount',
        '250',
        '--currency',
        'EUR',
        '--reference',
        'r-1',
        '--description',
        'x',
        '--ttl',
        '60',
        '--idempotency-key',
        'k',
        '--json',
      ])
    ).stdout,
  );
  t.ok(validOrder(order), 'orders create prints the order as the API does');
  t.equal(order.status, 'pending');
  const again = JSON.parse(
    (
      await cli([
        'orders',
        'create',
        '--db',
        db,
        '--sp',
        added.id,
        '--amount',
        '250',
        '--currency',
        'EUR',
        '--reference',
        'r-1',
        '--description',
        'x',
        '--ttl',
        '60',
        '--idempotency-key',
        'k',
        '--json',
      ])
    ).stdout,
  );
  t.equal(again.id, order.id, 'idempotent');
  const shown = JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--json'])).stdout);
  t.same(shown, order);
  t.match((await cli(['orders', 'show', order.id, '--db', db])).stdout, /status +pending\n[\s\S]*- -> pending/);
  t.match(
    (await cli(['orders', 'show', order.id, '--db', db, '--evidence'])).stdout,
    /evidence: none \(not confirmed; 0 phone\(s\) identified\)/,
  );
  const ev = JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--evidence', '--json'])).stdout);
  t.same([ev.evidence, ev.identifications], [null, 0]);
  const withReturn = JSON.parse(
    (
      await cli([
        'orders',
        'create',
        '--db',
        db,
        '--sp',
        added.id,
        '--amount',
        '3',
        '--currency',
        'EUR',
        '--reference',
        'r-3',
        '--return-url',
        'https://shop.example/back',
        '--json',
      ])
    ).stdout,
  );
  t.equal(withReturn.returnUrl, 'https://shop.example/back');
  t.match(
    (await cli(['orders', 'show', withReturn.id, '--db', db])).stdout,
    /return URL +https:\/\/shop\.example\/back/,
  );
  t.equal(
    (
      await cli([
        'orders',
        'create',
        '--db',
        db,
        '--sp',
        added.id,
        '--amount',
        '3',
        '--currency',
        'EUR',
        '--reference',
        'r-4',
        '--return-url',
        'https://evil.example/',
      ])
    ).code,
    2,
  );
  await cli([
    'orders',
    'create',
    '--db',
    db,
    '--sp',
    added.id,
    '--amount',
    '1',
    '--currency',
    'USD',
    '--reference',
    'r-2',
    '--pay-url',
    'https://{token}.p.example/',
  ]);
  const page = JSON.parse((await cli(['orders', 'list', '--db', db, '--limit', '1', '--json'])).stdout);
  t.same(Object.keys(page), ['orders', 'nextCursor']);
  t.ok(page.nextCursor);
  const rest = JSON.parse(
    (
      await cli([
        'orders',
        'list',
        '--db',
        db,
        '--after',
        page.nextCursor,
        '--status',
        'pending',
        '--sp',
        added.id,
        '--reference',
        'r-2',
        '--json',
      ])
    ).stdout,
  );
  t.match(rest.orders[0].payUrl, /^https:\/\/[a-z2-7]{26}\.p\.example\/$/);
  t.match((await cli(['orders', 'list', '--db', db, '--limit', '1'])).stdout, /\(more: --after \d+\)/);
  t.match((await cli(['orders', 'list', '--db', db, '--status', 'paid'])).stdout, /\(no orders\)/);

  const acc = JSON.parse(
    (
      await cli([
        'ledger',
        'credit',
        '--db',
        db,
        '--msisdn',
        '+491511234567',
        '--amount',
        '500',
        '--currency',
        'EUR',
        '--note',
        'top-up',
        '--json',
      ])
    ).stdout,
  );
  t.same(Object.keys(acc), ['msisdn', 'balances', 'entries']);
  t.match(acc, {
    msisdn: '491511234567',
    balances: { EUR: 500 },
    entries: [{ amount: 500, currency: 'EUR', kind: 'credit', note: 'top-up' }],
  });
  t.same(JSON.parse((await cli(['ledger', 'show', '--db', db, '--msisdn', '4900000', '--json'])).stdout), {
    msisdn: '4900000',
    balances: {},
    entries: [],
  });
  t.match(
    (await cli(['ledger', 'show', '--db', db, '--msisdn', '491511234567'])).stdout,
    /balance +500 EUR \(minor units\)\n .*credit +500 EUR +top-up/,
  );
  t.same(JSON.parse((await cli(['ledger', 'show', '--db', db, '--json'])).stdout), [
    { msisdn: '491511234567', balances: { EUR: 500 } },
  ]);
  t.match((await cli(['ledger', 'show', '--db', db])).stdout, /491511234567 +500 EUR/);
  t.match((await cli(['ledger', 'show', '--db', join(dir, 'empty.db')])).stdout, /\(no accounts\)/);
  t.match((await cli(['sp', 'list', '--db', join(dir, 'empty.db')])).stdout, /\(no SPs\)/);

  t.match((await cli(['ledger', 'show', '--db', db, '--msisdn', '4900000'])).stdout, /balance +0 \(minor units\)/);
  await cli(['ledger', 'credit', '--db', db, '--msisdn', '4900000', '--amount', '7', '--currency', 'USD']);
  await cli(['ledger', 'credit', '--db', db, '--msisdn', '4900000', '--amount', '9', '--currency', 'EUR']);
  t.match((await cli(['ledger', 'show', '--db', db])).stdout, /^4900000 +9 EUR, 7 USD$/m);
  t.match((await cli(['orders', 'list', '--db', db, '--sp', added.id])).stdout, /^ord_\w+ +pending +250 EUR +r-1 +-$/m);
  const rot = JSON.parse(
    (await cli(['sp', 'rotate', added.id, '--db', db, '--key', '--overlap-hours', '1', '--json'])).stdout,
  );
  t.same(Object.keys(rot), ['id', 'name', 'apiKey', 'previousValidUntil'], 'sp rotate --key: the new key only');
  t.match(rot.apiKey, /^gnpk_[a-z2-7]{40}$/);
  t.not(rot.apiKey, added.apiKey);
  t.ok(
    Math.abs(Date.parse(rot.previousValidUntil) - Date.now() - 3_600_000) < 60_000,
    'the old key works for the overlap',
  );
  const both = await cli(['sp', 'rotate', added.id, '--db', db, '--overlap-hours', '0']);
  t.match(
    both.stdout,
    /api key +gnpk_\w+\nwebhook secret +whsec_\S+\nprevious valid +until \d{4}-.*\n\nThe new values are shown only this once\./,
    'without --key or --webhook-secret: both',
  );
  const sec = JSON.parse((await cli(['sp', 'rotate', added.id, '--db', db, '--webhook-secret', '--json'])).stdout);
  t.same(Object.keys(sec), ['id', 'name', 'webhookSecret', 'previousValidUntil']);
  const revoked = JSON.parse((await cli(['sp', 'revoke', added.id, '--db', db, '--json'])).stdout);
  t.ok(revoked.revokedAt);
  t.match(
    (await cli(['sp', 'list', '--db', db])).stdout,
    new RegExp(`${added.id}  revoked  .*\n.*other  -    confirmation:none  https://other.example$`, 'm'),
  );
  t.match((await cli(['sp', 'revoke', added.id, '--db', db])).stdout, /revoked sp_\w+ \(shop\)/);
});

t.test('errors: exit codes and messages', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const sp = JSON.parse((await cli(['sp', 'add', '--db', db, '--name', 's', '--json'])).stdout);
  const secretCfg = join(dir, 'secret.json');
  writeFileSync(secretCfg, JSON.stringify({ secrets: { webhookSecretKeyFile: join(dir, 'no-such-key') } }));
  const cases: Array<[string[], number, RegExp]> = [
    [['sp', 'add', '--name', 's'], 2, /a database is required: --db FILE/],
    [['sp', 'add', '--db', db, '--name', 's', '--scope', 'admin'], 2, /unknown scope "admin"/],
    [['sp', 'add', '--db', db, '--name', 's', '--webhook', 'ftp://x'], 2, /--webhook must be an http\(s\) URL/],
    [['sp', 'add', '--db', db, '--name', 's', '--webhook', 'not a url'], 2, /--webhook must be an http\(s\) URL/],
    [['sp', 'add', '--db', db, '--name', ' '], 2, /--name must be 1 to 200 characters/],
    [['sp', 'revoke', 'sp_nope', '--db', db], 1, /no SP sp_nope/],
    [['sp', 'rotate', 'sp_nope', '--db', db], 1, /no active SP sp_nope/],
    [
      ['sp', 'rotate', sp.id, '--db', db, '--overlap-hours', '-1'],
      2,
      /--overlap-hours must be a number of hours from 0 to 8760/,
    ],
    [['sp', 'rotate', sp.id, '--db', db, '--overlap-hours', 'soon'], 2, /--overlap-hours must be/],
    [
      ['orders', 'create', '--db', db, '--sp', sp.id, '--amount', '1.5', '--currency', 'EUR', '--reference', 'r'],
      2,
      /order\/amount must be integer/,
    ],
    [
      ['orders', 'create', '--db', db, '--sp', sp.id, '--amount', 'ten', '--currency', 'EUR', '--reference', 'r'],
      2,
      /--amount must be an integer/,
    ],
    [
      ['orders', 'create', '--db', db, '--sp', sp.id, '--amount', '1', '--currency', 'XYZ', '--reference', 'r'],
      2,
      /order\/currency must be an ISO 4217 currency code/,
    ],
    [
      [
        'orders',
        'create',
        '--db',
        db,
        '--sp',
        sp.id,
        '--amount',
        '1',
        '--currency',
        'EUR',
        '--reference',
        'r',
        '--ttl',
        '999999',
      ],
      2,
      /ttlSeconds must be at most 86400/,
    ],
    [
      ['orders', 'create', '--db', db, '--sp', 'sp_nope', '--amount', '1', '--currency', 'EUR', '--reference', 'r'],
      1,
      /no active SP sp_nope/,
    ],
    [['orders', 'show', 'ord_nope', '--db', db], 1, /no order ord_nope/],
    [['orders', 'list', '--db', db, '--status', 'lost'], 2, /--status must be one of/],
    [['orders', 'list', '--db', db, '--after', 'x'], 2, /--after must be a cursor/],
    [
      ['ledger', 'credit', '--db', db, '--msisdn', 'abc', '--amount', '1', '--currency', 'EUR'],
      2,
      /--msisdn must be an international number/,
    ],
    [['ledger', 'credit', '--db', db, '--msisdn', '4915', '--amount', '1', '--currency', 'EUR'], 2, /--msisdn must be/],
    [
      ['ledger', 'credit', '--db', db, '--msisdn', '491511234567', '--amount', '-1', '--currency', 'EUR'],
      2,
      /--amount must be a positive integer/,
    ],
    [['ledger', 'credit', '--db', db, '--msisdn', '491511234567', '--amount', '1'], 2, /required option '--currency/],
    [
      ['ledger', 'credit', '--db', db, '--msisdn', '491511234567', '--amount', '1', '--currency', 'eur'],
      2,
      /--currency must be an ISO 4217 code/,
    ],
    [['ledger', 'credit', '--db', db, '--msisdn', '491511234567', '--amount', '1', '--currency', 'EUR'], 0, /balance/],
    [['run', '--listen', '127.0.0.1:0'], 2, /a database is required/],
    [['run', '--db', db, '--carrier', 'nope'], 2, /carrier "nope" must look like kind:argument/],
    [['run', '--db', db, '--exit-when-done'], 2, /--exit-when-done needs --read/],
    [['run', '--db', db, '--read', join(dir, 'missing.pcap')], 3, /^gnpay: cannot read .*missing\.pcap: ENOENT\n$/],
    [['run', '--db', db, '--read', dir, '--exit-when-done'], 3, /is not a regular file/],
    [['run', '--db', db, '--config', join(dir, 'missing.json')], 2, /config: cannot read/],
    [['run', '--db', db, '--listen', 'nowhere'], 2, /config: listen must be HOST:PORT/],
    [
      ['run', '--db', db, '--listen', '127.0.0.1:0', '--config', secretCfg, '--log-level', 'silent'],
      2,
      /config: secrets\.webhookSecretKeyFile: cannot read/,
    ],
  ];
  for (const [args, code, re] of cases) {
    const r = await cli(args);
    t.equal(r.code, code, args.join(' '));
    t.match(code === 0 ? r.stdout : r.stderr, re, args.join(' '));
  }
});

t.test(
  'gnpay run: a capture that cannot run stops the daemon with a clear error; --filter applies to --read',
  async (t) => {
    const dir = tmpDir(t);
    const db = join(dir, 'g.db');
    const live = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--interface', 'gnpay-nonexistent0'], {
      waitForUrl: false,
    });
    t.same(
      await live.exited,
      { code: 1, signal: null },
      'no such device: exit 1, not a healthy-looking API that sees nothing',
    );
    t.match(
      live.stderr.join(''),
      /^gnpay: listening on \S+\ngnpay: capture failed: .*gnpay-nonexistent0/,
      'the reason, after the address',
    );

    const sp = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--name', 'shop', '--confirmation', 'none', '--json'])).stdout,
    );
    const order = JSON.parse(
      (
        await cli([
          'orders',
          'create',
          '--db',
          db,
          '--sp',
          sp.id,
          '--amount',
          '5',
          '--currency',
          'EUR',
          '--reference',
          'f',
          '--json',
        ])
      ).stdout,
    );
    await cli(['ledger', 'credit', '--db', db, '--msisdn', msisdnOf(0), '--amount', '100', '--currency', 'EUR']);
    const capture = join(dir, 'c.pcap');
    phoneCapture(capture, [{ who: 0, token: order.token }]);
    const bad = await spawnDaemon(
      t,
      ['--db', db, '--listen', '127.0.0.1:0', '--read', capture, '--filter', 'port nonsense', '--exit-when-done'],
      { waitForUrl: false },
    );
    t.same(await bad.exited, { code: 2, signal: null }, 'a filter libpcap rejects: exit 2');
    t.match(bad.stderr.join(''), /gnpay: capture failed: filter "port nonsense"/);
    const skipped = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--read',
      capture,
      '--filter',
      'udp port 2123',
      '--exit-when-done',
    ]);
    t.same(await skipped.exited, { code: 0, signal: null });
    t.equal(
      JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--json'])).stdout).status,
      'pending',
      "GTP-C only: the token's GTP-U packets were filtered out",
    );
    t.match(
      skipped.logs.find((l) => l.msg === 'source finished'),
      { sightings: 0 },
    );
    const all = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--read',
      capture,
      '--filter',
      'udp port 2123 or udp port 2152',
      '--exit-when-done',
    ]);
    t.same(await all.exited, { code: 0, signal: null });
    t.equal(JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--json'])).stdout).status, 'paid');
    const [seen] = JSON.parse((await cli(['sightings', '--order', order.id, '--db', db, '--json'])).stdout);
    t.match(
      seen,
      {
        outcome: 'associated',
        proto: 'tcp',
        dport: 80,
        communityId: /^1:[A-Za-z0-9+/]{27}=$/,
        flow: /^tcp \S+:\d+ > \S+:80$/,
      },
      'the daemon stored the inner flow and its Community ID',
    );
  },
);

t.test('gnpay systemd-unit: an unprivileged service with two capabilities, that systemd accepts', async (t) => {
  const dir = tmpDir(t);
  const r = await cli(['systemd-unit', '--config', join(dir, 'config.json'), '--user', 'gnpay']);
  t.equal(r.code, 0);
  const unit = r.stdout;
  const exec = unit.split('\n').find((l) => l.startsWith('ExecStart='))!;
  t.ok(
    exec.startsWith(`ExecStart=${process.execPath} /`) && exec.endsWith(` run --config ${join(dir, 'config.json')}`),
    exec,
  );
  t.match(unit, /^User=gnpay$/m, 'never root');
  t.match(unit, /^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$/m);
  t.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m, 'and nothing more');
  t.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'reload is SIGHUP');
  t.match(unit, /^Restart=on-failure$/m);
  t.match(unit, /^RestartPreventExitStatus=2$/m, 'a configuration error is not restarted in a loop');
  t.match(unit, /^Type=notify$/m, 'readiness through sd_notify');
  t.match(unit, /^NotifyAccess=main$/m);
  t.match(unit, /^WatchdogSec=30$/m, 'and a watchdog');
  t.match(unit, /^UMask=0077$/m, 'files of its own only');
  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
  if (!analyze) {
    t.skip('systemd-analyze is not installed: the unit is not verified by systemd', () => {});
    return;
  }
  const file = join(dir, 'gnpay.service');
  writeFileSync(file, unit);
  const v = spawnSync(analyze, ['verify', file], { encoding: 'utf8' });
  t.equal(v.status, 0, `systemd-analyze verify: ${v.stderr.trim() || 'ok'}`);
  // the exposure score docs/operations.md records is the one systemd computes for this unit
  const sec = spawnSync(analyze, ['security', '--offline=true', file], { encoding: 'utf8' });
  const score = /Overall exposure level for gnpay\.service: ([0-9.]+) (\w+)/.exec(sec.stdout);
  t.ok(score, `systemd-analyze security: ${sec.stdout.slice(-200)}${sec.stderr}`);
  t.ok(Number(score![1]) <= 2.5, `exposure ${score![1]} ${score![2]}`);
  const documented = /exposure level ([0-9.]+) \((\w+)\)/.exec(
    readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8'),
  );
  t.same(documented?.slice(1), [score![1], score![2]], 'docs/operations.md records the score of the unit as generated');
});

t.test('gnpay run: one daemon per database, SIGHUP reloads, SIGTERM drains, health', async (t) => {
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ rateLimit: { ordersPerMinute: 100 } }));
  const d = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg]);
  t.same(await (await fetch(`${d.url}/healthz`)).json(), { status: 'ok' });
  t.same(await (await fetch(`${d.url}/readyz`)).json(), {
    status: 'unavailable',
    reason: 'no capture source (capture.interfaces or --read)',
    capture: 'none',
  });
  const busyPort = cliProcess(['run', '--db', join(dir, 'other.db'), '--listen', new URL(d.url).host]);
  t.equal(busyPort.code, 4, 'an address in use: exit 4');
  t.match(busyPort.stderr, /^gnpay: cannot listen on 127\.0\.0\.1:\d+ \(SP API, listen\): address already in use\n$/);
  t.match(busyPort.stdout, /"level":"fatal".*"code":"EADDRINUSE".*"msg":"start failed"/, 'and the cause in the log');
  const second = await cli(['run', '--db', db, '--listen', '127.0.0.1:0']);
  t.equal(second.code, 1);
  t.match(
    second.stderr,
    new RegExp(`gnpay: database .*g\\.db is in use by another gnpay run \\(pid ${d.child.pid}\\); stop it first`),
  );
  writeFileSync(cfg, JSON.stringify({ rateLimit: { ordersPerMinute: 1 }, carriers: ['header:X-Pay-Token'] }));
  d.child.kill('SIGHUP');
  await until(() => d.logs.some((l) => l.msg === 'configuration reloaded'), 10_000, 'reload');
  t.same(d.logs.find((l) => l.msg === 'configuration reloaded')!.carriers, ['query:pay_token', 'header:X-Pay-Token']);
  writeFileSync(cfg, '{"rateLimit": 5}');
  d.child.kill('SIGHUP');
  await until(
    () => d.logs.some((l) => l.msg === 'reload failed: keeping the running configuration'),
    10_000,
    'failed reload',
  );
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.ok(d.logs.some((l) => l.msg === 'shutting down' && l.reason === 'SIGTERM'));
  const again = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0']);
  again.child.kill('SIGINT');
  t.same(await again.exited, { code: 0, signal: null }, 'the lock was released: a new daemon starts');
});
