// The SP kit as its own package: packages/client is packed with `npm pack`,
// installed from the tarball into a scratch SP project offline (it has no
// dependency, so nothing is downloaded; the install time is printed), and
// that project, run by plain node outside this repository, does create ->
// simulate -> webhook verify against a real `gnpay run` with a sandbox key.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, cli, ROOT, spawnDaemon, tmpDir, until } from '../e2e/harness';

t.setTimeout(600_000);

const PKG = join(ROOT, 'packages', 'client');

const SP_SCRIPT = `
import { createServer } from 'node:http';
import { GnpayClient, verifyWebhook } from '@gnpay/client';
const [baseUrl, apiKey] = process.argv.slice(2);
const gnpay = new GnpayClient({ baseUrl, apiKey });
let secret = null;
const seen = [];
const paid = new Promise((resolve, reject) => {
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const event = await verifyWebhook(new Uint8Array(Buffer.concat(chunks)), req.headers, secret);
        seen.push(event.type);
        res.statusCode = 204;
        res.end();
        if (event.type === 'org.gnpay.order.paid') { srv.close(); resolve(event); }
      } catch (err) { res.statusCode = 400; res.end(); reject(err); }
    });
  });
  srv.listen(0, '127.0.0.1', async () => {
    try {
      const hook = await gnpay.setWebhook('http://127.0.0.1:' + srv.address().port + '/hook', { rotateSecret: true, overlapSeconds: 0 });
      secret = hook.secret;
      const order = await gnpay.createOrder({ amount: 199, currency: 'EUR', reference: 'cart-1' }, { correlator: 'sp-create-1' });
      const simulated = await gnpay.simulateOrder(order.id, 'paid', { msisdn: '+34671999000', correlator: 'sp-simulate-1' });
      console.log(JSON.stringify({ created: order.status, simulated: simulated.status }));
    } catch (err) { reject(err); }
  });
});
const event = await paid;
let forged = null;
try { await verifyWebhook('{}', { 'gnpay-signature': 't=1,v1=' + '0'.repeat(64) }, secret); } catch (err) { forged = err.code; }
console.log(JSON.stringify({ paid: event.data.id, status: event.data.status, seen, forged }));
`;

t.test(
  'npm pack of packages/client installs offline in a scratch SP project and runs create -> simulate -> webhook verify',
  async (t) => {
    const built = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PKG, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    t.equal(built.status, 0, built.stdout + built.stderr);
    const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    t.same(manifest.dependencies ?? {}, {}, 'no dependency');
    t.notOk(manifest.gypfile, 'no native addon');

    const dir = tmpDir(t);
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: PKG,
      encoding: 'utf8',
    });
    t.equal(pack.status, 0, pack.stderr);
    const packed = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
    t.ok(
      packed.files.every((f) => /^(package\.json|README\.md|dist\/[a-z-]+\.(js|d\.ts))$/.test(f.path)),
      `ships only its build: ${packed.files.map((f) => f.path).join(' ')}`,
    );

    const sp = join(dir, 'sp-project');
    spawnSync('mkdir', [sp]);
    writeFileSync(join(sp, 'package.json'), JSON.stringify({ name: 'sp-project', private: true, type: 'module' }));
    writeFileSync(join(sp, 'sp.mjs'), SP_SCRIPT);
    const t0 = Date.now();
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, packed.filename)], {
      cwd: sp,
      encoding: 'utf8',
      env: childEnv(),
    });
    const seconds = (Date.now() - t0) / 1000;
    t.equal(install.status, 0, install.stderr);
    t.comment(`npm install --offline of the packed @gnpay/client: ${seconds.toFixed(2)} s`);
    process.stdout.write(`# install time of @gnpay/client from its tarball: ${seconds.toFixed(2)} s\n`);

    // a daemon with a sandbox SP; the SP project's webhook receiver is on loopback, which this configuration allows
    const db = join(dir, 'g.db');
    const cfg = join(dir, 'c.json');
    writeFileSync(
      cfg,
      JSON.stringify({ webhooks: { allowDestinations: ['127.0.0.1/32'], retry: { baseMs: 50, maxMs: 500 } } }),
    );
    const key = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--config', cfg, '--name', 'dev shop', '--test', '--json'])).stdout,
    );
    t.match(key.apiKey, /^gnpk_test_/);
    const d = await spawnDaemon(t, ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg, '--log-level', 'info']);

    const run = spawnSync(process.execPath, ['sp.mjs', d.url, key.apiKey], {
      cwd: sp,
      encoding: 'utf8',
      env: childEnv(),
      timeout: 120_000,
    });
    t.equal(run.status, 0, run.stderr);
    const [first, last] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.same(first, { created: 'pending', simulated: 'identified' });
    t.match(last, { status: 'paid', forged: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    t.same(
      last.seen,
      ['org.gnpay.order.pending', 'org.gnpay.order.identified', 'org.gnpay.order.paid'],
      'every webhook verified with Web Crypto',
    );
    // the access log (written asynchronously): the SP's own x-correlator is in the operator's log
    await until(() => d.logs.some((l) => l.correlator === 'sp-create-1'), 30_000, 'the access log line of the create');
    t.ok(
      d.logs.some((l) => l.correlator === 'sp-simulate-1' && l.route === '/v1/test/orders/:id/simulate'),
      'and of the simulation',
    );
  },
);
