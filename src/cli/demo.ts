// gnpay demo: the whole consent flow on a fresh machine.
// A daemon on a temporary database with its pay page (HTTPS, a self-signed
// certificate made with openssl), an SP and an order made through the client.
// The demo plays the phone: it opens a real TLS connection to the pay page and
// learns that connection's ClientHello random from its own keylog;
// demo-capture.ts writes a Gn capture in which the subscriber's tunnel carries
// a ClientHello with that random and SNI; the capture is replayed through the
// probe, which binds the connection to the subscriber's MSISDN. The page is
// then served on that connection; the demo presses Confirm. The order goes
// pending -> identified -> paid and the SP's webhook receiver gets each step.
// A second connection that no capture shows (a laptop on Wi-Fi) gets the
// "open on mobile data" page and can never confirm.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { GnpayClient, verifyWebhook, type Order, type OrderEvent } from '../client';
import { loadConfig } from '../config';
import { createLogger } from '../log';
import { Daemon, type SourceFactory } from '../pipeline/daemon';
import { selfSignedCert } from '../paypage/cert';
import { csrfOf, PayClient } from '../paypage/client';
import { maskMsisdn } from '../store/views';
import { CliError } from './common';
import { demoCapture } from './demo-capture';
import { VERSION } from '../version';

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
  /** what a connection no probe saw got (the "open on mobile data" page) */
  unbound: { status: number; confirmStatus: number };
  dir: string | null;
}

const TEMPLATE = 'https://pay.example.net/pay/{token}';

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
  const cert = selfSignedCert(dir);
  const config = loadConfig(null, {
    db: join(dir, 'gnpay.db'),
    listen: '127.0.0.1:0',
    payUrlTemplate: TEMPLATE,
    pay: { listen: '127.0.0.1:0', tls: { cert: cert.certFile, key: cert.keyFile }, bindTimeoutMs: 2500 },
    // the demo's own webhook receiver is on loopback, which webhooks may reach only when allowed
    webhooks: { retry: { baseMs: 100, maxMs: 1000 }, allowDestinations: ['127.0.0.1/32'] },
  });
  const daemon = await Daemon.start({
    config,
    logger: createLogger({ level: 'warn', redactPersonalData: true, destination: 'stderr' }),
    openSource: o.openSource,
    version: VERSION,
  });
  const phone = new PayClient(daemon.payUrl!);
  const laptop = new PayClient(daemon.payUrl!);
  try {
    say(`daemon    ${daemon.url} (database ${config.db}, embedded ledger)`);
    say(
      `pay page  ${daemon.payUrl} serving pay.example.net (self-signed certificate), pay URL ${config.payUrlTemplate}`,
    );
    const added = daemon.store.sps.add({
      name: 'Demo shop',
      webhookUrl: hookUrl,
      returnOrigins: ['https://shop.example'],
    });
    secret = added.webhookSecret;
    say(`SP        ${added.sp.id} "Demo shop", webhook ${hookUrl}, confirmation on the pay page`);
    const account = daemon.store.ledger.credit(MSISDN, 1000, { currency: 'EUR', note: 'demo top-up' });
    say(`ledger    ${maskMsisdn(MSISDN)} credited 1000 EUR cents`);

    const client = new GnpayClient({ baseUrl: daemon.url, apiKey: added.apiKey });
    const order = await client.createOrder({
      amount: 199,
      currency: 'EUR',
      reference: 'demo-1',
      description: 'Demo: one song',
      returnUrl: 'https://shop.example/orders/demo-1',
    });
    say(`order     ${order.id} ${order.amount} ${order.currency} cents: ${order.status}`);
    say(`pay URL   ${order.payUrl}`);
    const path = new URL(order.payUrl).pathname;

    // the phone opens the pay URL: a TLS connection whose ClientHello random the demo learns from its keylog
    const random = new Promise<string>((resolve) => (phone.onRandom = resolve));
    const pageP = phone.request('GET', path, { headers: { 'Accept-Language': 'en-GB' } });
    const r = await random;
    say(`phone     TLS connection to pay.example.net, ClientHello random ${r.slice(0, 16)}...`);
    const capture = join(dir, 'phone.pcap');
    demoCapture({
      url: config.payUrlTemplate.split('{token}').join(order.token),
      msisdn: MSISDN,
      imsi: IMSI,
      out: capture,
      random: Buffer.from(r, 'hex'),
    });
    say(
      `capture   ${capture}: the phone of ${maskMsisdn(MSISDN)} attaches (GTPv1), looks up pay.example.net and sends that ClientHello in its tunnel`,
    );
    const stats = await daemon.replay([capture]);
    say(
      `probe     ${
        Object.entries(stats.hellos)
          .map(([k, n]) => `${n} ClientHello(s) ${k}`)
          .join(', ') || 'no ClientHello'
      } to the MSISDN of the tunnel`,
    );
    const page = await pageP;
    if (!/name="csrf"/.test(page.body)) {
      throw new CliError(
        `demo: the phone's connection was not bound (the probe reported no ClientHello of it): the page says "${/<h1>([^<]+)<\/h1>/.exec(page.body)?.[1]}"`,
      );
    }
    const shown = /<dd class="amount">([^<]+)<\/dd>.*?<dt>Charged to<\/dt><dd><span[^>]*>([^<]+)<\/span>/s.exec(
      page.body,
    );
    say(
      `page      ${page.status}: "Confirm your payment": ${shown ? `${shown[1]}, charged to ${shown[2]}` : 'no confirmation form'}`,
    );
    const identified = await client.getOrder(order.id);
    say(
      `order     ${identified.status} (msisdn ${identified.msisdn ?? 'not revealed until the confirmation'}); nothing charged yet`,
    );

    // a connection the probe never saw (Wi-Fi, a device off the mobile network)
    const other = await laptop.request('GET', path);
    const confirmOther = await laptop.request('POST', path, { form: { csrf: csrfOf(page.body), action: 'confirm' } });
    say(
      `laptop    a connection no probe saw: ${other.status} "${/<h1>([^<]+)<\/h1>/.exec(other.body)?.[1]}"; its Confirm: ${confirmOther.status}`,
    );

    const post = await phone.request('POST', path, {
      form: { csrf: csrfOf(page.body), action: 'confirm' },
      headers: { Origin: 'https://pay.example.net' },
    });
    say(`confirm   the subscriber presses Confirm: ${post.status} -> ${String(post.headers.location)}`);
    const outcome = await phone.request('GET', path);
    say(`page      "${/<h1>([^<]+)<\/h1>/.exec(outcome.body)?.[1]}"`);

    let last: Order = order;
    while (!(last.status === 'paid' && received.length >= 3)) {
      if (Date.now() > deadline)
        throw new CliError(
          `demo: the order is ${last.status} and ${received.length} webhook(s) arrived before the deadline`,
        );
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
      balance: { before: account.balances.EUR ?? 0, after: after ?? 0, currency: 'EUR' },
      unbound: { status: other.status, confirmStatus: confirmOther.status },
      dir: o.keep ? dir : null,
    };
  } finally {
    phone.close();
    laptop.close();
    await daemon.shutdown('demo finished');
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'show the whole flow on this machine: daemon and pay page, SP, order, a phone identified by its tunnel, Confirm, payment, webhooks',
    )
    .option('--json', 'print only the result as JSON')
    .option('--keep', 'keep the temporary database and capture')
    .action(async (o: { json?: boolean; keep?: boolean }) => {
      const r = await runDemo({ keep: o.keep, say: o.json ? undefined : (l) => process.stdout.write(`${l}\n`) });
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else
        process.stdout.write(
          `\nfinal state: ${r.order.status}${r.dir ? ` (kept in ${r.dir})` : ''}\n${JSON.stringify(r.order, null, 2)}\n`,
        );
      setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    });
}
