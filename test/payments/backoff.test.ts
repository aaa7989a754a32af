// Retry back-off of the payment worker (src/payments/backoff.ts).
import t from 'tap';
import { backoffMs } from '../../src/payments/backoff';

t.test('backoff: exponential, jittered, bounded', async (t) => {
  const o = { baseMs: 100, maxMs: 1000 };
  t.same(
    [1, 2, 3, 4, 5, 50].map((n) => backoffMs(n, o, () => 0)),
    [50, 100, 200, 400, 500, 500],
  );
  t.same(
    [1, 2, 3, 4, 5, 50].map((n) => backoffMs(n, o, () => 1)),
    [100, 200, 400, 800, 1000, 1000],
  );
  t.equal(
    backoffMs(0, o, () => 1),
    100,
  );
  const v = backoffMs(3, o);
  t.ok(v >= 200 && v <= 400);
});
