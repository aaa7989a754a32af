import t from 'tap';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { DatabaseLockedError, lockDatabase } from '../../src/store';
import { parsePayUrlTemplate, renderPayUrl } from '../../src/store/payurl';
import { eventView, maskForPage, maskMsisdn, orderView } from '../../src/store/views';
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
  const holder = spawn(process.execPath, ['-e', `require(${JSON.stringify(join(ROOT, 'dist', 'store', 'lock.js'))}).lockDatabase(${JSON.stringify(db)}); console.log('locked'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] });
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

t.test('pay URL templates and their carriers', async (t) => {
  t.same(parsePayUrlTemplate('http://pay.example.net/pay?pay_token={token}'), { carrier: 'query:pay_token' });
  t.same(parsePayUrlTemplate('http://pay.example.net/pay?a=1&t%5Fk={token}&b=2'), { carrier: 'query:t_k' });
  t.same(parsePayUrlTemplate('https://{token}.Pay.Example.net/'), { carrier: 'host:pay.example.net' });
  t.same(parsePayUrlTemplate('https://{token}.pay.example.net:8443/x'), { carrier: 'host:pay.example.net' });
  t.same(parsePayUrlTemplate('http://pay.example.net/p/q/{token}/ok'), { carrier: 'path:/p/q/' });
  t.same(parsePayUrlTemplate('http://pay.example.net/p/{token}'), { carrier: 'path:/p/' });
  for (const bad of ['http://x/{token}/{token}', 'http://x/', 'ftp://x/{token}', '{token}', 'http://a{token}.x/', 'http://x/{token}', 'http://x/a{token}', 'http://x/?a=b{token}', 'http://x/#{token}']) {
    t.throws(() => parsePayUrlTemplate(bad), bad);
  }
  t.equal(renderPayUrl('https://{token}.p.net/', 'abc'), 'https://abc.p.net/');
});

t.test('MSISDN masking and views', async (t) => {
  t.equal(maskMsisdn('4915112345689'), '+49151******89');
  t.equal(maskMsisdn('491511234567'), '+49151*****67');
  t.equal(maskMsisdn('1234567'), '+*****67');
  t.equal(maskMsisdn('1'), '+1');
  const snap = {
    id: 'ord_x', sp_id: 'sp_x', token: 't', pay_url: 'u', amount: 1, currency: 'EUR', reference: 'r', description: '',
    status: 'paid' as const, reason: null, msisdn: '491511234567', created_at: 0, updated_at: 1000, expires_at: 2000,
    identified_at: 400, confirmed_at: 500, completed_at: 1000, return_url: null,
  };
  t.equal(orderView(snap, []).msisdn, '+49151*****67');
  t.match(orderView(snap, []), { identifiedAt: '1970-01-01T00:00:00.400Z', confirmedAt: '1970-01-01T00:00:00.500Z', returnUrl: null });
  // a snapshot written before the consent states (one associated_at: identified and confirmed at once)
  const { identified_at: _i, confirmed_at: _c, return_url: _r, ...old } = snap;
  t.match(orderView({ ...old, associated_at: 500 } as never, []), { identifiedAt: '1970-01-01T00:00:00.500Z', confirmedAt: '1970-01-01T00:00:00.500Z', returnUrl: null });
  t.equal(maskForPage('491701234567'), '+49 170 ***** 67');
  t.equal(maskForPage('12345'), '+*** 45');
  t.equal(orderView(snap, ['msisdn:read']).msisdn, '+491511234567');
  t.equal(orderView({ ...snap, msisdn: null, confirmed_at: null, completed_at: null }, ['msisdn:read']).msisdn, null);
  const ev = eventView({ seq: 7, id: 'e', sp_id: 'sp_x', order_id: 'ord_x', status: 'paid', previous_status: 'identified', time: 1000, snapshot: JSON.stringify(snap) }, [], '7');
  t.match(ev, { specversion: '1.0', type: 'org.gnpay.order.paid', subject: 'ord_x', cursor: '7', time: '1970-01-01T00:00:01.000Z', data: { id: 'ord_x', msisdn: '+49151*****67' } });
});
