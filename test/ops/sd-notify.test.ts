// systemd's Type=notify protocol: READY=1 with a STATUS, watchdog keep-alives,
// STOPPING=1, sent by the addon's sd_notify to a NOTIFY_SOCKET this test
// listens on (a path and an abstract name), and nothing without one.
import t from 'tap';
import { join } from 'node:path';
import { SystemdNotifier } from '../../src/ops/sd-notify';
import { sdNotify } from '../../src/native';
import { ROOT, spawnDaemon, tmpDir } from '../e2e/harness';
import { notifySocket } from '../helpers/notify-socket';

t.test('SystemdNotifier: nothing without NOTIFY_SOCKET; fields, watchdog at half its interval', async (t) => {
  const none = new SystemdNotifier({ env: {}, send: () => t.fail('never sent') });
  t.equal(none.enabled, false);
  t.equal(none.ready('x'), false);
  none.startWatchdog(() => true);

  const sent: string[] = [];
  const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '200000' }, send: (_p, s) => sent.push(s) });
  t.equal(n.watchdogMs, 200);
  t.ok(n.ready('serving\nhere'));
  t.equal(sent[0], `READY=1\nSTATUS=serving here\nMAINPID=${process.pid}`, 'one datagram, newlines in values flattened');
  let healthy = true;
  n.startWatchdog(() => healthy);
  await new Promise((r) => setTimeout(r, 350));
  const pings = sent.filter((s) => s === 'WATCHDOG=1').length;
  t.ok(pings >= 3, `pinged at half the interval (${pings})`);
  healthy = false;
  const before = sent.length;
  await new Promise((r) => setTimeout(r, 250));
  t.equal(sent.length, before, 'an unhealthy daemon stops pinging: systemd restarts it');
  t.ok(n.stopping('bye'));
  t.equal(sent.at(-1), 'STOPPING=1\nSTATUS=bye');
  t.match(sent.length, before + 1);

  const other = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, send: () => {} });
  t.equal(other.watchdogMs, null, "WATCHDOG_PID of another process: not ours to ping");

  const errors: Error[] = [];
  const failing = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, send: () => { throw new Error('ECONNREFUSED'); }, onError: (e) => errors.push(e) });
  t.equal(failing.status('a'), false);
  t.equal(failing.status('b'), false);
  t.equal(errors.length, 1, 'a failure is told once');
});

t.test('the addon sends datagrams to a path and to an abstract socket; errors are thrown', async (t) => {
  const dir = tmpDir(t);
  for (const address of [join(dir, 'notify.sock'), `@gnpay-test-${process.pid}`]) {
    const sock = await notifySocket(t, address);
    sdNotify(address, 'READY=1\nSTATUS=hello');
    t.equal(await sock.waitFor(() => true), 'READY=1\nSTATUS=hello', address);
    sock.close();
  }
  t.throws(() => sdNotify(join(dir, 'nobody.sock'), 'READY=1'), /sendto .*nobody\.sock: No such file or directory/);
  t.throws(() => sdNotify('relative', 'READY=1'), /absolute path or an abstract name/);
  t.throws(() => (sdNotify as unknown as (a: number) => void)(1), TypeError);
});

t.test('gnpay run under a fake systemd: READY=1 once serving, STATUS, watchdog, STOPPING=1', async (t) => {
  const dir = tmpDir(t);
  const sock = await notifySocket(t, join(dir, 'notify.sock'));
  const d = await spawnDaemon(t, ['--db', join(dir, 'g.db'), '--listen', '127.0.0.1:0', '--read', join(ROOT, 'fixtures', 'gn-basic.pcap')], {
    env: { NOTIFY_SOCKET: sock.address, WATCHDOG_USEC: '300000' },
  });
  const ready = await sock.waitFor((m) => m.startsWith('READY=1'));
  t.match(ready, new RegExp(`^READY=1\\nSTATUS=serving ${d.url.replace(/\./g, '\\.')}.*\\nMAINPID=${d.child.pid}$`));
  await sock.waitFor((m) => m === 'WATCHDOG=1');
  await sock.waitFor((m) => m === 'WATCHDOG=1' && sock.messages.filter((x) => x === 'WATCHDOG=1').length >= 3);
  t.pass('keep-alives while it runs');
  d.child.kill('SIGHUP');
  await sock.waitFor((m) => m.startsWith('RELOADING=1\nMONOTONIC_USEC='));
  await sock.waitFor((m) => m.startsWith('READY=1\nSTATUS=serving') && m.includes('reloaded'));
  t.pass('a reload is announced and ends READY again');
  d.child.kill('SIGTERM');
  t.equal(await sock.waitFor((m) => m.startsWith('STOPPING=1')), 'STOPPING=1\nSTATUS=stopping: SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});

t.test('an API-only daemon is READY for systemd but says it is not ready', async (t) => {
  const dir = tmpDir(t);
  const sock = await notifySocket(t, `@gnpay-test-api-${process.pid}`);
  const d = await spawnDaemon(t, ['--db', join(dir, 'g.db'), '--listen', '127.0.0.1:0'], { env: { NOTIFY_SOCKET: sock.address } });
  t.match(await sock.waitFor((m) => m.startsWith('READY=1')), /STATUS=serving \S+, not ready: no capture source/);
  const r = await fetch(`${d.url}/readyz`);
  t.equal(r.status, 503);
  t.match(d.logs.find((l) => l.msg === 'not ready: /readyz answers 503'), { level: 'warn', reason: /no capture source/ });
  d.child.kill('SIGTERM');
  await d.exited;
  t.notOk(sock.messages.some((m) => m.startsWith('WATCHDOG')), 'no watchdog pings unless systemd asks for them');
});
