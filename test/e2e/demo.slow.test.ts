// `gnpay demo` as real processes on the embedded defaults: the order ends paid, the
// webhooks arrive; --json from the packed files alone (npm pack, unpacked).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliProcess, ROOT } from './harness';

t.setTimeout(180000);

t.test('gnpay demo (the CLI, a real process) prints the flow and ends paid', async (t) => {
  const r = cliProcess(['demo']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /order +ord_\w+ 199 EUR cents: pending/);
  t.match(r.stdout, /webhook +org\.gnpay\.order\.paid +signature verified/);
  t.match(r.stdout, /page +200: "Confirm your payment": €1\.99, charged to \+49 170 \*{5} 67/);
  t.match(r.stdout, /order +identified \(msisdn not revealed until the confirmation\); nothing charged yet/);
  t.match(r.stdout, /laptop +a connection no probe saw: 200 "Open this link on mobile data"; its Confirm: 403/);
  t.match(r.stdout, /page +"Payment done"/);
  t.match(r.stdout, /events +pending -> identified -> paid/);
  t.match(r.stdout, /ledger +balance 1000 -> 801 EUR cents/);
  t.match(r.stdout, /\nfinal state: paid\n/);
});

t.test('gnpay demo --json from the packed files alone (npm pack, unpacked as npm installs it)', async (t) => {
  // the tarball unpacked as npm installs it; its dependencies and the addon
  // built from its sources are taken from this checkout (no registry here)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-pack-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  t.equal(p.status, 0, p.stderr);
  const tgz = path.join(dir, (JSON.parse(p.stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
  t.equal(spawnSync('tar', ['-xzf', tgz, '-C', dir]).status, 0, 'unpacked');
  const app = path.join(dir, 'package');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  fs.mkdirSync(path.join(app, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'gnpay.node'), path.join(app, 'build', 'Release', 'gnpay.node'));
  const env = { ...process.env };
  for (const k of Object.keys(env))
    if (k.startsWith('NODE_') || k.startsWith('TAP') || k === 'GNPAY_ADDON') delete env[k];
  const r = spawnSync(process.execPath, [path.join(app, 'dist', 'cli.js'), 'demo', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  t.equal(r.status, 0, r.status === 0 ? 'the demo exits 0' : r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.order.status, 'paid');
  t.same(out.transitions, ['pending', 'identified', 'paid']);
  t.same(
    out.webhooks.map((w: { type: string }) => w.type),
    ['org.gnpay.order.pending', 'org.gnpay.order.identified', 'org.gnpay.order.paid'],
  );
  t.same(out.unbound, { status: 200, confirmStatus: 403 });
  t.same(out.balance, { before: 1000, after: 801, currency: 'EUR' });
  t.equal(out.dir, null);
});
