// `npm run docs`: rewrites the generated reference documents from their
// sources of truth (the metric definitions; the configuration schema; the
// event field table, which also gives the TypeScript event types).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from './config-docs';
import { renderEngineLimits, renderEventsDoc, renderEventTypes } from './event-contract';
import { renderMetricDocs } from './metric-docs';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/metrics.md': renderMetricDocs,
  'docs/configuration.md': renderConfigDocs,
  'docs/events.md': () => renderEventsDoc(),
  'src/native/event-types.ts': () => renderEventTypes(),
  'src/native/limits.ts': () => renderEngineLimits(),
};

if (require.main === module) {
  const root = join(__dirname, '..', '..');
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    writeFileSync(join(root, file), render());
    process.stdout.write(`wrote ${file}\n`);
  }
}
