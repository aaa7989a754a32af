// The native unit tests (and with them every fuzz regression input) under
// AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer (clang).
import t from 'tap';
import { hasClang, runNativeSuite } from '../helpers/native-suite';

t.test('native unit tests under ASan + UBSan + LSan', { skip: hasClang() ? false : 'clang++ is not installed' }, (t) => {
  runNativeSuite(t, 'asan-bin', 'unit_tests_asan', {
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  });
  t.end();
});
