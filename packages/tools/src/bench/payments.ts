// Benchmark of the payment side (issue 3): sightings per second through
// associate -> charge (ledger) -> event feed on one core, and the latency from
// a sighting's arrival at the pipeline to `paid` being visible at
// GET /v1/orders/{id}. Synthetic sightings (the decode engine has its own
// benchmark); a real SQLite file with the daemon's durability (WAL, fsync on commit).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../../dist/config';
import { createLogger } from '../../../../dist/log';
import type { DecodeEvent, SightingEvent } from '../../../../dist/native/types';
import { LedgerDriver } from '../../../../dist/payments/drivers/ledger';
import { PaymentWorker } from '../../../../dist/payments/worker';
import { Daemon, type EventSource } from '../../../../dist/pipeline/daemon';
import { processBatch, emptyStats } from '../../../../dist/pipeline/pipeline';
import { Store } from '../../../../dist/store';

export interface PaymentsBenchOptions {
  /** sightings (= orders) pushed through for the throughput figure (default 20 000) */
  sightings?: number;
  /** sightings per batch, as the engine hands them over (default 256) */
  batch?: number;
  /** orders timed one by one for the latency figures (default 300) */
  latencySamples?: number;
  /** print the figures (default true) */
  print?: boolean;
  /** fsync on every commit as the daemon does (default true) */
  fullSync?: boolean;
}

const TEMPLATE = 'http://pay.example.net/pay?pay_token={token}';
const msisdn = (i: number) => `4917${String(10_000_000 + i)}`;

function sightingOf(token: string, i: number): SightingEvent {
  return {
    type: 'sighting',
    ts: new Date().toISOString(),
    packet: i + 1,
    file: null,
    token,
    carrier: 'query',
    via: 'http',
    msisdn: msisdn(i),
    imsi: `26202${String(1_000_000_000 + i)}`,
    imei: null,
    apn: 'internet',
    ueIp: '10.0.0.1',
    teid: 1000 + i,
    resolvedBy: 'teid',
    host: 'pay.example.net',
    request: i + 1,
    dst: '203.0.113.80',
    proto: 'tcp',
    sport: 40000 + (i % 20000),
    dport: 80,
    communityId: '1:Oth01VeucZ5QF8a68dbmODvW74g=',
  };
}

function setup(store: Store, n: number): { spId: string; apiKey: string; tokens: string[]; ids: string[] } {
  const { sp, apiKey } = store.sps.add({ name: 'bench', confirmation: 'none' });
  const tokens: string[] = [];
  const ids: string[] = [];
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const o = store.orders.create(
        sp.id,
        { amount: 100, currency: 'EUR', reference: `b${i}` },
        { payUrlTemplate: TEMPLATE, defaultTtlSeconds: 3600, maxTtlSeconds: 86_400 },
      ).order;
      tokens.push(o.token);
      ids.push(o.id);
      store.ledger.credit(msisdn(i), 1000, { currency: 'EUR' });
    }
  })();
  return { spId: sp.id, apiKey, tokens, ids };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function throughput(dir: string, n: number, batch: number, fullSync: boolean) {
  const store = Store.open(join(dir, 'throughput.db'), { fullSync });
  try {
    const { spId, tokens } = setup(store, n);
    const worker = new PaymentWorker(store, {
      driver: new LedgerDriver(store.ledger),
      concurrency: 1,
      maxAttempts: 3,
      backoff: { baseMs: 10, maxMs: 100 },
      leaseMs: 30_000,
      pollMs: 5,
    });
    const deps = {
      store,
      sourceId: 'bench',
      limits: () => ({ perTransaction: null, perMonth: null }),
      payHosts: () => ['pay.example.net'],
      onAssociated: () => worker.wake(),
    };
    const stats = emptyStats();
    const t0 = performance.now();
    worker.start();
    for (let i = 0; i < n; i += batch) {
      processBatch(
        tokens.slice(i, i + batch).map((tok, j) => sightingOf(tok, i + j)),
        deps,
        stats,
      );
      await new Promise((r) => setImmediate(r)); // let the charging interleave, as in the daemon
    }
    const tAssociated = performance.now();
    do await new Promise((r) => setTimeout(r, 1));
    while (store.payments.pendingCount() > 0);
    const tPaid = performance.now();
    await worker.stop(1000);
    let after = 0;
    let events = 0;
    for (;;) {
      const page = store.events.list(spId, after, 500);
      if (page.length === 0) break;
      events += page.length;
      after = page[page.length - 1]!.seq;
    }
    const tFeed = performance.now();
    const paid = store.db.prepare(`SELECT COUNT(*) FROM orders WHERE status = 'paid'`).pluck().get() as number;
    /* c8 ignore next */
    if (paid !== n || stats.outcomes.associated !== n) throw new Error(`bench: ${paid} of ${n} paid`);
    return {
      sightingsPerSecond: Math.round(n / ((tFeed - t0) / 1000)),
      committedSightingsPerSecond: Math.round(n / ((tAssociated - t0) / 1000)),
      allPaidSeconds: (tPaid - t0) / 1000,
      feedEventsPerSecond: Math.round(events / ((tFeed - tPaid) / 1000)),
      feedEvents: events,
    };
  } finally {
    store.close();
  }
}

async function latency(dir: string, samples: number) {
  // a source the benchmark feeds one sighting at a time
  const queue: DecodeEvent[][] = [];
  let wake = (): void => {};
  let done = false;
  const source: EventSource = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
        wake = () => {};
      }
    },
    async close() {
      done = true;
      wake();
    },
  };
  const config = loadConfig(null, {
    db: join(dir, 'latency.db'),
    listen: '127.0.0.1:0',
    rateLimit: { ordersPerMinute: null },
  });
  const pre = Store.open(config.db!);
  const { tokens, ids, apiKey } = setup(pre, samples);
  pre.close();
  const daemon = await Daemon.start({
    config,
    logger: createLogger({ level: 'error', redactPersonalData: true, destination: 'stderr' }),
    read: ['bench'],
    openSource: () => source,
  });
  const ms: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      queue.push([sightingOf(tokens[i]!, i)]);
      wake();
      for (;;) {
        const r = await fetch(`${daemon.url}/v1/orders/${ids[i]}`, { headers: { authorization: `Bearer ${apiKey}` } });
        const o = (await r.json()) as { status: string };
        if (o.status === 'paid') break;
        /* c8 ignore next */
        if (o.status !== 'pending' && o.status !== 'identified') throw new Error(`bench: order ${o.status}`);
      }
      ms.push(performance.now() - t0);
    }
  } finally {
    await daemon.shutdown('bench done');
  }
  ms.sort((a, b) => a - b);
  return {
    latencyP50Ms: +percentile(ms, 50).toFixed(2),
    latencyP99Ms: +percentile(ms, 99).toFixed(2),
    latencyMaxMs: +ms[ms.length - 1]!.toFixed(2),
    latencySamples: ms.length,
  };
}

export async function runPaymentsBench(opts: PaymentsBenchOptions = {}): Promise<Record<string, number>> {
  const n = opts.sightings ?? 20_000;
  const batch = opts.batch ?? 256;
  const dir = mkdtempSync(join(tmpdir(), 'gnpay-bench-payments-'));
  try {
    const tp = await throughput(dir, n, batch, opts.fullSync !== false);
    const lat = await latency(dir, opts.latencySamples ?? 300);
    const out = { sightings: n, ...tp, ...lat };
    if (opts.print !== false) {
      process.stdout.write(
        [
          `payments: ${n} sightings, batches of ${batch}, one core, SQLite WAL${opts.fullSync === false ? '' : ' with fsync on commit'}`,
          `  associate -> charge (ledger) -> event feed   ${tp.sightingsPerSecond} sightings/s   (all paid after ${tp.allPaidSeconds.toFixed(2)} s)`,
          `  sightings committed (charging interleaved)   ${tp.committedSightingsPerSecond} sightings/s`,
          `  event feed read                              ${tp.feedEventsPerSecond} events/s (${tp.feedEvents} events)`,
          `  arrival -> paid visible at GET /v1/orders/{id}  p50 ${lat.latencyP50Ms} ms   p99 ${lat.latencyP99Ms} ms   max ${lat.latencyMaxMs} ms   (${lat.latencySamples} orders, one at a time)`,
          '',
        ].join('\n'),
      );
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
