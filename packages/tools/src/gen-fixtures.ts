// Regenerates the committed fixtures (fixtures/*.pcap[ng] with their
// .expected.jsonl and .expected-stats.json) from the generator (./gen) with fixed seeds.
//   npm run fixtures            (= node packages/tools/dist/gen-fixtures.js [outdir])
// Regenerating must give byte-identical files (test/tools/gen/determinism.test.ts).
import * as path from 'node:path';
import { FIXTURES } from './gen/fixtures';
import { writeExpectations } from './gen/output';

export function generateFixtures(dir: string): string[] {
  const written: string[] = [];
  for (const f of FIXTURES) {
    const out = path.join(dir, f.file);
    const r = f.build({ out });
    writeExpectations(path.join(dir, f.name), r);
    written.push(out, path.join(dir, `${f.name}.expected.jsonl`), path.join(dir, `${f.name}.expected-stats.json`));
  }
  return written;
}

if (require.main === module) {
  const dir = process.argv[2] ?? path.join(__dirname, '..', '..', '..', 'fixtures');
  for (const f of generateFixtures(dir)) process.stdout.write(`${f}\n`);
}
