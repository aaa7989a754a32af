// Golden test: `gnpay decode --jsonl` on every capture our generator made
// (fixtures/, see fixtures/README.md for what is odd about each one) must print
// exactly the events the generator predicted, and the stats it could predict.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { FIXTURES, gnpayHere } from '../helpers/cli';

const captures = fs
  .readdirSync(FIXTURES)
  .filter((f) => /\.(pcap|pcapng)$/.test(f))
  .sort();

function subsetMismatch(expected: unknown, actual: unknown, at: string, out: string[]): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    for (const [k, v] of Object.entries(expected as Record<string, unknown>)) {
      const a = actual && typeof actual === 'object' ? (actual as Record<string, unknown>)[k] : undefined;
      if (typeof v === 'number' && a === undefined) {
        if (v !== 0) out.push(`${at}.${k}: expected ${v}, missing`);
      } else subsetMismatch(v, a, `${at}.${k}`, out);
    }
  } else if (expected !== actual)
    out.push(`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

t.ok(captures.length >= 8, `${captures.length} generated captures`);

for (const cap of captures) {
  const base = cap.replace(/\.(pcap|pcapng)$/, '');
  const expectedEvents = fs
    .readFileSync(path.join(FIXTURES, `${base}.expected.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const expectedStats = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${base}.expected-stats.json`), 'utf8'));

  t.test(cap, async (t) => {
    const args = ['decode', path.join(FIXTURES, cap), '--jsonl'];
    for (const c of expectedStats.carriers as string[]) args.push('--carrier', c);
    const r = await gnpayHere(args);
    const lines = r.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    const stats = lines.pop();
    t.equal(stats?.type, 'stats', 'the last line is the stats object');

    // every event names its capture file as given; the predictions leave it out
    for (const e of lines) {
      if (e.file !== path.join(FIXTURES, cap)) {
        t.equal(e.file, path.join(FIXTURES, cap), `packet ${e.packet}: file`);
        break;
      }
      delete e.file;
    }
    // events: same objects, same order (field order is part of the contract too)
    t.equal(lines.length, expectedEvents.length, 'as many events as predicted');
    for (let i = 0; i < Math.max(lines.length, expectedEvents.length); i++) {
      t.same(lines[i], expectedEvents[i], `event ${i + 1}`);
      if (lines[i] && expectedEvents[i])
        t.same(Object.keys(lines[i]), Object.keys(expectedEvents[i]), `event ${i + 1}: key order`);
    }

    // stats: every counter the generator could predict
    const { carriers: _c, anomaliesNonZero, corruptAt, ...predicted } = expectedStats;
    const mismatches: string[] = [];
    subsetMismatch(predicted, stats, 'stats', mismatches);
    t.same(mismatches, [], 'predicted counters');
    for (const a of (anomaliesNonZero ?? []) as (string | string[])[]) {
      const names = Array.isArray(a) ? a : [a];
      t.ok(
        names.some((n) => (stats.anomalies?.[n] ?? 0) > 0),
        `anomaly ${names.join(' | ')} counted`,
      );
    }

    if (corruptAt) {
      t.equal(r.status, 3, 'exit 3 on a corrupt capture');
      t.match(r.stderr, `file offset ${corruptAt.offset}`, 'says the file offset of the damage');
      t.match(r.stderr, `packet ${corruptAt.packet}`, 'says the packet index of the damage');
    } else {
      t.equal(r.status, 0, 'exit 0');
      t.equal(r.stderr, '', 'nothing on stderr');
    }
  });
}
