// The native (C++) unit tests, built and run by make (doctest), reported here
// one tap assertion per test case: plainly (g++ -O2) and, when clang is
// installed, under AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const ROOT = path.resolve(__dirname, '..', '..');
const NATIVE = path.join(ROOT, 'native');

function decodeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function hasClang(): boolean {
  return spawnSync('clang++', ['--version']).status === 0;
}

function runSuite(t: Tap.Test, target: 'test-bin' | 'asan-bin', binary: string, env: NodeJS.ProcessEnv): void {
  const build = spawnSync('make', ['-s', '-C', NATIVE, target], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!t.equal(build.status, 0, `make ${target} builds`)) {
    t.comment(build.stderr.slice(-4000));
    return;
  }
  const run = spawnSync(path.join(ROOT, 'build-native', binary), ['--reporters=junit', '--no-colors'], {
    cwd: NATIVE,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 << 20,
  });
  const xml = run.stdout;
  const cases = [...xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)];
  t.ok(cases.length > 0, `${binary} reported its test cases`);
  for (const c of cases) {
    const body = c[3] ?? '';
    const failed = /<failure|<error/.test(body);
    t.notOk(failed, decodeXml(c[1]), failed ? { diagnostic: true, detail: decodeXml(body).slice(0, 2000) } : {});
  }
  t.equal(run.status, 0, `${binary} exits 0${run.status ? ': ' + run.stderr.slice(-3000) : ''}`);
}

type Tap = typeof t;
declare namespace Tap {
  type Test = typeof t;
}

t.test('native unit tests (g++ -O2)', (t) => {
  runSuite(t, 'test-bin', 'unit_tests', {});
  t.end();
});

t.test('native unit tests under ASan + UBSan + LSan', { skip: hasClang() ? false : 'clang++ is not installed' }, (t) => {
  runSuite(t, 'asan-bin', 'unit_tests_asan', {
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  });
  t.end();
});
