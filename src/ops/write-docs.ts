// `npm run docs`: rewrites the generated reference documents from their
// sources of truth (the metric definitions; the configuration schema; the
// event field table, which also gives the TypeScript event types; the route
// schemas, which give the OpenAPI document).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApi } from '../api/openapi';
import { renderConfigDocs } from './config-docs';
import { renderEngineLimits, renderEventsDoc, renderEventTypes } from './event-contract';
import { renderMetricDocs } from './metric-docs';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/metrics.md': renderMetricDocs,
  'docs/configuration.md': renderConfigDocs,
  'docs/events.md': () => renderEventsDoc(),
  'src/native/event-types.ts': () => renderEventTypes(),
  'src/native/limits.ts': () => renderEngineLimits(),
  'docs/openapi.json': () => renderOpenApi(),
};

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
