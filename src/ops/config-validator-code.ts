// The configuration's validator, compiled ahead of time: `npm run docs` writes
// src/config-validator.ts (Ajv's standalone code for ConfigSchema), which
// src/config.ts loads, so that a start does not pay for Ajv's code generation.
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { ConfigSchema } from '../config-schema';

/** The Ajv instance the configuration is validated with (options, the `reloadable` annotation). */
export function configAjv(source = false): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, code: { source } });
  ajv.addKeyword({ keyword: 'reloadable', schemaType: 'boolean' });
  return ajv;
}

/** src/config-validator.ts: a module exporting `validate`, the compiled ConfigSchema. */
export function renderConfigValidator(): string {
  const ajv = configAjv(true);
  const code = standaloneCode(ajv, ajv.compile(ConfigSchema));
  return [
    '// Written by `npm run docs` from the configuration schema (src/config-schema.ts,',
    "// src/ops/config-validator-code.ts): Ajv's standalone code, compiled ahead of time.",
    '/* eslint-disable */',
    '// @ts-nocheck',
    "// Left out of the coverage figures: Ajv's generated branches, one per way a config can be",
    '// wrong; test/ops/config-validator.test.ts checks it answers as Ajv compiling the schema does.',
    '/* c8 ignore start */',
    'export const validate = (() => {',
    '  const module = { exports: {} };',
    code,
    '  return module.exports;',
    '})();',
    '/* c8 ignore stop */',
    '',
  ].join('\n');
}
