// `npm run docs`: rewrites the generated reference documents from their
// sources of truth (the metric definitions; the configuration schema; the
// event field table, which also gives the TypeScript event types; the route
// schemas, which give the OpenAPI document).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApi } from '../api/openapi';
import { renderConfigDocs } from './config-docs';
import { renderConfigSchemaData } from './config-schema-code';
import { renderConfigValidator } from './config-validator-code';
import { renderEngineLimits, renderEventsDoc, renderEventTypes } from './event-contract';
import { renderMetricDocs } from './metric-docs';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/metrics.md': renderMetricDocs,
  'docs/configuration.md': renderConfigDocs,
  'src/config-validator.ts': renderConfigValidator,
  'src/config-schema-data.ts': renderConfigSchemaData,
  'docs/events.md': () => renderEventsDoc(),
  'src/native/event-types.ts': () => renderEventTypes(),
  'src/native/limits.ts': () => renderEngineLimits(),
  'docs/openapi.json': () => renderOpenApi(),
  'packages/client/src/codes.ts': () => clientCopy('codes.ts'),
  'packages/client/src/types.ts': () => clientCopy('types.ts'),
  'packages/client/src/client.ts': () => clientCopy('client.ts'),
};

/**
 * A file of the SP kit package (packages/client, ESM) made from the daemon's
 * src/client: the one source of both, with relative imports ending in `.js`.
 */
export function clientCopy(file: string): string {
  const src = readFileSync(join(__dirname, '..', '..', 'src', 'client', file), 'utf8').replace(/^(import .* from '\.\/[a-z-]+)';$/gm, "$1.js';");
  return `// Written by \`npm run docs\` from src/client/${file}: edit that file.\n${src}`;
}

/** docs/openapi.json: the document the SP API serves, for this package version. */
export function renderOpenApi(): string {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return JSON.stringify(buildOpenApi(version), null, 2) + '\n';
}

if (require.main === module) {
  const root = join(__dirname, '..', '..');
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    writeFileSync(join(root, file), render());
    process.stdout.write(`wrote ${file}\n`);
  }
}
