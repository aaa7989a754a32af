// Two suites: `npm test` (the fast loop) runs every test file except the
// slow ones, named *.slow.test.ts (sanitizer builds, fuzzing, live capture on
// veths, the Gn lab with a browser, tshark over large captures, crash loops);
// `npm run test:full` (what .ci/run runs) runs them all. In the fast suite
// each slow file is reported here as skipped, by name, so a pass never hides
// what did not run.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const TEST = __dirname;
const full = process.env.GNPAY_TEST_FULL === '1';

function slowFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return slowFiles(p);
    return e.name.endsWith('.slow.test.ts') ? [path.relative(path.dirname(TEST), p)] : [];
  });
}

const slow = slowFiles(TEST).sort();
t.ok(slow.length > 0, `${slow.length} slow test files`);
for (const f of slow)
  t.test(f, { skip: full ? false : 'slow: runs in the full suite (npm run test:full, .ci/run)' }, async (t) =>
    t.pass('runs as its own file in the full suite'),
  );
