// What `npm publish` would ship: the CLI and the client built into dist/, the
// addon's sources (it is built on install), never the development tools
// (packages/tools: generator, benchmarks, fuzz), the tests or the sources.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function packed(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack: ${r.stderr}`);
  return (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
}

t.test('npm pack carries the product, not the tools, tests or sources', async (t) => {
  const files = packed();
  for (const f of ['package.json', 'README.md', 'binding.gyp', 'dist/cli.js', 'dist/client/index.js', 'native/addon/addon.cc', 'native/engine/event_fields.def']) {
    t.ok(files.includes(f), `ships ${f}`);
  }
  const stray = files.filter((f) => /^(test|src|packages|fixtures|ops|docs|native\/(test|fuzz|bench))\//.test(f) || /^dist\/(gen|bench|tools)\//.test(f) || /(^|\/)(gen|bench|fuzz)[^/]*\.js$/.test(f));
  t.same(stray, [], 'no generator, benchmark, fuzz tool, test or source');
});

t.test('package.json names only files that are built, and the tools workspace', async (t) => {
  t.equal(pkg.main, undefined, 'no library entry point');
  t.notOk('.' in pkg.exports, 'no "." export');
  for (const [name, target] of Object.entries({ ...pkg.exports, ...pkg.bin } as Record<string, string>)) {
    if (target.endsWith('.js')) t.ok(fs.existsSync(path.join(ROOT, target)), `${name} -> ${target} is built`);
  }
  t.ok(pkg.workspaces.includes('packages/tools'));
  const tools = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'tools', 'package.json'), 'utf8'));
  t.equal(tools.private, true, 'the tools are never published');
});

t.test('gnpay demo runs from the packed files alone', async (t) => {
  // the tarball unpacked as npm installs it; its dependencies and the addon
  // built from its sources are taken from this checkout (no registry here)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-pack-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  t.equal(p.status, 0, p.stderr);
  const tgz = path.join(dir, (JSON.parse(p.stdout) as Array<{ filename: string }>)[0].filename);
  t.equal(spawnSync('tar', ['-xzf', tgz, '-C', dir]).status, 0, 'unpacked');
  const app = path.join(dir, 'package');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  fs.mkdirSync(path.join(app, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'gnpay.node'), path.join(app, 'build', 'Release', 'gnpay.node'));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('NODE_') || k.startsWith('TAP') || k === 'GNPAY_ADDON') delete env[k];
  const r = spawnSync(process.execPath, [path.join(app, 'dist', 'cli.js'), 'demo', '--json'], { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
  t.equal(r.status, 0, r.status === 0 ? 'the demo exits 0' : r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.order.status, 'paid');
  t.same(out.transitions, ['pending', 'identified', 'paid']);
});
