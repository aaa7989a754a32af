// A short fuzz run (60 s by default; GNPAY_FUZZ_SECONDS overrides) of the
// libFuzzer target over the whole decode path, under ASan + UBSan, seeded from
// our fixtures and the public captures: every `npm test` (and so every CI run)
// fuzzes a little. A crash fails the test and leaves the input in
// native/fuzz/regressions/ for the unit tests to replay. Needs clang.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const ROOT = path.resolve(__dirname, '..', '..');
const seconds = Number(process.env.GNPAY_FUZZ_SECONDS ?? 60);
const clang = spawnSync('clang++', ['--version']).status === 0;

t.test(`fuzz smoke run (${seconds} s)`, { skip: clang ? false : 'clang++ is not installed' }, (t) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'tools', 'fuzz.js'), String(seconds)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const summary = /fuzz: (\S+) executions, corpus (\d+) inputs, (\d+) crash/.exec(r.stdout);
  t.ok(summary, `the runner reported its figures${summary ? '' : ': ' + (r.stdout + r.stderr).slice(-3000)}`);
  if (summary) {
    t.ok(Number(summary[1]) > 0, `${summary[1]} executions`);
    t.equal(Number(summary[3]), 0, 'no crash, leak or sanitizer report');
  }
  t.equal(r.status, 0, 'the fuzzer exited cleanly');
  t.end();
});
