// Money under faults: a payment platform that is idempotent per key (as
// docs/api.md requires) but answers 30 % of charges with HTTP 500, hangs past
// gnpay's timeout on 10 % (half of them having charged first), charges and
// drops the connection on 10 %, and answers the rest slowly (some after the
// timeout); and `gnpay run` SIGKILLed over and over in the middle of replaying
// a capture of N orders. Then the books are compared: no order failed (or
// declined) that the platform charged, no order paid that it did not, no key
// charged twice, every order final, or visibly in doubt until the platform
// answers.
//
// Used by the test test/e2e/faults.slow.test.ts (1,000 orders, 20 kills) and
// by `npm run bench -- faults` (bigger, with the figures).
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseSignatureHeader, signatureMatches } from '../../../../dist/client/signature';
import { expect as carries, FileSink, httpRequest, LINKTYPE, PcapWriter, Scenario, type Pdp } from '../gen';
import { Store } from '../../../../dist/store';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultPlatformOptions {
  seed?: number;
  /** gnpay's payments.http.timeoutMs: "slow" answers come up to 1.2 times this late */
  timeoutMs: number;
  secret: string;
  /** share of charges declined by the platform (decided per key) */
  declineRate?: number;
}

export interface PlatformCounts {
  requests: number;
  e500: number;
  hangCharged: number;
  hangUncharged: number;
  chargeThenDrop: number;
  slow: number;
  statusCalls: number;
  badSignatures: number;
}

export class FaultPlatform {
  /** the first outcome of each key: every later request with the key gets it again */
  readonly decided = new Map<string, 'succeeded' | 'declined'>();
  /** charges made, per key (a real platform charges once per key: more would be a double charge) */
  readonly charged = new Map<string, number>();
  readonly bodies = new Map<string, { msisdn: string; amount: number; currency: string }>();
  readonly counts: PlatformCounts = {
    requests: 0,
    e500: 0,
    hangCharged: 0,
    hangUncharged: 0,
    chargeThenDrop: 0,
    slow: 0,
    statusCalls: 0,
    badSignatures: 0,
  };
  private readonly random: () => number;
  private readonly hung = new Set<ServerResponse>();
  private server: Server | null = null;
  url = '';

  constructor(private readonly o: FaultPlatformOptions) {
    this.random = rng(o.seed ?? 1);
  }

  private decide(key: string): 'succeeded' | 'declined' {
    let d = this.decided.get(key);
    if (!d) {
      // decided by the key, not by the order of arrival: the same key always gets the same fate
      let h = 0;
      for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
      d = (h % 1000) / 1000 < (this.o.declineRate ?? 0.1) ? 'declined' : 'succeeded';
      this.decided.set(key, d);
      if (d === 'succeeded') this.charged.set(key, (this.charged.get(key) ?? 0) + 1);
    }
    return d;
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const status = /^\/charges\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && status) {
      this.counts.statusCalls++;
      if (this.random() < 0.2) {
        res.statusCode = 500;
        return void res.end();
      }
      const d = this.decided.get(decodeURIComponent(status[1]!));
      res.statusCode = d ? 200 : 404;
      return void res.end(d ? JSON.stringify({ status: d }) : '');
    }
    this.counts.requests++;
    const sig = parseSignatureHeader(String(req.headers['gnpay-signature'] ?? ''));
    if (!sig || !signatureMatches(this.o.secret, sig, body)) {
      this.counts.badSignatures++;
      res.statusCode = 401;
      return void res.end();
    }
    const charge = JSON.parse(body) as { idempotencyKey: string; msisdn: string; amount: number; currency: string };
    const key = charge.idempotencyKey;
    this.bodies.set(key, { msisdn: charge.msisdn, amount: charge.amount, currency: charge.currency });
    const answer = () => JSON.stringify({ status: this.decide(key) });
    const r = this.random();
    if (r < 0.3) {
      this.counts.e500++;
      res.statusCode = 500;
      return void res.end('{"error":"internal"}');
    }
    if (r < 0.4) {
      // hangs past the timeout; half of these charge first
      if (this.random() < 0.5) {
        this.counts.hangCharged++;
        this.decide(key);
      } else this.counts.hangUncharged++;
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (r < 0.5) {
      this.counts.chargeThenDrop++;
      this.decide(key);
      return void res.socket?.destroy();
    }
    this.counts.slow++;
    const text = answer();
    setTimeout(
      () => {
        if (!res.destroyed) res.end(text);
      },
      Math.floor(this.random() * this.o.timeoutMs * 1.2),
    );
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

export interface FaultLoopOptions {
  orders: number;
  kills: number;
  /** node dist/cli.js */
  cli: string;
  /** ask the platform's status call about payments in doubt (else: the same charge again) */
  statusCall?: boolean;
  seed?: number;
  timeoutMs?: number;
  /** a run is killed this long after it listens (uniform in [min, max] ms) */
  killAfterMs?: [number, number];
  /** how long the last runs may take to settle everything (ms) */
  settleMs?: number;
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
  dir?: string;
}

export interface FaultReport {
  orders: number;
  kills: number;
  runs: number;
  seconds: number;
  statusCall: boolean;
  platform: PlatformCounts & { charged: number; declinedKeys: number };
  /** orders by state after the SIGKILL loop and its last replay (before the in-doubt ones were settled) */
  afterLoop: Record<string, number>;
  /** orders in doubt when the last replay exited */
  inDoubtAfterLoop: number;
  /** orders by state in the end */
  final: Record<string, number>;
  inDoubtAtEnd: number;
  /** orders whose charge attempts ever had an unknown outcome */
  everInDoubt: number;
  attempts: number;
  failedButCharged: number;
  declinedButCharged: number;
  paidNotCharged: number;
  doubleCharges: number;
  /** charges with a key that is no order, or with another subscriber or amount */
  strayCharges: number;
  secondsToSettle: number;
}

const msisdnOf = (i: number) => `4917${String(1_000_000 + i).padStart(8, '0')}`;

/** A capture where each order's subscriber attaches (GTPv1) and opens its pay URL. */
function capture(file: string, tokens: string[]): void {
  const w = new PcapWriter(new FileSink(file), { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: 7, startSec: Math.floor(Date.now() / 1000), stepNs: 100_000 });
  tokens.forEach((token, i) => {
    const ip = `10.${((i + 1) >> 16) & 255}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
    const pdp: Pdp = s.createPdp({
      imsi: `26202${String(1_000_000_000 + i)}`,
      msisdn: msisdnOf(i),
      imei: null,
      apn: 'internet',
      ueIp: ip,
      sgsnC: '192.0.2.10',
      sgsnU: '192.0.2.11',
      ggsnC: '198.51.100.1',
      ggsnU: '198.51.100.2',
    })!;
    const f = s.tcp(s.pdpPath(pdp), { server: '203.0.113.80', dport: 80 });
    f.request(httpRequest({ target: `/pay?pay_token=${token}`, host: 'pay.example.net' }), [carries(token, 'query')]);
    f.close();
  });
  w.close();
}

interface Child {
  exited: Promise<number | null>;
  listening: Promise<boolean>;
  kill(sig: NodeJS.Signals): void;
  stderr: string[];
}

function run(cli: string, args: string[], env?: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [cli, 'run', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: env ?? process.env,
  });
  const stderr: string[] = [];
  let heard: (v: boolean) => void;
  const listening = new Promise<boolean>((r) => (heard = r));
  child.stderr.on('data', (d: Buffer) => {
    stderr.push(d.toString('utf8'));
    if (/gnpay: listening on/.test(stderr.join(''))) heard(true);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => (heard(false), r(code))));
  return { exited, listening, kill: (sig) => child.kill(sig), stderr };
}

export async function runFaultLoop(o: FaultLoopOptions): Promise<FaultReport> {
  const t0 = performance.now();
  const say = o.progress ?? (() => {});
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'gnpay-faults-'));
  const timeoutMs = o.timeoutMs ?? 250;
  const secret = 'platform-secret';
  const platform = new FaultPlatform({ seed: o.seed ?? 42, timeoutMs, secret });
  const url = await platform.start();
  const random = rng((o.seed ?? 42) + 1);
  try {
    const db = join(dir, 'gnpay.db');
    const store = Store.open(db);
    const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
    const tokens: string[] = [];
    const ids: string[] = [];
    store.db.transaction(() => {
      for (let i = 0; i < o.orders; i++) {
        const order = store.orders.create(
          sp.id,
          { amount: 100 + (i % 50), currency: 'EUR', reference: `f${i}` },
          {
            payUrlTemplate: 'http://pay.example.net/pay?pay_token={token}',
            defaultTtlSeconds: 86_400,
            maxTtlSeconds: 86_400,
          },
        ).order;
        tokens.push(order.token);
        ids.push(order.id);
      }
    })();
    store.close();
    const pcap = join(dir, 'phones.pcap');
    capture(pcap, tokens);
    const cfg = join(dir, 'gnpay.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        payments: {
          driver: 'http',
          concurrency: 16,
          retry: { baseMs: 20, maxMs: 300 },
          http: {
            url: `${url}/charge`,
            secret,
            timeoutMs,
            maxAttempts: 3,
            statusUrl: o.statusCall ? `${url}/charges/{key}` : null,
          },
        },
        log: { level: 'error' },
        shutdown: { timeoutMs: 3000 },
      }),
    );
    const base = ['--db', db, '--listen', '127.0.0.1:0', '--config', cfg, '--read', pcap];
    const [lo, hi] = o.killAfterMs ?? [150, 900];
    let runs = 0;
    for (let k = 0; k < o.kills; k++) {
      const c = run(o.cli, base, o.env);
      runs++;
      if (!(await c.listening)) throw new Error(`gnpay run did not start: ${c.stderr.join('')}`);
      await new Promise((r) => setTimeout(r, lo + random() * (hi - lo)));
      c.kill('SIGKILL');
      await c.exited;
      if ((k + 1) % 5 === 0) say(`  ${k + 1} kills`);
    }
    // the last replay, to the end
    const last = run(o.cli, [...base, '--exit-when-done'], o.env);
    runs++;
    const code = await last.exited;
    if (code !== 0 && code !== 1) throw new Error(`the last replay exited ${code}: ${last.stderr.join('')}`);
    const ro = new Database(db, { readonly: true });
    const byStatus = () =>
      Object.fromEntries(
        (
          ro.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status').all() as Array<{
            status: string;
            n: number;
          }>
        ).map((r) => [r.status, r.n]),
      );
    const doubt = () =>
      ro
        .prepare(`SELECT COUNT(*) FROM payment_outbox WHERE state = 'pending' AND doubt_since IS NOT NULL`)
        .pluck()
        .get() as number;
    const pending = () =>
      ro.prepare(`SELECT COUNT(*) FROM payment_outbox WHERE state = 'pending'`).pluck().get() as number;
    const afterLoop = byStatus();
    const inDoubtAfterLoop = doubt();
    say(
      `  after ${o.kills} kills and the last replay (exit ${code}): ${JSON.stringify(afterLoop)}, ${inDoubtAfterLoop} in doubt`,
    );
    // a daemon without a capture settles what is in doubt (the platform answers in the end)
    const t1 = performance.now();
    if (pending() > 0) {
      const settle = run(
        o.cli,
        base.filter((a) => a !== '--read' && a !== pcap),
        o.env,
      );
      runs++;
      await settle.listening;
      const deadline = Date.now() + (o.settleMs ?? 120_000);
      while (pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      settle.kill('SIGTERM');
      await settle.exited;
    }
    const secondsToSettle = (performance.now() - t1) / 1000;
    const final = byStatus();
    const rows = ro.prepare('SELECT id, status, msisdn, amount, currency FROM orders').all() as Array<{
      id: string;
      status: string;
      msisdn: string | null;
      amount: number;
      currency: string;
    }>;
    const everInDoubt = ro
      .prepare(`SELECT COUNT(*) FROM payment_outbox WHERE doubt_since IS NOT NULL OR doubt_error IS NOT NULL`)
      .pluck()
      .get() as number;
    const attempts = ro.prepare('SELECT COALESCE(SUM(attempts), 0) FROM payment_outbox').pluck().get() as number;
    const inDoubtAtEnd = doubt();
    ro.close();
    const status = new Map(rows.map((r) => [r.id, r]));
    let failedButCharged = 0;
    let declinedButCharged = 0;
    let paidNotCharged = 0;
    let strayCharges = 0;
    for (const r of rows) {
      const charged = (platform.charged.get(r.id) ?? 0) > 0;
      if (r.status === 'failed' && charged) failedButCharged++;
      if (r.status === 'declined' && charged) declinedButCharged++;
      if (r.status === 'paid' && !charged) paidNotCharged++;
    }
    for (const [key, body] of platform.bodies) {
      const r = status.get(key);
      if (!r || body.msisdn !== `+${r.msisdn}` || body.amount !== r.amount || body.currency !== r.currency)
        strayCharges++;
    }
    const doubleCharges = [...platform.charged.values()].filter((n) => n > 1).length;
    return {
      orders: o.orders,
      kills: o.kills,
      runs,
      seconds: (performance.now() - t0) / 1000,
      statusCall: !!o.statusCall,
      platform: {
        ...platform.counts,
        charged: platform.charged.size,
        declinedKeys: [...platform.decided.values()].filter((d) => d === 'declined').length,
      },
      afterLoop,
      inDoubtAfterLoop,
      final,
      inDoubtAtEnd,
      everInDoubt,
      attempts,
      failedButCharged,
      declinedButCharged,
      paidNotCharged,
      doubleCharges,
      strayCharges,
      secondsToSettle,
    };
  } finally {
    await platform.stop();
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  }
}

export async function runFaultsBench(opts: {
  orders?: number;
  kills?: number;
  statusCall?: boolean;
  seed?: number;
}): Promise<FaultReport[]> {
  const { machine } = await import('./util');
  const cli = join(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');
  const out: FaultReport[] = [];
  process.stdout.write(`faults: ${machine()}\n`);
  for (const statusCall of opts.statusCall === undefined ? [false, true] : [opts.statusCall]) {
    const orders = opts.orders ?? 5000;
    const kills = opts.kills ?? 60;
    process.stdout.write(
      `faults: ${orders} orders, ${kills} SIGKILLs, ${statusCall ? 'with' : 'without'} the status call\n`,
    );
    const r = await runFaultLoop({
      orders,
      kills,
      cli,
      statusCall,
      seed: opts.seed,
      progress: (l) => process.stdout.write(`${l}\n`),
    });
    out.push(r);
    const p = r.platform;
    process.stdout.write(
      [
        `  platform: ${p.requests} charge requests: ${p.e500} HTTP 500, ${p.hangCharged + p.hangUncharged} hangs (${p.hangCharged} charged first), ${p.chargeThenDrop} charge-then-drop, ${p.slow} slow; ${p.statusCalls} status calls`,
        `  gnpay:    ${r.attempts} attempts; ${r.everInDoubt} orders were in doubt at some point; ${r.inDoubtAfterLoop} still in doubt after the last replay, ${r.inDoubtAtEnd} at the end (settled in ${r.secondsToSettle.toFixed(1)} s)`,
        `  final:    ${JSON.stringify(r.final)}`,
        `  books:    failed-but-charged ${r.failedButCharged}, declined-but-charged ${r.declinedButCharged}, paid-not-charged ${r.paidNotCharged}, double charges ${r.doubleCharges}, stray charges ${r.strayCharges}`,
        `  time:     ${r.seconds.toFixed(1)} s, ${r.runs} runs of gnpay`,
        '',
      ].join('\n'),
    );
  }
  return out;
}
