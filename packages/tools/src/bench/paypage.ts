// The pay page (issue "consent"): how long from the ClientHello on the Gn to
// the bound page being served, and how many pages per second the pay listener
// serves with binding.
//
// Latency: a client opens a real TLS connection to the pay listener and asks
// for an order's page; as soon as its ClientHello random is known (the
// client's keylog), a Gn capture in which a subscriber's tunnel carries a
// ClientHello with that random is decoded by the native engine and its events
// committed by the pipeline (the probe's part); the listener's lookup finds
// the binding and serves the page. Measured: from handing the capture's
// frames to the engine to the last byte of the page.
//
// Throughput: C kept-alive connections, each bound once, each asking for the
// page in a loop for S seconds (every request identifies: a write), and the
// same with a new TLS connection per page (a binding lookup per page).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoCapture, readCapture } from '../gen';
import { Engine } from '../../../../dist/native';
import type { DecodeEvent } from '../../../../dist/native/types';
import { selfSignedCert } from '../../../../dist/paypage/cert';
import { PayClient } from '../../../../dist/paypage/client';
import { PayServer } from '../../../../dist/paypage/server';
import { processBatch } from '../../../../dist/pipeline/pipeline';
import { Store } from '../../../../dist/store';
import { machine, percentile } from './util';

export interface PayPageBenchOptions {
  connections?: number;
  seconds?: number;
  latencySamples?: number;
}

const TEMPLATE = 'https://pay.example.net/pay/{token}';
const MSISDN = '491701234567';

export async function runPayPageBench(o: PayPageBenchOptions = {}): Promise<Record<string, number>> {
  const samples = o.latencySamples ?? 200;
  const conns = o.connections ?? 16;
  const seconds = o.seconds ?? 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-paypage-'));
  const store = Store.open(path.join(dir, 'gnpay.db'));
  const cert = selfSignedCert(dir);
  const server = new PayServer({
    store,
    payUrlTemplate: () => TEMPLATE,
    limits: () => ({ perTransaction: 50, perMonth: 300 }),
    tls: { cert: cert.cert, key: cert.key },
    bindTimeoutMs: 5000,
  });
  const engine = new Engine({ carriers: [], payHosts: ['pay.example.net'] });
  const out: Record<string, number> = {};
  try {
    console.log(`machine: ${machine()}`);
    const base = await server.listen('127.0.0.1', 0);
    const sp = store.sps.add({ name: 'bench' }).sp;
    const order = store.orders.create(
      sp.id,
      { amount: 199, currency: 'EUR', reference: 'bench', ttlSeconds: 86_400 },
      { payUrlTemplate: TEMPLATE, defaultTtlSeconds: 86_400, maxTtlSeconds: 86_400 },
    ).order;
    const pagePath = new URL(order.pay_url).pathname;
    const deps = { store, sourceId: 'bench', limits: () => ({ perTransaction: 50, perMonth: 300 }) };

    // the probe's part for one connection: decode a capture whose tunnel carries its ClientHello, commit the events
    let seed = 1;
    const probe = (random: string) => {
      const cap = demoCapture({
        payUrl: TEMPLATE,
        token: order.token,
        msisdn: MSISDN,
        imsi: '262017000000001',
        random: Buffer.from(random, 'hex'),
        seed: seed++,
        carriers: [],
      });
      const frames = readCapture(cap.capture!).frames;
      const t0 = performance.now();
      const events: DecodeEvent[] = [];
      for (const f of frames)
        events.push(...engine.processFrame(f.data, f.linktype, f.tsSec! * 1e9 + f.tsNsec!, f.index));
      processBatch(events, deps);
      return t0;
    };

    // latency: ClientHello decoded -> bound page received
    const lat: number[] = [];
    for (let i = 0; i < samples; i++) {
      const c = new PayClient(base);
      let t0 = 0;
      c.onRandom = (r) => setImmediate(() => (t0 = probe(r)));
      const r = await c.request('GET', pagePath);
      const t1 = performance.now();
      c.close();
      if (!/name="csrf"/.test(r.body)) throw new Error(`bench: page ${i} was not bound (${r.status})`);
      lat.push(t1 - t0);
    }
    lat.sort((a, b) => a - b);
    out.latencyP50Ms = percentile(lat, 50);
    out.latencyP99Ms = percentile(lat, 99);
    console.log(
      `ClientHello on the Gn -> bound page served: p50 ${out.latencyP50Ms.toFixed(2)} ms, p99 ${out.latencyP99Ms.toFixed(2)} ms (${samples} connections)`,
    );

    // throughput on kept-alive connections, each bound once
    const clients = Array.from({ length: conns }, () => {
      const c = new PayClient(base);
      c.onRandom = (r) => probe(r);
      return c;
    });
    let pages = 0;
    let end = performance.now() + seconds * 1000;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          const r = await c.request('GET', pagePath);
          if (r.status !== 200 || !/name="csrf"/.test(r.body)) throw new Error(`bench: unbound page (${r.status})`);
          pages++;
        }
      }),
    );
    clients.forEach((c) => c.close());
    out.pagesPerSecondKeepAlive = pages / seconds;
    console.log(`pages/s, ${conns} kept-alive bound connections: ${out.pagesPerSecondKeepAlive.toFixed(0)}`);

    // throughput with a new TLS connection (handshake + binding lookup) per page
    pages = 0;
    end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < end) {
          const c = new PayClient(base);
          c.onRandom = (r) => probe(r);
          const r = await c.request('GET', pagePath);
          c.close();
          if (!/name="csrf"/.test(r.body)) throw new Error(`bench: unbound page (${r.status})`);
          pages++;
        }
      }),
    );
    out.pagesPerSecondNewConnection = pages / seconds;
    console.log(
      `pages/s, a new bound TLS connection per page (${conns} at a time): ${out.pagesPerSecondNewConnection.toFixed(0)}`,
    );
    return out;
  } finally {
    await server.close();
    engine.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
