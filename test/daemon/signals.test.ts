import t from 'tap';
import { EventEmitter } from 'node:events';
import { installSignals } from '../../src/daemon/signals';

t.test('SIGTERM and SIGINT stop, SIGHUP reloads; the handlers are removed after', async (t) => {
  const proc = new EventEmitter();
  const calls: string[] = [];
  const uninstall = installSignals(
    { stop: (sig) => calls.push(`stop ${sig}`), reload: () => calls.push('reload') },
    proc as unknown as NodeJS.Process,
  );
  proc.emit('SIGTERM');
  proc.emit('SIGINT');
  proc.emit('SIGHUP');
  t.same(calls, ['stop SIGTERM', 'stop SIGINT', 'reload']);
  t.equal(proc.listenerCount('SIGHUP'), 1);
  uninstall();
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) t.equal(proc.listenerCount(sig), 0, `${sig} handler removed`);
});
