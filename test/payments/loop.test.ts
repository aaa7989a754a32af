// The work loop shared by the payment, webhook and sink workers (src/payments/loop.ts).
import t from 'tap';
import { WorkLoop } from '../../src/payments/loop';
import { until } from '../e2e/harness';

t.test('WorkLoop: an error while leasing is reported and the loop goes on', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const handled: number[] = [];
  const loop = new WorkLoop<number>({
    concurrency: 2,
    pollMs: 10,
    lease: () => {
      calls++;
      if (calls === 1) throw new Error('database is locked');
      return calls === 2 ? [1, 2] : [];
    },
    handle: async (n) => {
      handled.push(n);
      if (n === 2) throw new Error('handler failed');
    },
    nextDueAt: () => null,
    onError: (e) => errors.push(e),
  });
  loop.start();
  await until(() => handled.length === 2 && errors.length === 2);
  t.ok(await loop.stop(100));
  t.same(
    errors.map((e) => (e as Error).message),
    ['database is locked', 'handler failed'],
  );
});
