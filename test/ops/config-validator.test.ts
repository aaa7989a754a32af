// The configuration's validator compiled ahead of time (src/config-validator.ts,
// `npm run docs`) answers what Ajv compiling ConfigSchema at run time does:
// the same verdict and the same errors, in order, for valid and broken configs.
import t from 'tap';
import { DEFAULTS } from '../../src/config';
import { validate } from '../../src/config-validator';
import { ConfigSchema } from '../../src/config-schema';
import { configAjv } from '../../src/ops/config-validator-code';

const runtime = configAjv().compile(ConfigSchema);
const check = validate as ((data: unknown) => boolean) & { errors?: unknown };

const d = DEFAULTS as unknown as Record<string, Record<string, unknown>>;
const cases: [string, unknown][] = [
  ['the defaults', DEFAULTS],
  ['an unknown key', { ...DEFAULTS, nope: 1 }],
  ['wrong types', { ...DEFAULTS, listen: 5, carriers: 'query:x', db: 3 }],
  ['out of bounds', { ...DEFAULTS, api: { ...d.api, bodyLimitBytes: -1 } }],
  ['a nested unknown key and a wrong enum', { ...DEFAULTS, log: { ...d.log, level: 'loud', extra: true } }],
  ['a missing section', Object.fromEntries(Object.entries(DEFAULTS).filter(([k]) => k !== 'payments'))],
  ['not an object', 'listen: 1'],
  ['null', null],
];

for (const [name, input] of cases) {
  t.test(name, async (t) => {
    const a = runtime(structuredClone(input));
    const b = check(structuredClone(input));
    t.equal(b, a, 'the same verdict');
    t.same(check.errors ?? null, runtime.errors ?? null, 'the same errors');
  });
}

t.test('some cases are invalid, with errors', async (t) => {
  t.equal(check({ ...DEFAULTS, nope: 1 }), false);
  t.ok(Array.isArray(check.errors) && check.errors.length > 0);
});
