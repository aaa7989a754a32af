// What `npm publish` would ship: the CLI and the client built into dist/, the
// addon's sources (it is built on install), never the development tools
// (packages/tools: generator, benchmarks, fuzz), the tests or the sources.
// That gnpay demo runs from the packed files alone: test/e2e/demo.slow.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function packed(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack: ${r.stderr}`);
  return ((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files ?? []).map((f) => f.path);
}

t.test('npm pack carries the product, not the tools, tests or sources', async (t) => {
  const files = packed();
  for (const f of [
    'package.json',
    'README.md',
    'binding.gyp',
    'dist/cli.js',
    'dist/client/index.js',
    'native/addon/addon.cc',
    'native/engine/event_fields.def',
  ]) {
    t.ok(files.includes(f), `ships ${f}`);
  }
  const stray = files.filter(
    (f) =>
      /^(test|src|packages|fixtures|ops|docs|native\/(test|fuzz|bench))\//.test(f) ||
      /^dist\/(gen|bench|tools)\//.test(f) ||
      /(^|\/)(gen|bench|fuzz)[^/]*\.js$/.test(f),
  );
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
