// docs/configuration.md, generated from the configuration schema
// (src/config-schema.ts): every key with its type, default, whether a reload
// applies it, and what it does; and a commented file with every default.
// `npm run docs` rewrites it; test/ops/docs.test.ts fails when it is stale.
import { stringify } from 'yaml';
import { defaultsOf } from '../config-keys';
import { ConfigSchema, keyDocs } from '../config-schema';

function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && (indent + line + ' ' + word).length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

/** A YAML file with every key at its default, each preceded by its description as a comment. */
export function commentedDefaults(): string {
  const docs = new Map(keyDocs().map((d) => [d.key, d]));
  const lines: string[] = [];
  const walk = (value: Record<string, unknown>, prefix: string, depth: number) => {
    const indent = '  '.repeat(depth);
    for (const [k, v] of Object.entries(value)) {
      const key = prefix ? `${prefix}.${k}` : k;
      const d = docs.get(key);
      if (d?.description) lines.push(...wrap(`${d.description}${d.reloadable ? ' [reloadable]' : ''}`, 100, `${indent}# `));
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
        lines.push(`${indent}${k}:`);
        walk(v as Record<string, unknown>, key, depth + 1);
      } else lines.push(`${indent}${k}: ${stringify(v, { collectionStyle: 'flow' }).trim()}`);
    }
  };
  walk(defaultsOf(ConfigSchema) as Record<string, unknown>, '', 0);
  return lines.join('\n');
}

export function renderConfigDocs(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = keyDocs()
    .filter((d) => !d.section)
    .map((d) => `| \`${d.key}\` | ${esc(d.type)} | ${d.default === undefined ? '(not set)' : `\`${JSON.stringify(d.default)}\``} | ${d.reloadable ? 'yes' : 'restart'} | ${esc(d.description)} |`);
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config-schema.ts by `npm run docs`; test/ops/docs.test.ts fails when it is stale. -->',
    '',
    'One file, YAML (comments allowed; a JSON file is valid YAML and reads as before), given with',
    '`--config FILE`. The admin commands (`sp`, `orders`, `ledger`, `db`, `sightings`, `config`) read',
    '`$GNPAY_CONFIG`, else the first of `/etc/gnpay/config.yaml`, `config.yml`, `config.json` that',
    'exists, when `--config` is not given. Every key has a default; flags (`--db`, `--listen`,',
    '`--ops-listen`, `--carrier`, `--interface`, `--filter`, `--pay-url`, `--log-level`) override the file.',
    '',
    '`gnpay config check` reports every problem at once, each with its line and column, and the known',
    'key an unknown one resembles (`config.yaml:7:3: log.levl is not a known key (did you mean',
    'log.level?)`); `gnpay config show` prints the effective configuration with secrets masked.',
    '',
    'SIGHUP reloads the file. A key marked *yes* below takes effect at once; a change of any other',
    'key is logged (`these settings change only on restart`, with the keys) and its running value',
    'kept until the next start.',
    '',
    '| key | type | default | reload | what it does |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Every key at its default',
    '',
    '```yaml',
    commentedDefaults(),
    '```',
    '',
  ].join('\n');
}
