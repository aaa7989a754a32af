// sd_notify (src/ops/sd-notify.ts): the notifier's fields and watchdog, the addon's datagrams.
import t from 'tap';
import { join } from 'node:path';
import { SystemdNotifier } from '../../src/ops/sd-notify';
import { sdNotify } from '../../src/native';
import { tmpDir } from '../e2e/harness';
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
