// src/config-schema-data.ts: the configuration schema as plain JSON, written
// by `npm run docs` from ConfigSchema (src/config-schema.ts), so that reading
// the defaults and the reloadable keys at run time does not load TypeBox.
import { ConfigSchema } from '../config-schema';

export function renderConfigSchemaData(): string {
  return [
    '// Written by `npm run docs` from the configuration schema (src/config-schema.ts,',
    '// src/ops/config-schema-code.ts): the schema as JSON, read by src/config-keys.ts.',
    "import type { SchemaNode } from './config-keys';",
    '',
    `export const CONFIG_SCHEMA: SchemaNode = ${JSON.stringify(ConfigSchema, null, 2)};`,
    '',
  ].join('\n');
}
