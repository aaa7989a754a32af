// The database lock (src/store/lock.ts): one holder, released with its holder.
import t from 'tap';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { DatabaseLockedError, lockDatabase } from '../../src/store';
import { ensureBuilt, ROOT, tmpDir } from '../e2e/harness';

t.test('lock: one holder, released with its holder, an old PID file replaced', async (t) => {
  const db = join(tmpDir(t), 'x.db');
  const lock = lockDatabase(db);
  t.equal(readFileSync(`${db}.pid`, 'utf8'), `${process.pid}\n`, 'who holds it, for the message');
  t.throws(() => lockDatabase(db), DatabaseLockedError, 'a second holder in this process is refused');
  t.throws(() => lockDatabase(db), new RegExp(`is in use by another gnpay run \\(pid ${process.pid}\\)`));
  lock.release();
  lock.release();
  t.notOk(existsSync(`${db}.pid`));
  // another process holds it: refused; once that process is SIGKILLed, the kernel has released it
  ensureBuilt();
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(join(ROOT, 'dist', 'store', 'lock.js'))}).lockDatabase(${JSON.stringify(db)}); console.log('locked'); setInterval(() => {}, 1000)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise((r) => holder.stdout.once('data', r));
  t.throws(() => lockDatabase(db), new RegExp(`\\(pid ${holder.pid}\\)`), 'held by the other process');
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const again = lockDatabase(db);
  t.ok(again.path.endsWith('x.db.lock'), 'taken once its holder died, whatever its pid file says');
  again.release();
  // the PID file of an older gnpay: honoured while its process lives, replaced after
  const old = join(tmpDir(t), 'old.db');
  const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  t.teardown(() => sleeper.kill('SIGKILL'));
  writeFileSync(`${old}.lock`, `${sleeper.pid}\n`);
  t.throws(() => lockDatabase(old), new RegExp(`\\(pid ${sleeper.pid}\\)`));
  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper.once('exit', r));
  const taken = lockDatabase(old);
  t.ok(existsSync(`${old}.lock`));
  taken.release();
  t.throws(() => lockDatabase(join(tmpDir(t), 'no', 'such', 'dir.db')), /directory does not exist/);
});

// Two processes that call lockDatabase at the same instant (each spins to a
// shared start time) both take SHARED before either escalates: the
// escalation order in lockDatabase must give exactly one of them the lock.
// The holder keeps it until both have answered, so a starter that comes late
// on a loaded machine still finds it held.
t.test('lock: two processes at the same instant, exactly one holds it, every round', async (t) => {
  ensureBuilt();
  const dir = tmpDir(t);
  const lockJs = JSON.stringify(join(ROOT, 'dist', 'store', 'lock.js'));
  const starter = (db: string, at: number) => {
    const c = spawn(
      process.execPath,
      [
        '-e',
        `const { lockDatabase } = require(${lockJs});
         while (Date.now() < ${at}) {}
         let held = null;
         try { held = lockDatabase(${JSON.stringify(db)}); process.stdout.write('held'); }
         catch (e) { process.stdout.write(e.name); }
         process.stdin.resume();
         process.stdin.on('end', () => { held?.release(); process.exit(0); });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    t.teardown(() => void c.kill('SIGKILL'));
    const answer = new Promise<string>((resolve) => {
      let out = '';
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        resolve(out);
      });
      c.once('exit', () => resolve(out || 'exited'));
    });
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    return { answer, done: () => (c.stdin.end(), exited) };
  };
  const outcomes: string[] = [];
  for (let round = 0; round < 16; round++) {
    const db = join(dir, `r${round % 4}.db`); // new files and files held before
    const at = Date.now() + 500; // both are loaded and spinning by then (unless the machine is slow)
    const both = [starter(db, at), starter(db, at)];
    const results = await Promise.all(both.map((s) => s.answer));
    await Promise.all(both.map((s) => s.done()));
    outcomes.push(results.sort().join('/'));
  }
  t.same(
    outcomes,
    outcomes.map(() => 'DatabaseLockedError/held'),
    'one holds it and the other is refused with the lock error, in each round',
  );
});
