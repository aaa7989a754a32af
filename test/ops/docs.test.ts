// The generated reference documents are up to date with their sources (the
// metric definitions, the configuration schema): `npm run docs` rewrites them.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DOCS } from '../../src/ops/write-docs';
import { ROOT } from '../e2e/harness';

for (const [file, render] of Object.entries(GENERATED_DOCS)) {
  t.test(`${file} is generated from its source`, async (t) => {
    t.equal(readFileSync(join(ROOT, file), 'utf8'), render(), `${file} is stale: run npm run docs`);
  });
}

t.test('the commented file of docs/configuration.md is a valid configuration at the defaults', async (t) => {
  const { parse } = await import('yaml');
  const { commentedDefaults } = await import('../../src/ops/config-docs');
  const { DEFAULTS, validateConfig } = await import('../../src/config');
  const value = parse(commentedDefaults());
  t.same(value, DEFAULTS);
  t.same(validateConfig(value), []);
});
