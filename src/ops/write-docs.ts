// `npm run docs`: rewrites the generated reference documents from their
// sources of truth (the metric definitions; the configuration schema).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from './config-docs';
import { renderMetricDocs } from './metric-docs';

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/metrics.md': renderMetricDocs,
  'docs/configuration.md': renderConfigDocs,
};

if (require.main === module) {
  const root = join(__dirname, '..', '..');
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    writeFileSync(join(root, file), render());
    process.stdout.write(`wrote ${file}\n`);
  }
}
