// gnpay run (a real process) under a fake systemd: READY=1 once serving, STATUS,
// watchdog, STOPPING=1; an API-only daemon is READY but says it is not ready.
import t from 'tap';
import { join } from 'node:path';
import { ROOT, spawnDaemon, tmpDir } from '../e2e/harness';
import { notifySocket } from '../helpers/notify-socket';

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
