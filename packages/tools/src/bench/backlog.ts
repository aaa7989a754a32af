// A dead SP's webhook backlog must not slow the others (issue "hardening,
// second pass", item 3): `gnpay run` as a child process, a database where a
// dead SP (its webhook endpoint accepts connections and never answers) has a
// backlog of 0, 10,000 and 100,000 undelivered events (half of them held
// back behind an earlier change of the same order), and a healthy SP that
// creates orders through the API, a few at a time: creations per second,
// their latency (p50, p99), and how long the healthy SP's webhooks take.
import { spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../../dist/store';
import { machine, percentile } from './util';

export interface BacklogBenchOptions {
  /** backlog sizes (events of the dead SP) */
  backlogs?: number[];
  /** orders the healthy SP creates at each size */
  orders?: number;
  /** creations in flight at once */
  concurrency?: number;
  print?: boolean;
}

export interface BacklogFigures {
  backlog: number;
  orders: number;
  ordersPerSecond: number;
  createP50Ms: number;
  createP99Ms: number;
  webhookP50Ms: number;
  webhookP99Ms: number;
}

const TEMPLATE = 'http://pay.example.net/pay?pay_token={token}';

async function listen(s: Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

async function one(
  dir: string,
  backlog: number,
  o: Required<Omit<BacklogBenchOptions, 'backlogs' | 'print'>>,
): Promise<BacklogFigures> {
  const hung: ServerResponse[] = [];
  const dead = createServer((_req, res) => void hung.push(res));
  const arrived = new Map<string, number>();
  const healthy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { subject: string; type: string };
      if (e.type === 'org.gnpay.order.pending') arrived.set(e.subject, performance.now());
      res.statusCode = 204;
      res.end();
    });
  });
  const deadUrl = await listen(dead);
  const healthyUrl = await listen(healthy);
  const db = join(dir, `backlog-${backlog}.db`);
  const store = Store.open(db, { fullSync: false });
  const d = store.sps.add({ name: 'dead', webhookUrl: `${deadUrl}/hook` }).sp;
  const h = store.sps.add({ name: 'healthy', webhookUrl: `${healthyUrl}/hook` });
  // the backlog: orders created and cancelled (two events each; the cancellations wait behind the creations)
  const opts = { payUrlTemplate: TEMPLATE, defaultTtlSeconds: 86_400, maxTtlSeconds: 86_400 };
  for (let done = 0; done < backlog / 2;) {
    const n = Math.min(5000, backlog / 2 - done);
    store.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const order = store.orders.create(d.id, { amount: 1, currency: 'EUR', reference: `d${done + i}` }, opts).order;
        store.orders.cancel(d.id, order.id);
      }
    })();
    done += n;
  }
  store.close();
  const cfg = join(dir, `backlog-${backlog}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      rateLimit: { ordersPerMinute: null },
      webhooks: { allowDestinations: ['127.0.0.1/32'], timeoutMs: 10_000 },
      log: { level: 'error' },
    }),
  );
  const child = spawn(
    process.execPath,
    [
      join(__dirname, '..', '..', '..', '..', 'dist', 'cli.js'),
      'run',
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--config',
      cfg,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const m = /gnpay: listening on (\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gnpay run exited ${code}: ${err}`)));
  });
  try {
    const created = new Map<string, number>();
    const ms: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < o.orders) {
        const i = next++;
        const s = performance.now();
        const r = await fetch(`${url}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 100, currency: 'EUR', reference: `h${i}` }),
        });
        const body = (await r.json()) as { id: string };
        if (r.status !== 201) throw new Error(`create: HTTP ${r.status} ${JSON.stringify(body)}`);
        ms.push(performance.now() - s);
        created.set(body.id, s);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 120_000;
    while (arrived.size < o.orders && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const hooks = [...created].filter(([id]) => arrived.has(id)).map(([id, s]) => arrived.get(id)! - s);
    ms.sort((a, b) => a - b);
    hooks.sort((a, b) => a - b);
    return {
      backlog,
      orders: o.orders,
      ordersPerSecond: Math.round(o.orders / seconds),
      createP50Ms: +percentile(ms, 50).toFixed(1),
      createP99Ms: +percentile(ms, 99).toFixed(1),
      webhookP50Ms: hooks.length ? +percentile(hooks, 50).toFixed(1) : NaN,
      webhookP99Ms: hooks.length === o.orders ? +percentile(hooks, 99).toFixed(1) : NaN,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    for (const r of hung) r.destroy();
    dead.closeAllConnections();
    healthy.closeAllConnections();
    await Promise.all([new Promise((r) => dead.close(r)), new Promise((r) => healthy.close(r))]);
  }
}

export async function runBacklogBench(opts: BacklogBenchOptions = {}): Promise<BacklogFigures[]> {
  const backlogs = opts.backlogs ?? [0, 10_000, 100_000];
  const o = { orders: opts.orders ?? 2000, concurrency: opts.concurrency ?? 4 };
  const dir = mkdtempSync(join(tmpdir(), 'gnpay-bench-backlog-'));
  const out: BacklogFigures[] = [];
  try {
    if (opts.print !== false)
      process.stdout.write(
        `backlog: ${machine()}\nbacklog: a healthy SP creates ${o.orders} orders (${o.concurrency} at a time) while a dead SP has N webhooks undelivered\n`,
      );
    for (const b of backlogs) {
      const f = await one(dir, b, o);
      out.push(f);
      if (opts.print !== false) {
        process.stdout.write(
          `  backlog ${String(b).padStart(7)}: ${String(f.ordersPerSecond).padStart(5)} orders/s, create p50 ${f.createP50Ms} ms p99 ${f.createP99Ms} ms; the healthy SP's webhooks p50 ${f.webhookP50Ms} ms p99 ${f.webhookP99Ms} ms\n`,
        );
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
