// One daemon per database, by a lock the kernel releases with its process:
// gnpay as PID 1 of a PID namespace (a container) SIGKILLed and restarted the
// same way starts again; two daemons started at the same instant never both run.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { spawnDaemon, tmpDir, until } from './harness';

t.setTimeout(300000);

function canUnsharePid(): string[] | null {
  for (const wrap of [
    ['unshare', '--pid', '--fork'],
    ['unshare', '--user', '--map-root-user', '--pid', '--fork'],
  ]) {
    const r = spawnSync(wrap[0]!, [...wrap.slice(1), 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '1') return wrap;
  }
  return null;
}

/** The pid (in our namespace) of the process unshare forked: gnpay, PID 1 in its own namespace. */
function innerPid(unsharePid: number): number | null {
  try {
    const kids = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return kids.length ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

t.test('gnpay as PID 1 of a PID namespace, SIGKILLed: the next one (PID 1 too) starts', async (t) => {
  const wrap = canUnsharePid();
  if (!wrap) {
    t.skip('unshare --pid is not available here (needs root or user namespaces)', () => {});
    return;
  }
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const args = ['--db', db, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  for (let round = 0; round < 3; round++) {
    const d = await spawnDaemon(t, args, { wrap });
    t.equal(readFileSync(`${db}.pid`, 'utf8').trim(), '1', `round ${round}: gnpay is PID 1 in its namespace`);
    const health = await fetch(`${d.url}/healthz`);
    t.equal(health.status, 200);
    // a daemon outside the namespace is refused while it runs
    const other = await spawnDaemon(t, args, { waitForUrl: false });
    t.same(await other.exited, { code: 1, signal: null });
    t.match(other.stderr.join(''), /is in use by another gnpay run \(pid 1\); stop it first/);
    const pid = await until(() => innerPid(d.child.pid!), 5000, 'the namespaced process');
    process.kill(pid, 'SIGKILL');
    await d.exited;
  }
  const last = await spawnDaemon(t, args);
  last.child.kill('SIGTERM');
  t.same(await last.exited, { code: 0, signal: null }, 'and a plain start after all that');
});

t.test('two daemons started at the same instant: exactly one runs, every round', async (t) => {
  const dir = tmpDir(t);
  const rounds = 12;
  const outcomes: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const db = join(dir, `r${round % 3}.db`); // a fresh file, and files whose lock was held by a killed daemon
    const args = ['--db', db, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
    const [a, b] = await Promise.all([
      spawnDaemon(t, args, { waitForUrl: false }),
      spawnDaemon(t, args, { waitForUrl: false }),
    ]);
    const listening = (d: typeof a) => /gnpay: listening on/.test(d.stderr.join(''));
    const exited = new Map<typeof a, { code: number | null }>();
    void a.exited.then((e) => exited.set(a, e));
    void b.exited.then((e) => exited.set(b, e));
    await until(
      () => (listening(a) || exited.has(a)) && (listening(b) || exited.has(b)),
      60_000,
      'both starters decided',
    );
    const winners = [a, b].filter(listening);
    const losers = [a, b].filter((d) => !listening(d));
    outcomes.push(`${winners.length}/${losers.length}`);
    t.equal(winners.length, 1, `round ${round}: one daemon listens`);
    for (const l of losers) {
      t.same(await l.exited, { code: 1, signal: null });
      t.match(l.stderr.join(''), /is in use by another gnpay run/);
    }
    for (const w of winners) {
      w.child.kill(round % 2 ? 'SIGKILL' : 'SIGTERM');
      await w.exited;
    }
  }
  t.same(outcomes, Array(rounds).fill('1/1'));
});
