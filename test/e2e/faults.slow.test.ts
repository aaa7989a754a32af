// Money under faults (issue 12, item 1): a payment platform idempotent per key
// with 30 % HTTP 500, 10 % hangs past the timeout (half charged first), 10 %
// charge-then-drop-the-connection and slow answers, and `gnpay run` SIGKILLed
// 20 times while replaying 1,000 orders. 0 orders failed or declined that were
// charged, 0 paid that were not, 0 double charges, every order final or
// visibly in doubt, and the ones in doubt settled once the platform answers.
// The same machinery, bigger, is `npm run bench -- faults`.
import t from 'tap';
import { runFaultLoop } from '../../packages/tools/src/bench/faults';
import { CLI, childEnv, ensureBuilt, tmpDir } from './harness';

t.setTimeout(900000);

for (const statusCall of [false, true]) {
  t.test(`1,000 orders, 20 SIGKILLs, ${statusCall ? 'with' : 'without'} the platform's status call`, async (t) => {
    ensureBuilt();
    const r = await runFaultLoop({
      orders: 1000,
      kills: 20,
      cli: CLI,
      statusCall,
      seed: statusCall ? 7 : 42,
      env: childEnv(),
      dir: tmpDir(t),
      progress: (l) => t.comment(l),
    });
    t.comment(JSON.stringify(r));
    const p = r.platform;
    t.ok(
      p.e500 > 0 && p.hangCharged > 0 && p.hangUncharged > 0 && p.chargeThenDrop > 0 && p.slow > 0,
      'every kind of fault happened',
    );
    t.equal(p.badSignatures, 0, 'every charge was signed');
    t.ok(r.kills >= 20 && r.orders >= 1000, `${r.orders} orders, ${r.kills} kills`);
    t.ok(r.everInDoubt > 0, `${r.everInDoubt} orders were in doubt at some point (the faults mattered)`);
    t.equal(r.failedButCharged, 0, '0 orders failed but charged');
    t.equal(r.declinedButCharged, 0, '0 orders declined but charged');
    t.equal(r.paidNotCharged, 0, '0 orders paid but not charged');
    t.equal(r.doubleCharges, 0, '0 double charges');
    t.equal(r.strayCharges, 0, 'every charge was for an order, its subscriber and its amount');
    const afterLoop = Object.entries(r.afterLoop)
      .filter(([s]) => !['paid', 'declined', 'failed'].includes(s))
      .reduce((n, [, v]) => n + v, 0);
    t.equal(
      afterLoop,
      r.inDoubtAfterLoop,
      `after the loop every order is final or visibly in doubt (${r.inDoubtAfterLoop} in doubt, listed by gnpay payments doubt)`,
    );
    t.equal(r.inDoubtAtEnd, 0, 'the ones in doubt were settled once the platform answered');
    t.same(
      Object.keys(r.final).sort(),
      Object.keys(r.final)
        .filter((s) => ['paid', 'declined'].includes(s))
        .sort(),
      `all final: ${JSON.stringify(r.final)}`,
    );
    t.equal((r.final.paid ?? 0) + (r.final.declined ?? 0), 1000);
    t.equal(r.final.paid, p.charged, 'paid orders = charged keys');
  });
}
