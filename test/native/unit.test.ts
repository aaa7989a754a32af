// The native (C++) unit tests, built by make (g++ -O2, incremental) and run
// with doctest, reported here one tap assertion per test case. The same tests
// under ASan + UBSan + LSan are in unit-asan.slow.test.ts (full suite).
import t from 'tap';
import { runNativeSuite } from '../helpers/native-suite';

t.test('native unit tests (g++ -O2)', (t) => {
  runNativeSuite(t, 'test-bin', 'unit_tests', {});
  t.end();
});
