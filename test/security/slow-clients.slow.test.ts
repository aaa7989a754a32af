// Slow and hostile clients against every listener (SP API, operations): a
// request head or body trickled byte by byte, a connection kept idle, more
// connections than the listener holds. Each is cut off in bounded time, the
// other listener keeps answering, and under a low descriptor limit the
// daemon keeps its descriptors for the database and the webhooks.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { Daemon } from '../../src/pipeline/daemon';
import { connectionCap, openFileLimit } from '../../src/api/listener-limits';
import { cli, httpServer, spawnDaemon, tmpDir, until } from '../e2e/harness';

t.setTimeout(240000);

const silent = createLogger({ level: 'silent', redactPersonalData: true });

interface Conn {
  socket: Socket;
  data: string;
  closed: boolean;
  stop(): void;
}

/** A raw connection that sends `head` then trickles `trickle` one byte each `everyMs` (until closed or stopped). */
function slowClient(url: string, head: string, trickle = '', everyMs = 50): Promise<Conn> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const c: Conn = { socket, data: '', closed: false, stop: () => clearInterval(timer) };
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d) => (c.data += d.toString('latin1')));
    socket.on('close', () => {
      c.closed = true;
      clearInterval(timer);
    });
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (head) socket.write(head);
      if (trickle)
        timer = setInterval(() => {
          if (socket.writable) socket.write(trickle[i++ % trickle.length]!);
        }, everyMs);
      resolve(c);
    });
    socket.once('error', reject);
  });
}

const limits = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 300,
  idleTimeoutMs: 2000,
  maxConnections: 1024,
};

t.test('every listener cuts off trickled heads and bodies and idle connections', async (t) => {
  const dir = tmpDir(t);
  const d = await Daemon.start({
    config: loadConfig(null, {
      db: join(dir, 'g.db'),
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      listeners: limits,
    }),
    logger: silent,
  });
  t.teardown(() => d.shutdown('test'));
  const sp = d.store.sps.add({ confirmation: 'none', name: 'shop' });
  for (const [name, url] of [
    ['SP API', d.url],
    ['operations', d.opsUrl!],
  ] as const) {
    // header slowloris: a head that never ends
    const loris = await slowClient(
      url,
      'GET /healthz HTTP/1.1\r\nHost: x\r\n',
      'X-Slow: aaaaaaaaaaaa\r\n'.repeat(100),
      30,
    );
    await until(() => loris.closed, 20_000, `${name}: slowloris closed`);
    t.ok(loris.closed, `${name}: a head trickled past headersTimeoutMs is cut off`);
    t.notMatch(loris.data, /200 OK/, `${name}: and never answered`);
    // an idle connection that never sends a byte
    const idle = await slowClient(url, '');
    await until(() => idle.closed, 20_000, `${name}: idle closed`);
    t.ok(idle.closed, `${name}: a connection that sends nothing is closed`);
    // a kept-alive connection after its request
    const kept = await slowClient(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => kept.closed, 20_000, `${name}: kept-alive closed`);
    t.match(kept.data, /^HTTP\/1\.1 200 OK/, `${name}: answered, then closed once idle for keepAliveTimeoutMs`);
  }
  // a trickled body on an authenticated request: the whole request must come within requestTimeoutMs
  const body = JSON.stringify({ amount: 1, currency: 'EUR', reference: 'slow' });
  const authed = await slowClient(
    d.url,
    `POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${sp.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 10000}\r\n\r\n`,
    ' '.repeat(1000),
    30,
  );
  await until(() => authed.closed, 20_000, 'trickled body closed');
  t.notMatch(authed.data, /201 Created/, 'a body trickled past requestTimeoutMs is cut off');
  // unauthenticated: the 401 comes at once and the connection is closed, not held while the body trickles
  for (const [name, url, path] of [
    ['SP API', d.url, '/v1/orders'],
    ['operations', d.opsUrl!, '/healthz'],
  ] as const) {
    const unauth = await slowClient(
      url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
      'x',
      30,
    );
    await until(() => unauth.closed, 20_000, `${name}: closed after the early answer`);
    t.match(
      unauth.data,
      /^HTTP\/1\.1 (401|413) .*\r\n[\s\S]*connection: close/i,
      `${name}: an early answer closes the connection`,
    );
  }
  t.equal((await fetch(`${d.url}/healthz`)).status, 200, 'the listener still answers');
  t.equal((await fetch(`${d.opsUrl}/healthz`)).status, 200);
  t.equal((await fetch(`${d.url}/metrics`)).status, 404, '/metrics is not on the SP listener by default');
  t.equal((await fetch(`${d.opsUrl}/metrics`)).status, 200, 'but on the operations listener');
});

t.test('a listener holds at most maxConnections; the others keep answering', async (t) => {
  const dir = tmpDir(t);
  const cap = 20; // over the floor of 16 the descriptor rule keeps
  const d = await Daemon.start({
    config: loadConfig(null, {
      db: join(dir, 'g.db'),
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      listeners: {
        ...limits,
        headersTimeoutMs: 120_000,
        requestTimeoutMs: 120_000,
        idleTimeoutMs: 120_000,
        maxConnections: cap,
      },
    }),
    logger: silent,
  });
  t.teardown(() => d.shutdown('test'));
  const held: Conn[] = [];
  for (let i = 0; i < cap; i++)
    held.push(await slowClient(d.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X: y\r\n', 200));
  const extra: Conn[] = [];
  for (let i = 0; i < 5; i++) extra.push(await slowClient(d.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
  await until(() => extra.every((c) => c.closed), 20_000, 'the connections over the cap closed');
  t.ok(
    extra.every((c) => c.data === ''),
    'closed without an answer',
  );
  t.ok(
    held.every((c) => !c.closed),
    'the ones held stay',
  );
  t.equal((await fetch(`${d.opsUrl}/healthz`)).status, 200, 'the operations listener answers meanwhile');
  t.match(
    await (await fetch(`${d.opsUrl}/metrics`)).text(),
    /gnpay_http_connections_dropped_total\{listener="api"\} 5/,
  );
  for (const c of held) {
    c.stop();
    c.socket.destroy();
  }
  await until(() => held.every((c) => c.closed));
  t.equal(
    await until(() =>
      fetch(`${d.url}/healthz`)
        .then((r) => r.status)
        .catch(() => 0),
    ),
    200,
    'the SP listener answers again',
  );
});

t.test('the connection cap follows the descriptor limit', async (t) => {
  const l = { ...limits, maxConnections: 1000 };
  t.equal(connectionCap(l, 128), 32, 'a quarter of 128 descriptors');
  t.equal(connectionCap(l, 40), 16, 'never under 16');
  t.equal(connectionCap(l, 1_000_000), 1000, 'the configured cap below that');
  t.equal(connectionCap(l, null), 1000, 'unknown limit: the configured cap');
  const dir = tmpDir(t);
  writeFileSync(
    join(dir, 'limits'),
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            256                  4096                 files\n',
  );
  t.equal(openFileLimit(join(dir, 'limits')), 256);
  writeFileSync(join(dir, 'unl'), 'Max open files            unlimited            unlimited            files\n');
  t.equal(openFileLimit(join(dir, 'unl')), null);
  t.equal(openFileLimit(join(dir, 'missing')), null);
});

t.test('100 slow connections under a 128-descriptor limit: operations and webhooks go on', async (t) => {
  if (spawnSync('prlimit', ['--version']).status !== 0) {
    t.skip('prlimit (util-linux) is not installed', () => {});
    return;
  }
  const dir = tmpDir(t);
  const db = join(dir, 'g.db');
  const hooks: string[] = [];
  const receiver = await httpServer(t, (_req, body, res) => {
    hooks.push(JSON.parse(body).type);
    res.end();
  });
  const cfg = join(dir, 'c.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      listeners: {
        headersTimeoutMs: 120_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 5000,
        idleTimeoutMs: 120_000,
        maxConnections: 1024,
      },
      webhooks: { allowDestinations: ['127.0.0.1/32'] },
    }),
  );
  const sp = JSON.parse(
    (
      await cli([
        'sp',
        'add',
        '--db',
        db,
        '--config',
        cfg,
        '--confirmation',
        'none',
        '--name',
        'shop',
        '--webhook',
        `${receiver.url}/hook`,
        '--json',
      ])
    ).stdout,
  );
  const d = await spawnDaemon(
    t,
    ['--db', db, '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--config', cfg, '--log-level', 'warn'],
    { wrap: ['prlimit', '--nofile=128:128'] },
  );
  const slow: Conn[] = [];
  for (let i = 0; i < 100; i++)
    slow.push(await slowClient(d.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X: y\r\n', 500));
  await until(() => slow.filter((c) => c.closed).length >= 100 - 32, 20_000, 'the connections over the cap closed');
  t.equal(slow.filter((c) => !c.closed).length, 32, 'the SP listener holds a quarter of the descriptors');
  t.equal((await fetch(`${d.opsUrl}/healthz`)).status, 200, 'the operations listener answers');
  // an order created beside the daemon: its webhook still goes out (no EMFILE)
  await cli(['orders', 'create', '--db', db, '--sp', sp.id, '--amount', '1', '--currency', 'EUR', '--reference', 'r']);
  await until(() => hooks.length >= 1, 30_000, 'the webhook');
  t.same(hooks, ['org.gnpay.order.pending']);
  t.notOk(
    d.logs.some((l) => JSON.stringify(l).includes('EMFILE')),
    'no EMFILE in the logs',
  );
  for (const c of slow) {
    c.stop();
    c.socket.destroy();
  }
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});
