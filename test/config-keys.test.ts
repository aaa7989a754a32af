// The configuration schema read at run time (src/config-schema-data.ts, the
// JSON `npm run docs` writes from ConfigSchema; test/ops/docs.test.ts checks it
// is not stale) answers what the TypeBox schema does, and reading the
// configuration does not load TypeBox.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { defaultsOf, isReloadable, keysAt, type SchemaNode } from '../src/config-keys';
import { CONFIG_SCHEMA } from '../src/config-schema-data';
import { ConfigSchema, keyDocs } from '../src/config-schema';

const schema = ConfigSchema as SchemaNode;

t.test('the defaults, reloadable keys and section keys agree with ConfigSchema', async (t) => {
  t.same(defaultsOf(), defaultsOf(schema), 'the defaults');
  const docs = keyDocs();
  t.ok(docs.length > 50, `${docs.length} keys`);
  for (const d of docs) {
    t.equal(isReloadable(d.key), isReloadable(d.key, schema), `${d.key}: reloadable`);
    if (d.section) t.same(keysAt(d.key), keysAt(d.key, schema), `${d.key}: its keys`);
  }
  t.same(keysAt(''), Object.keys(CONFIG_SCHEMA.properties ?? {}), 'the top-level keys');
  t.same(keysAt('no.such.section'), [], 'an unknown section has no keys');
});

t.test('loading the configuration does not load TypeBox', async (t) => {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(
    process.execPath,
    [
      '--import=./test/helpers/ts-import.mjs',
      '-e',
      "require('./src/config'); console.log(Object.keys(require.cache).filter((k) => k.includes('@sinclair/typebox')).length)",
    ],
    { cwd: root, encoding: 'utf8' },
  );
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.trim(), '0', 'no TypeBox module');
});
