// gnpay demo: the whole flow on a fresh machine with the embedded defaults.
// A daemon on a temporary database, an SP and an order made through the
// client, a capture in which the subscriber's phone opens the order's payUrl
// (made by our generator), replayed through the pipeline; the order goes
// pending -> associated -> paid and the SP's webhook receiver gets each step.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { GnpayClient, verifyWebhook, type Order, type OrderEvent } from '../client';
import { loadConfig } from '../config';
import { demoCapture } from '../gen';
import { createLogger } from '../log';
import { activeCarriers } from '../pipeline/carriers';
import { Daemon, type SourceFactory } from '../pipeline/daemon';
import { maskMsisdn } from '../store/views';
import { CliError } from './common';

export interface DemoOptions {
  /** write progress lines here (default: nothing) */
  say?: (line: string) => void;
  /** keep the temporary directory (database, capture) */
  keep?: boolean;
  /** overall deadline (default 30 s) */
  timeoutMs?: number;
  openSource?: SourceFactory;
}

export interface DemoResult {
  order: Order;
  transitions: string[];
  webhooks: Array<{ type: string; verified: boolean }>;
  balance: { before: number; after: number; currency: string };
  dir: string | null;
}

const MSISDN = '491701234567';
const IMSI = '262021234567890';

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const say = o.say ?? (() => {});
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'gnpay-demo-'));
  const received: OrderEvent[] = [];
  let secret = '';
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(verifyWebhook(Buffer.concat(chunks), req.headers, secret));
        res.statusCode = 204;
        /* c8 ignore next 3 */
      } catch {
        res.statusCode = 400; // only a bug would make gnpay's own webhook fail verification
      }
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhook`;
  // the demo's own webhook receiver is on loopback, which webhooks may reach only when allowed
  const config = loadConfig(null, { db: join(dir, 'gnpay.db'), listen: '127.0.0.1:0', webhooks: { retry: { baseMs: 100, maxMs: 1000 }, allowDestinations: ['127.0.0.1/32'] } });
  const daemon = await Daemon.start({ config, logger: createLogger({ level: 'warn', redactPersonalData: true, destination: 'stderr' }), openSource: o.openSource, version: require('../../package.json').version });
  try {
    say(`daemon    ${daemon.url} (database ${config.db}, embedded ledger, pay URL ${config.payUrlTemplate})`);
    const added = daemon.store.sps.add({ name: 'Demo shop', webhookUrl: hookUrl });
    secret = added.webhookSecret;
    say(`SP        ${added.sp.id} "Demo shop", webhook ${hookUrl}`);
    const account = daemon.store.ledger.credit(MSISDN, 1000, { currency: 'EUR', note: 'demo top-up' });
    say(`ledger    ${maskMsisdn(MSISDN)} credited 1000 EUR cents`);

    const client = new GnpayClient({ baseUrl: daemon.url, apiKey: added.apiKey });
    const order = await client.createOrder({ amount: 199, currency: 'EUR', reference: 'demo-1', description: 'Demo: one song' });
    say(`order     ${order.id} ${order.amount} ${order.currency} cents: ${order.status}`);
    say(`pay URL   ${order.payUrl}`);

    const capture = join(dir, 'phone.pcap');
    demoCapture({ payUrl: config.payUrlTemplate, token: order.token, msisdn: MSISDN, imsi: IMSI, out: capture, carriers: activeCarriers(config) });
    say(`capture   ${capture}: the phone of ${maskMsisdn(MSISDN)} attaches (GTPv1) and opens the pay URL`);
    const stats = await daemon.replay([capture]);
    say(`replay    ${stats.sightings} sighting(s): ${Object.entries(stats.outcomes).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}`);

    let last: Order = order;
    while (!(last.status === 'paid' && received.length >= 3)) {
      if (Date.now() > deadline) throw new CliError(`demo: the order is ${last.status} and ${received.length} webhook(s) arrived before the deadline`);
      await new Promise((r) => setTimeout(r, 25));
      last = await client.getOrder(order.id);
    }
    for (const e of received) say(`webhook   ${e.type.padEnd(26)} signature verified`);
    const feed = await client.eventsPage();
    const transitions = feed.events.filter((e) => e.subject === order.id).map((e) => e.data.status);
    say(`events    ${transitions.join(' -> ')}`);
    const after = daemon.store.ledger.show(MSISDN).balances.EUR;
    say(`ledger    balance ${account.balances.EUR} -> ${after} EUR cents`);
    return {
      order: last,
      transitions,
      webhooks: received.map((e) => ({ type: e.type, verified: true })),
      balance: { before: account.balances.EUR, after, currency: 'EUR' },
      dir: o.keep ? dir : null,
    };
  } finally {
    await daemon.shutdown('demo finished');
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show the whole flow on this machine: daemon, SP, order, a phone opening the pay URL, payment, webhooks')
    .option('--json', 'print only the result as JSON')
    .option('--keep', 'keep the temporary database and capture')
    .action(async (o: { json?: boolean; keep?: boolean }) => {
      const r = await runDemo({ keep: o.keep, say: o.json ? undefined : (l) => process.stdout.write(`${l}\n`) });
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else process.stdout.write(`\nfinal state: ${r.order.status}${r.dir ? ` (kept in ${r.dir})` : ''}\n${JSON.stringify(r.order, null, 2)}\n`);
      setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    });
}
