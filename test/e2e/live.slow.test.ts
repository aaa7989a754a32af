// Issue "the appliance", end to end on a real interface: the test makes its own
// network namespace and veth pair, starts `gnpay run --interface` on the root
// end, creates orders through the API, and sends a Gn capture made by our
// generator from inside the namespace with tcpreplay. The order is paid. Then
// the daemon restarts - the second time as an unprivileged user holding only
// CAP_NET_RAW and CAP_NET_ADMIN, as the systemd unit runs it - and a token
// sent on the tunnel learned before the restart (no new GTP-C) still resolves
// to the same subscriber and is paid. Needs root, iproute2 and tcpreplay;
// skips cleanly without them. Packets only ever go into the test's own veth.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { GnpayClient, type Order } from '../../src/client';
import { FileSink, PcapWriter } from '../../packages/tools/src/gen';
import { readCapture } from '../../packages/tools/src/gen/reader';
import { cli, msisdnOf, phoneCapture, spawnDaemon, tmpDir, until, type ChildDaemon } from './harness';

t.setTimeout(300_000);

function have(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = !isRoot
  ? 'needs root (creates a network namespace and a veth pair)'
  : !have('ip', ['-V'])
    ? 'needs iproute2'
    : !have('tcpreplay', ['--version'])
      ? 'needs tcpreplay'
      : false;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A namespace of the test's own and a veth pair: `outside` stays in the root namespace, `inside` goes into `ns`; removed at teardown. */
function vethIntoNamespace(
  t: { teardown(fn: () => void): void },
  prefix: string,
): { ns: string; outside: string; inside: string } {
  const tag = String(process.pid % 100000);
  const ns = `${prefix}${tag}`;
  const outside = `${prefix}o${tag}`;
  const inside = `${prefix}i${tag}`;
  sh('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    spawnSync('ip', ['link', 'del', outside]);
    spawnSync('ip', ['netns', 'del', ns]);
  });
  sh('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
  sh('ip', ['link', 'set', inside, 'netns', ns]);
  sh('ip', ['link', 'set', outside, 'up']);
  sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up']);
  return { ns, outside, inside };
}

/** The first `n` frames of `from` go to `a`, the rest to `b` (same link type, same timestamps). */
function split(from: string, n: number, a: string, b: string): void {
  const frames = readCapture(readFileSync(from)).frames;
  const wa = new PcapWriter(new FileSink(a), { linktype: frames[0]!.linktype });
  const wb = new PcapWriter(new FileSink(b), { linktype: frames[0]!.linktype });
  frames.forEach((f, i) => (i < n ? wa : wb).packet(f.data, f.tsSec ?? 0, f.tsNsec ?? 0));
  wa.close();
  wb.close();
}

async function metric(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

t.test('live capture on a veth pair: paid, then subscribers survive a restart', { skip }, async (t) => {
  // gnpay captures on `outside` (root namespace); tcpreplay sends on `inside` (the test's namespace)
  const { ns, outside, inside } = vethIntoNamespace(t, 'gnpt');

  const dir = tmpDir(t);
  chmodSync(dir, 0o777); // the second daemon runs as nobody
  const db = join(dir, 'gnpay.db');
  const cfg = join(dir, 'gnpay.json');
  writeFileSync(cfg, JSON.stringify({ checkpoint: { intervalSeconds: 1, maxAgeHours: 1 }, capture: { bufferMiB: 8 } }));
  const args = [
    '--db',
    db,
    '--listen',
    '127.0.0.1:0',
    '--ops-listen',
    '127.0.0.1:0',
    '--config',
    cfg,
    '--interface',
    outside,
    '--log-level',
    'info',
  ];

  // 1. daemon, SP, ledger credit, two orders
  let d: ChildDaemon = await spawnDaemon(t, args);
  const sp = JSON.parse(
    (
      await cli([
        'sp',
        'add',
        '--db',
        db,
        '--confirmation',
        'none',
        '--name',
        'shop',
        '--scope',
        'msisdn:read',
        '--json',
      ])
    ).stdout,
  );
  const msisdn = msisdnOf(0);
  t.equal(
    (await cli(['ledger', 'credit', '--db', db, '--msisdn', msisdn, '--amount', '1000', '--currency', 'EUR'])).code,
    0,
  );
  let client = new GnpayClient({ baseUrl: d.url, apiKey: sp.apiKey });
  const o1 = await client.createOrder({ amount: 100, currency: 'EUR', reference: 'live-1' });
  const o2 = await client.createOrder({ amount: 200, currency: 'EUR', reference: 'live-2' });

  // 2. the subscriber attaches and opens the first pay URL; later (part B) the second, on the same tunnel
  const first = join(dir, 'first.pcap');
  phoneCapture(first, [{ who: 0, token: o1.token }]);
  const nFirst = readCapture(readFileSync(first)).frames.length;
  const full = join(dir, 'full.pcap');
  phoneCapture(full, [
    { who: 0, token: o1.token },
    { who: 0, token: o2.token },
  ]);
  const partA = join(dir, 'a.pcap');
  const partB = join(dir, 'b.pcap');
  split(full, nFirst, partA, partB);
  const bFrames = readCapture(readFileSync(partB)).frames;
  t.ok(
    bFrames.length > 0 && bFrames.every((f) => f.data.readUInt16BE(36) !== 2123),
    'part B carries no GTP-C (UDP 2123)',
  );

  sh('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', inside, '--topspeed', partA]);
  const paid1 = await until(
    async () => {
      const o = await client.getOrder(o1.id);
      return o.status === 'paid' ? o : null;
    },
    60_000,
    'first order paid',
  );
  t.equal(paid1.msisdn, `+${msisdn}`, 'paid by the MSISDN the network gave');
  t.ok(
    (await metric(d.opsUrl!, 'gnpay_capture_packets_total', `interface="${outside}"`)) >= nFirst,
    'packets counted by interface',
  );
  t.equal(await metric(d.opsUrl!, 'gnpay_capture_dropped_packets_total', 'where="kernel"'), 0, 'no kernel drop');
  t.ok((await metric(d.opsUrl!, 'gnpay_sessions_active', '')) >= 0, 'sessions gauge served');

  // 3. restart: SIGTERM checkpoints the tunnel table; the new daemon runs unprivileged with two capabilities
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null }, 'drained and stopped');
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`, `${db}.pid`, `${db}.key`, `${db}.spool`])
    spawnSync('chmod', ['a+rw', f]);
  const unpriv = have('setpriv', ['--version']);
  d = unpriv ? await spawnUnprivileged(t, args) : await spawnDaemon(t, args);
  await until(
    () => d.logs.find((l) => l.msg === 'tunnel table restored from the checkpoint'),
    30_000,
    'checkpoint restore logged',
  );
  const restored = d.logs.find((l) => l.msg === 'tunnel table restored from the checkpoint');
  t.ok(restored && Number(restored.restored) >= 1, 'the restart restored the subscriber contexts');
  client = new GnpayClient({ baseUrl: d.url, apiKey: sp.apiKey });

  // 4. the second token, on the tunnel learned before the restart
  sh('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', inside, '--topspeed', partB]);
  const paid2: Order = await until(
    async () => {
      const o = await client.getOrder(o2.id);
      return o.status === 'paid' ? o : null;
    },
    60_000,
    'second order paid',
  );
  t.equal(paid2.msisdn, `+${msisdn}`, 'resolved to the same subscriber after the restart');
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  const ledger = JSON.parse((await cli(['ledger', 'show', '--db', db, '--msisdn', msisdn, '--json'])).stdout);
  t.same(ledger.balances, { EUR: 700 }, 'debited once per order');
});

for (const ifaces of [['any'], ['gna', 'gnb']]) {
  const what = ifaces.length === 1 ? '"any" (Linux cooked link type)' : 'both ends of a veth pair at once';
  t.test(`live capture on ${what}, every frame seen twice: the order is paid once`, { skip }, async (t) => {
    // "any" hands frames over as Linux cooked (SLL2), where libpcap has no
    // `vlan`: the default filter must differ from Ethernet's and still keep the
    // GTP frames. Two interfaces are two capture threads feeding one engine.
    // The daemon runs inside the test's namespace, so it sees only the test's
    // veth pair; each frame is seen leaving one end and arriving at the other.
    const ns = `gnpa${process.pid % 100000}${ifaces.length}`;
    sh('ip', ['netns', 'add', ns]);
    t.teardown(() => void spawnSync('ip', ['netns', 'del', ns]));
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'add', 'gna', 'type', 'veth', 'peer', 'name', 'gnb']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'gna', 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'gnb', 'up']);
    const dir = tmpDir(t);
    const db = join(dir, 'gnpay.db');
    const sp = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'shop', '--json'])).stdout,
    );
    const msisdn = msisdnOf(0);
    t.equal(
      (await cli(['ledger', 'credit', '--db', db, '--msisdn', msisdn, '--amount', '500', '--currency', 'EUR'])).code,
      0,
    );
    const order = JSON.parse(
      (
        await cli([
          'orders',
          'create',
          '--db',
          db,
          '--sp',
          sp.id,
          '--amount',
          '120',
          '--currency',
          'EUR',
          '--reference',
          'any-1',
          '--json',
        ])
      ).stdout,
    );
    const args = [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
      ...ifaces.flatMap((i) => ['--interface', i]),
    ];
    const d = await spawnDaemon(t, args, { wrap: ['ip', 'netns', 'exec', ns] });
    const file = join(dir, 'phone.pcap');
    phoneCapture(file, [{ who: 0, token: order.token }]);
    const frames = readCapture(readFileSync(file)).frames.length;
    sh('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', 'gna', '--topspeed', file]);
    const paid = await until(
      async () => {
        const o = JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--json'])).stdout);
        return o.status === 'paid' ? o : null;
      },
      60_000,
      'order paid',
    );
    t.equal(
      paid.msisdn,
      `+${msisdn.slice(0, 5)}${'*'.repeat(msisdn.length - 7)}${msisdn.slice(-2)}`,
      'the MSISDN the network gave (masked: the SP has no msisdn:read)',
    );
    d.child.kill('SIGTERM');
    t.same(await d.exited, { code: 0, signal: null }, 'drained and stopped');
    const ledger = JSON.parse((await cli(['ledger', 'show', '--db', db, '--msisdn', msisdn, '--json'])).stdout);
    t.same(ledger.balances, { EUR: 380 }, 'charged once although every frame came twice');
    const stopped = d.logs.find((l) => l.msg === 'capture stopped') as
      { interfaces: Array<Record<string, unknown>> } | undefined;
    t.ok(stopped, 'the totals are logged at stop');
    t.same(
      stopped!.interfaces.map((i) => i.interface),
      ifaces,
      'one line per interface',
    );
    const total = stopped!.interfaces.reduce((n, i) => n + Number(i.packets), 0);
    // each frame leaves one end and arrives at the other; a ring that is still starting may miss the first ones
    t.ok(total >= frames && total <= 2 * frames, `${total} frames counted for ${frames} sent, each seen at most twice`);
    for (const i of stopped!.interfaces)
      t.match(
        i,
        { kernelDropped: 0, interfaceDropped: 0, shedEvents: 0, error: null },
        `${String(i.interface)}: no drop`,
      );
  });
}

t.test(
  'when JavaScript falls behind, the capture thread sheds events and counts them, never blocks; the tunnel table stays whole',
  { skip },
  async (t) => {
    const { openCapture } = await import('../../src/native');
    const { makeToken, Rng } = await import('../../packages/tools/src/gen');
    const { ns, outside, inside } = vethIntoNamespace(t, 'gnps');
    const dir = tmpDir(t);
    const rng = new Rng(5);
    // part A: a subscriber attaches and sends 3000 tokens (3000 events, 12 batches of 256); part B: one more, no GTP-C
    const tokens = Array.from({ length: 3001 }, () => makeToken(rng, 26));
    const full = join(dir, 'full.pcap');
    phoneCapture(
      full,
      tokens.map((token) => ({ who: 0, token })),
    );
    const nFull = readCapture(readFileSync(full)).frames.length;
    const last = join(dir, 'last.pcap');
    phoneCapture(last, [{ who: 0, token: tokens[3000]! }]);
    const nLast = readCapture(readFileSync(last)).frames.length; // the create pair + one request
    const partA = join(dir, 'a.pcap');
    const partB = join(dir, 'b.pcap');
    split(full, nFull - (nLast - 2), partA, partB);

    // a queue of 2 batches that nobody reads while part A goes by
    const cap = openCapture({
      interfaces: [outside],
      carriers: ['query:pay_token'],
      live: { maxBatches: 2, flushMs: 20, bufferBytes: 8 << 20 },
    });
    t.teardown(() => cap.close());
    await new Promise((r) => setTimeout(r, 300)); // the capture thread is up
    sh('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', inside, '--topspeed', partA]);
    await until(
      () => (cap.captureStats()[0]?.packets ?? 0) >= nFull - (nLast - 2),
      30_000,
      'part A captured while JS reads nothing',
    );
    const during = cap.captureStats()[0]!;
    t.ok(
      during.shedEvents > 0 && during.shedBatches > 0,
      `shed ${during.shedEvents} events in ${during.shedBatches} batches`,
    );
    t.equal(during.kernelDropped, 0, 'the capture thread kept reading: no kernel drop');

    // JS catches up: what was queued, then part B, whose token resolves (the engine saw every packet)
    const seen: string[] = [];
    let resolvedLast: unknown = null;
    const reader = (async () => {
      for await (const batch of cap) {
        for (const e of batch) {
          if (e.type !== 'sighting') continue;
          seen.push(e.token);
          if (e.token === tokens[3000]) resolvedLast = e.msisdn;
        }
        if (resolvedLast) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    sh('ip', ['netns', 'exec', ns, 'tcpreplay', '-q', '-i', inside, '--topspeed', partB]);
    await Promise.race([reader, new Promise((r) => setTimeout(r, 30_000))]);
    t.equal(resolvedLast, msisdnOf(0), 'a token after the shedding resolves to the subscriber learned during it');
    const after = cap.captureStats()[0]!;
    t.equal(
      seen.length - 1 + after.shedEvents,
      3000,
      'every sighting of part A was either delivered or counted as shed',
    );
    await cap.close();
  },
);

t.test(
  'an interface that disappears is logged and shows as down; the others go on; when none is left the daemon exits 1',
  { skip },
  async (t) => {
    const a = vethIntoNamespace(t, 'gnda');
    const b = vethIntoNamespace(t, 'gndb');
    const dir = tmpDir(t);
    const db = join(dir, 'gnpay.db');
    const sp = JSON.parse(
      (await cli(['sp', 'add', '--db', db, '--confirmation', 'none', '--name', 'shop', '--json'])).stdout,
    );
    t.equal(
      (await cli(['ledger', 'credit', '--db', db, '--msisdn', msisdnOf(0), '--amount', '100', '--currency', 'EUR']))
        .code,
      0,
    );
    const order = JSON.parse(
      (
        await cli([
          'orders',
          'create',
          '--db',
          db,
          '--sp',
          sp.id,
          '--amount',
          '10',
          '--currency',
          'EUR',
          '--reference',
          'gone',
          '--json',
        ])
      ).stdout,
    );
    const d = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--ops-listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
      '--interface',
      a.outside,
      '--interface',
      b.outside,
    ]);
    t.equal(await metric(d.opsUrl!, 'gnpay_capture_up', `interface="${b.outside}"`), 1, 'captured');
    sh('ip', ['link', 'del', b.outside]); // its peer in the namespace goes with it
    const lost = await until(
      () => d.logs.find((l) => l.msg === 'capture stopped on an interface'),
      30_000,
      'the loss logged',
    );
    t.match(lost, { interface: b.outside, error: /disappeared|went down|No such device/ });
    t.equal(
      await metric(d.opsUrl!, 'gnpay_capture_up', `interface="${b.outside}"`),
      0,
      'gnpay_capture_up 0 for the lost interface',
    );
    t.equal(await metric(d.opsUrl!, 'gnpay_capture_up', `interface="${a.outside}"`), 1, 'the other one still captured');
    const file = join(dir, 'phone.pcap');
    phoneCapture(file, [{ who: 0, token: order.token }]);
    sh('ip', ['netns', 'exec', a.ns, 'tcpreplay', '-q', '-i', a.inside, file]);
    await until(
      async () => JSON.parse((await cli(['orders', 'show', order.id, '--db', db, '--json'])).stdout).status === 'paid',
      60_000,
      'paid through the remaining interface',
    );
    t.pass('paid through the remaining interface');
    sh('ip', ['link', 'del', a.outside]);
    t.same(await d.exited, { code: 1, signal: null }, 'no interface left: exit 1 (systemd restarts it)');
    t.match(
      d.stderr.join(''),
      new RegExp(`gnpay: capture failed: ${a.outside}: .*; ${b.outside}: `),
      'says which interfaces and why',
    );
    t.ok(d.logs.some((l) => l.msg === 'no interface is captured any more: stopping'));
  },
);

/** `gnpay run` as nobody with only CAP_NET_RAW and CAP_NET_ADMIN (what `gnpay systemd-unit` grants). */
async function spawnUnprivileged(t: Parameters<typeof spawnDaemon>[0], args: string[]): Promise<ChildDaemon> {
  return spawnDaemon(t, args, {
    wrap: [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all,+net_raw,+net_admin',
      '--ambient-caps=-all,+net_raw,+net_admin',
      '--bounding-set=-all,+net_raw,+net_admin',
    ],
  });
}
