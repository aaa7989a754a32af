// Regenerating the committed fixtures gives byte-identical files; the same
// seed gives the same bench bytes, another seed other bytes.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bench, FIXTURES } from '../../../packages/tools/src/gen';
import { generateFixtures } from '../../../packages/tools/src/gen-fixtures';

const committed = path.join(__dirname, '..', '..', '..', 'fixtures');

t.test('regenerated fixtures are byte-identical to the committed ones', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-fixtures-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = generateFixtures(dir);
  t.equal(files.length, FIXTURES.length * 3);
  for (const f of files) {
    const name = path.basename(f);
    const a = fs.readFileSync(f);
    const b = fs.readFileSync(path.join(committed, name));
    t.ok(a.equals(b), `${name} unchanged (regenerate with npm run fixtures and review the diff)`);
  }
});

t.test('every committed fixture is small', async (t) => {
  for (const f of FIXTURES) t.ok(fs.statSync(path.join(committed, f.file)).size < 50 * 1024, `${f.file} < 50 KB`);
});

t.test('in-memory and file output are the same bytes', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-fx-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of FIXTURES) {
    const mem = f.build({});
    const file = path.join(dir, f.file);
    const disk = f.build({ out: file });
    t.ok(mem.capture!.equals(fs.readFileSync(file)), f.name);
    t.same(mem.events, disk.events);
    t.same(mem.stats, disk.stats);
  }
});

t.test('bench: same seed same bytes, other seed other bytes', async (t) => {
  const a = bench({ packets: 3000, seed: 5 });
  const b = bench({ packets: 3000, seed: 5 });
  const c = bench({ packets: 3000, seed: 6 });
  t.ok(a.capture!.equals(b.capture!));
  t.same(a.events, b.events);
  t.notOk(a.capture!.equals(c.capture!));
});
