// The payments benchmark runs (small) and reports its figures (no timing is asserted).
import t from 'tap';
import { runPaymentsBench } from '../../../packages/tools/src/bench/payments';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(180000);

t.test('runPaymentsBench', async (t) => {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (s: string) => lines.push(s) > 0;
  let r: Record<string, number>;
  try {
    r = await runPaymentsBench({ sightings: 300, batch: 64, latencySamples: 5, fullSync: false });
  } finally {
    process.stdout.write = write;
  }
  t.equal(r.sightings, 300);
  t.equal(r.feedEvents, 900, 'pending, identified, paid for each order');
  for (const k of [
    'sightingsPerSecond',
    'committedSightingsPerSecond',
    'feedEventsPerSecond',
    'latencyP50Ms',
    'latencyP99Ms',
  ])
    t.ok(r[k]! > 0, k);
  t.equal(r.latencySamples, 5);
  t.match(lines.join(''), /arrival -> paid visible at GET \/v1\/orders\/\{id\} +p50/);
  const quiet = await runPaymentsBench({ sightings: 10, print: false });
  t.equal(quiet.sightings, 10);
  t.equal(quiet.latencySamples, 300, 'the defaults');
});

t.test('runTokenBench: four kinds of lookups measured (no timing is asserted)', async (t) => {
  const { runTokenBench } = await import('../../../packages/tools/src/bench/tokens');
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  let r: Record<string, { p10: number; p50: number; p90: number }>;
  try {
    r = await runTokenBench({ orders: 200, rounds: 3, perRound: 20 });
  } finally {
    console.log = log;
  }
  t.same(Object.keys(r), ['existing', 'near (last char off)', 'near (first char off)', 'random']);
  for (const k of Object.keys(r)) t.ok(r[k]!.p10 > 0 && r[k]!.p10 <= r[k]!.p50 && r[k]!.p50 <= r[k]!.p90, k);
  t.match(lines.join('\n'), /found 160 = 160 existing lookups/, 'only the real tokens are found');
});
