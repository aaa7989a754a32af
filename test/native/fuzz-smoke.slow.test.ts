// A short fuzz run (60 s by default; GNPAY_FUZZ_SECONDS overrides) of the
// libFuzzer target over the whole decode path, under ASan + UBSan, seeded from
// our fixtures and the public captures: every `npm run test:full` (and so every
// CI run) fuzzes a little. A crash fails the test and leaves the input in
// native/fuzz/regressions/ for the unit tests to replay. Needs clang.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { fuzzStats } from '../../packages/tools/src/fuzz';

const ROOT = path.resolve(__dirname, '..', '..');
const seconds = Number(process.env.GNPAY_FUZZ_SECONDS ?? 60);
const clang = spawnSync('clang++', ['--version']).status === 0;

t.test(`fuzz smoke run (${seconds} s)`, { skip: clang ? false : 'clang++ is not installed' }, (t) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'packages', 'tools', 'dist', 'fuzz.js'), String(seconds)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const summary = /fuzz: (\S+) executions, corpus (\d+) inputs[^,]*, (\d+) crash/.exec(r.stdout);
  t.ok(summary, `the runner reported its figures${summary ? '' : ': ' + (r.stdout + r.stderr).slice(-3000)}`);
  if (summary) {
    t.ok(Number(summary[1]) > 0, `${summary[1]} executions`);
    t.equal(Number(summary[3]), 0, 'no crash, leak or sanitizer report');
  }
  t.equal(r.status, 0, 'the fuzzer exited cleanly');
  t.end();
});

t.test('the runner reads its figures from either libFuzzer output', async (t) => {
  t.same(fuzzStats('#2097152\tpulse  cov: 1 ft: 2 corp: 3/4b\nstat::number_of_executed_units: 123456\nstat::peak_rss_mb: 90\n'), { execs: 123456, merged: null, cov: null });
  const fork = '#111582: cov: 16318 ft: 15105 corp: 2451 exec/s 4043 oom/timeout/crash: 0/0/0 time: 27s job: 7 dft_time: 0\n' +
    '  NEW_FUNC: 0x1 in f()\n#9479453: cov: 16837 ft: 15400 corp: 2612 exec/s 4504 oom/timeout/crash: 0/0/0 time: 1203s job: 67 dft_time: 0\nINFO: exiting: 0 time: 1203s\n';
  t.same(fuzzStats(fork), { execs: 9479453, merged: 2612, cov: 16837 }, '--jobs: the last job line');
  t.same(fuzzStats('INFO: nothing\n'), { execs: null, merged: null, cov: null });
});
