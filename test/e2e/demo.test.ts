// `gnpay demo` on the embedded defaults: the order ends paid, the webhooks arrive.
import t from 'tap';
import { rmSync } from 'node:fs';
import { cliProcess } from '../e2e/harness';
import { runDemo } from '../../src/cli/demo';

// real processes and servers on a shared 2-core machine: generous, bounded
t.setTimeout(180000);

t.test('gnpay demo (the CLI, a real process) prints the flow and ends paid', async (t) => {
  const r = cliProcess(['demo']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /order +ord_\w+ 199 EUR cents: pending/);
  t.match(r.stdout, /webhook +org\.gnpay\.order\.paid +signature verified/);
  t.match(r.stdout, /events +pending -> associated -> paid/);
  t.match(r.stdout, /ledger +balance 1000 -> 801 EUR cents/);
  t.match(r.stdout, /\nfinal state: paid\n/);
  const json = cliProcess(['demo', '--json']);
  t.equal(json.code, 0);
  const out = JSON.parse(json.stdout);
  t.equal(out.order.status, 'paid');
  t.same(out.transitions, ['pending', 'associated', 'paid']);
  t.same(out.webhooks.map((w: { type: string }) => w.type), ['org.gnpay.order.pending', 'org.gnpay.order.associated', 'org.gnpay.order.paid']);
  t.same(out.balance, { before: 1000, after: 801, currency: 'EUR' });
  t.equal(out.dir, null);
});

t.test('runDemo in-process; a stuck flow fails with a clear message before its deadline', async (t) => {
  const lines: string[] = [];
  const r = await runDemo({ say: (l) => lines.push(l), keep: true });
  t.equal(r.order.status, 'paid');
  t.ok(r.dir);
  rmSync(r.dir!, { recursive: true, force: true });
  t.ok(lines.some((l) => l.startsWith('capture')));
  const never = { async *[Symbol.asyncIterator]() {} };
  await t.rejects(runDemo({ timeoutMs: 300, openSource: () => never }), /demo: the order is pending and \d webhook\(s\) arrived before the deadline/);
});
