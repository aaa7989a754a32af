// Exit codes the service manager acts on (docs/operations.md): a live capture
// filter libpcap rejects is a configuration error (2: the unit does not
// restart it), an address in use is 4 with the cause on stderr and in the log.
import t from 'tap';
import { join } from 'node:path';
import { cliProcess, spawnDaemon, tmpDir } from '../e2e/harness';

t.test('a bad live capture filter exits 2', { skip: process.getuid?.() === 0 ? false : 'opening an interface needs root or CAP_NET_RAW' }, async (t) => {
  const dir = tmpDir(t);
  const d = await spawnDaemon(t, ['--db', join(dir, 'g.db'), '--listen', '127.0.0.1:0', '--interface', 'lo', '--filter', 'udp port ((']);
  t.same(await d.exited, { code: 2, signal: null }, 'exit 2: RestartPreventExitStatus=2, no restart loop');
  t.match(d.stderr.join(''), /gnpay: capture failed: bad capture filter: /);
});

t.test('an address in use exits 4, saying which listener and why', async (t) => {
  const dir = tmpDir(t);
  const d = await spawnDaemon(t, ['--db', join(dir, 'a.db'), '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0']);
  const r = cliProcess(['run', '--db', join(dir, 'b.db'), '--listen', '127.0.0.1:0', '--ops-listen', new URL(d.opsUrl!).host]);
  t.equal(r.code, 4);
  t.match(r.stderr, /^gnpay: listening on .*\ngnpay: cannot listen on 127\.0\.0\.1:\d+ \(operations, opsListen\): address already in use\n$|^gnpay: cannot listen on 127\.0\.0\.1:\d+ \(operations, opsListen\): address already in use\n$/);
  const fatal = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.level === 'fatal');
  t.match(fatal, { msg: 'start failed', err: { type: 'ListenError', code: 'EADDRINUSE', message: /address already in use/, stack: /ListenError/ } });
  d.child.kill('SIGTERM');
  await d.exited;
});
