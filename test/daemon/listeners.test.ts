import t from 'tap';
import fastify from 'fastify';
import { ListenError } from '../../src/cli/common';
import { listenFastify, Listeners, type Listener, type ListenerDeps } from '../../src/daemon/listeners';
import { testContext } from './context';

function fake(name: string, events: string[]): Listener {
  return {
    url: `http://${name}`,
    close: async () => void events.push(`close ${name}`),
    cutOff: () => void events.push(`cut ${name}`),
  };
}

t.test('opened in order when enabled, closed in the same order; cut off on demand', async (t) => {
  const events: string[] = [];
  const ls = new Listeners([
    { name: 'sp', enabled: () => true, open: async () => (events.push('open sp'), fake('sp', events)) },
    { name: 'ops', enabled: () => false, open: async () => (events.push('open ops'), fake('ops', events)) },
    { name: 'pay', enabled: () => true, open: async () => (events.push('open pay'), fake('pay', events)) },
  ]);
  const ctx = testContext(t);
  await ls.start({ ctx } as unknown as ListenerDeps);
  t.equal(ls.url('sp'), 'http://sp');
  t.equal(ls.url('ops'), null, 'not configured');
  t.equal(ls.url('pay'), 'http://pay');
  ls.cutOff();
  await ls.close();
  t.same(events, ['open sp', 'open pay', 'cut sp', 'cut pay', 'close sp', 'close pay']);
});

t.test('a listener that fails to open: the ones before it are left to close()', async (t) => {
  const events: string[] = [];
  const ls = new Listeners([
    { name: 'sp', enabled: () => true, open: async () => fake('sp', events) },
    { name: 'ops', enabled: () => true, open: async () => Promise.reject(new Error('in use')) },
  ]);
  await t.rejects(ls.start({ ctx: testContext(t) } as unknown as ListenerDeps), /in use/);
  t.equal(ls.url('sp'), 'http://sp');
  await ls.close();
  t.same(events, ['close sp']);
});

t.test('the real listeners: SP API, operations and (plain HTTP) pay page', async (t) => {
  const ctx = testContext(t, { opsListen: '127.0.0.1:0', pay: { listen: '127.0.0.1:0', insecureHttp: true } });
  const ls = new Listeners();
  await ls.start({
    ctx,
    version: '1.2.3',
    ready: () => true,
    readiness: () => ({ ready: true, reason: null }),
    onStorageError: () => {},
    onConfirmed: () => {},
    onChange: () => {},
    refundsSupported: () => true,
  });
  for (const name of ['sp', 'ops', 'pay'] as const) t.match(ls.url(name), /^http:\/\/127\.0\.0\.1:\d+$/, name);
  t.equal((await fetch(`${ls.url('ops')}/healthz`)).status, 200);
  t.equal((await fetch(`${ls.url('sp')}/readyz`)).status, 200);
  t.ok(ctx.logs.some((l) => String(l.msg).startsWith('the pay page is served over plain HTTP')));
  await ls.close();
});

t.test('an address in use: a ListenError naming the listener', async (t) => {
  const first = fastify();
  const l = await listenFastify(first, 'first', '127.0.0.1:0');
  const port = new URL(l.url).port;
  const err = await listenFastify(fastify(), 'SP API, listen', `127.0.0.1:${port}`).catch((e: unknown) => e);
  t.type(err, ListenError);
  t.match((err as Error).message, /SP API, listen/);
  await l.close();
});
