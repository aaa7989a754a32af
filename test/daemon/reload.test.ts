import t from 'tap';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { reloadConfig } from '../../src/daemon/reload';
import { createLogger } from '../../src/log';
import { tmpDir } from '../e2e/harness';

function setup(t: Parameters<typeof tmpDir>[0]) {
  const dir = tmpDir(t);
  const file = join(dir, 'c.json');
  const lines: Array<{ msg: string; keys?: string[] }> = [];
  const log = createLogger({
    level: 'info',
    redactPersonalData: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  const flags = { db: join(dir, 'g.db') };
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:0' }));
  return { file, flags, log, lines, running: loadConfig(file, flags) };
}

t.test('reloadable keys change, the carriers are reported as changed', async (t) => {
  const { file, flags, log, lines, running } = setup(t);
  writeFileSync(
    file,
    JSON.stringify({ listen: '127.0.0.1:0', carriers: ['header:X-Pay-Token'], log: { level: 'warn' } }),
  );
  const r = reloadConfig(running, file, flags, log);
  if (r instanceof Error) throw r;
  t.ok(r.carriersChanged);
  t.same(r.config.carriers, ['header:X-Pay-Token']);
  t.equal(log.level, 'warn', 'the log level follows');
  t.notOk(lines.some((l) => l.msg.startsWith('reload failed')));
});

t.test('a key that is not reloadable keeps its running value; the carriers did not change', async (t) => {
  const { file, flags, log, lines, running } = setup(t);
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1' }));
  const r = reloadConfig(running, file, flags, log);
  if (r instanceof Error) throw r;
  t.notOk(r.carriersChanged);
  t.equal(r.config.listen, '127.0.0.1:0');
  t.same(lines.find((l) => l.keys)?.keys, ['listen']);
});

t.test('an invalid file: an Error, nothing applied', async (t) => {
  const { file, flags, log, lines, running } = setup(t);
  writeFileSync(file, '{ nope');
  const r = reloadConfig(running, file, flags, log);
  t.type(r, Error);
  t.ok(lines.some((l) => l.msg === 'reload failed: keeping the running configuration'));
});
