// gnpay demo in-process (runDemo): the order ends paid; a flow that never binds fails clearly.
import t from 'tap';
import { rmSync } from 'node:fs';
import { runDemo } from '../../src/cli/demo';

t.setTimeout(180000);

t.test('runDemo in-process; a stuck flow fails with a clear message before its deadline', async (t) => {
  const lines: string[] = [];
  const r = await runDemo({ say: (l) => lines.push(l), keep: true });
  t.equal(r.order.status, 'paid');
  t.ok(r.dir);
  rmSync(r.dir!, { recursive: true, force: true });
  t.ok(lines.some((l) => l.startsWith('capture')));
  const never = { async *[Symbol.asyncIterator]() {} };
  // a probe that sees nothing: the page never binds, nothing is confirmed, the demo says so before its deadline
  await t.rejects(
    runDemo({ timeoutMs: 300, openSource: () => never }),
    /demo: the phone's connection was not bound \(the probe reported no ClientHello of it\): the page says "Open this link on mobile data"/,
  );
});
