// What the benchmarks' helpers count: the CPU time of a child process (every
// thread), which `npm run bench` prints beside each wall time.
import t from 'tap';
import { childrenCpuSeconds, run } from '../../../packages/tools/src/bench/util';

// a child that spins until it has used `ms` of CPU (its own count), then exits
const spin = (ms: number) => [
  '-e',
  `const c = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; while (c() < ${ms});`,
];

t.test('childrenCpuSeconds counts what a waited-for child used', async (t) => {
  const before = childrenCpuSeconds();
  t.ok(Number.isFinite(before) && before >= 0, `a count from /proc/self/stat (${before})`);
  const r = run(process.execPath, spin(300));
  t.equal(r.status, 0);
  const used = childrenCpuSeconds() - before;
  // at least the 300 ms the child counted for itself (within one 10 ms clock tick), plus its start
  t.ok(used >= 0.29, `the child's 300 ms of CPU are counted (${used.toFixed(2)} s)`);
  t.ok(used < 30, 'and nothing else');
  t.ok(r.cpuSeconds >= 0.29 && r.cpuSeconds <= used + 0.011, `run() reports it (${r.cpuSeconds.toFixed(2)} s)`);
});

t.test('a child that sleeps uses little CPU, and its exit status is kept', async (t) => {
  const r = run(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 300)']);
  t.equal(r.status, 3);
  t.ok(r.seconds >= 0.3, 'it ran its 300 ms');
  // Node's start and exit only: far less CPU than wall time
  t.ok(r.cpuSeconds < r.seconds, `sleeping is not CPU (${r.cpuSeconds.toFixed(2)} s of ${r.seconds.toFixed(2)} s)`);
});
