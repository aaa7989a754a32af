// Capture filters and MPLS, end to end through the real CLI.
//
// Why these captures are odd: the same Gn traffic travels under every
// encapsulation a mirror port hands over (plain, 802.1Q, QinQ, one and two MPLS
// labels, MPLS under VLAN tags, outer IPv4 fragments under all of them) with
// non-GTP noise around it. Live capture relies on the default BPF filter
// keeping every GTP frame whatever the encapsulation and nothing else; a
// filter that silently misses one encapsulation loses those subscribers'
// payments, and no live test would notice. Replaying these captures with
// `gnpay decode --filter "<the default live filter>"` runs the very BPF program
// libpcap runs live, so the filter is proved here frame by frame.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  DEFAULT_CARRIERS,
  ETHERTYPE,
  ethernet,
  expect,
  httpRequest,
  httpResponse,
  ipUdp,
  ipTcp,
  LINKTYPE,
  makeToken,
  MemorySink,
  PcapWriter,
  Rng,
  Scenario,
  TCP,
} from '../../packages/tools/src/gen';
import type { Gn1Subscriber, Transport } from '../../packages/tools/src/gen';
import { defaultLiveFilter } from '../../src/native';
import { decodeJsonl, gnpayHere } from '../helpers/cli';
import { eventLine } from '../../packages/tools/src/gen/output';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-filter-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function gnSub(n: number): Gn1Subscriber {
  return {
    imsi: `26201123456${String(7000 + n).padStart(4, '0')}`,
    msisdn: `4915112${String(360000 + n).padStart(6, '0')}`,
    imei: `35349006987${String(30000 + n).padStart(5, '0')}`,
    apn: 'internet',
    ueIp: `10.48.0.${n + 2}`,
    sgsnC: '192.0.2.10',
    sgsnU: '192.0.2.11',
    ggsnC: '198.51.100.1',
    ggsnU: '198.51.100.2',
  };
}

const ENCAPSULATIONS: Array<[string, Transport]> = [
  ['plain', {}],
  ['802.1Q', { vlans: [100] }],
  ['QinQ', { vlans: [100, 200], qinq: true }],
  ['one MPLS label', { mpls: [16] }],
  ['two MPLS labels', { mpls: [16, 17] }],
  ['MPLS under a VLAN tag', { vlans: [300], mpls: [18] }],
  ['two MPLS labels under QinQ', { vlans: [100, 200], qinq: true, mpls: [16, 17] }],
  ['outer fragments', { mtu: 120 }],
  ['outer fragments under a VLAN tag', { vlans: [100], mtu: 120 }],
  ['outer fragments under an MPLS label', { mpls: [16], mtu: 120 }],
];

interface Built {
  file: string;
  events: unknown[];
  noise: number;
  packets: number;
}

/** Per encapsulation a subscriber attaches and pays; non-GTP noise under the same encapsulations. */
function build(name: string, linktype: number): Built {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, { linktype, snaplen: 65535 });
  const s = new Scenario(w, { seed: 99 });
  const rng = new Rng(1234);
  const encs =
    linktype === LINKTYPE.ETHERNET ? ENCAPSULATIONS : ENCAPSULATIONS.filter(([, tt]) => !tt.vlans && !tt.mpls);
  let noise = 0;
  encs.forEach(([, tt], i) => {
    const pdp = s.createPdp(gnSub(i), { t: tt })!;
    const p = s.pdpPath(pdp, tt);
    const token = makeToken(rng, 26);
    const f = s.tcp(p);
    f.request(
      httpRequest({
        target: `/pay?pay_token=${token}`,
        host: 'pay.example.net',
        headers: [['X-Padding', 'x'.repeat(80)]],
      }),
      [expect(token, 'query')],
    );
    f.respond(httpResponse({ body: 'ok' }));
    f.close();
    // noise under the same encapsulation: web traffic outside any tunnel, DNS, SIP
    const { mtu: _mtu, ...link } = tt;
    s.frame(
      ipTcp(
        '203.0.113.5',
        '198.51.100.80',
        40000 + i,
        80,
        httpRequest({ target: `/pay?pay_token=${makeToken(rng, 26)}`, host: 'pay.example.net' }),
        { seq: 1, flags: TCP.ACK | TCP.PSH },
      ),
      link,
    );
    s.frame(ipUdp('203.0.113.5', '198.51.100.53', 5353, 53, Buffer.from('noise')), link);
    s.frame(ipUdp('203.0.113.5', '198.51.100.60', 5060, 5060, Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n')), link);
    noise += 3;
  });
  if (linktype === LINKTYPE.ETHERNET) {
    // ARP, and a pseudowire (Ethernet over MPLS: control word, then a frame)
    s.rawFrame(ethernet(Buffer.from('0001080006040001', 'hex'), {}, ETHERTYPE.ARP));
    const inner = ethernet(ipUdp('192.0.2.11', '198.51.100.2', 2152, 2152, Buffer.alloc(16)));
    s.rawFrame(ethernet(Buffer.concat([Buffer.alloc(4), inner]), { mpls: [20] }, ETHERTYPE.IPV4));
    noise += 2;
  }
  w.close();
  const file = path.join(tmp, `${name}.pcap`);
  fs.writeFileSync(file, sink.bytes());
  return { file, events: s.events.map((e) => JSON.parse(eventLine(e))), noise, packets: w.packets };
}

function decode(file: string, extra: string[] = []) {
  return decodeJsonl(file, DEFAULT_CARRIERS, extra);
}

t.test('Ethernet: every encapsulation decodes, and the default live filter keeps exactly the GTP frames', async (t) => {
  const b = build('ethernet', LINKTYPE.ETHERNET);
  const all = await decode(b.file);
  t.equal(all.status, 0);
  t.same(all.events, b.events, 'without a filter: the predicted sessions and sightings, MPLS ones included');
  t.equal(
    all.events.filter((e) => e.type === 'sighting').length,
    ENCAPSULATIONS.length,
    'one payment per encapsulation',
  );
  t.equal(all.stats.packets, b.packets);
  t.same(all.stats.anomalies, { 'link.mpls_not_ip': 1 }, 'the pseudowire is counted, nothing else is odd');
  t.notOk('filtered' in all.stats, 'no filter, no filtered count');

  const filter = defaultLiveFilter(LINKTYPE.ETHERNET);
  t.match(filter, /0x8847/, 'MPLS stacks are in it');
  const f = await decode(b.file, ['--filter', filter]);
  t.equal(f.status, 0, f.stderr);
  t.same(f.events, b.events, 'the default live filter loses no GTP frame under any encapsulation');
  t.equal(f.stats.filtered, b.noise, 'and keeps none of the noise');
  t.equal(f.stats.packets, b.packets - b.noise);
  t.same(f.stats.anomalies, {}, 'the pseudowire frame was left out by the filter');

  const text = await gnpayHere(['decode', b.file, '--stats', '--no-progress', '-f', 'udp port 2123']);
  t.equal(text.status, 0);
  t.match(text.stdout, /left out by --filter +\d+/);
});

t.test(
  'Linux cooked captures (e.g. "any"): the default filter has no VLAN or MPLS part and keeps the GTP frames',
  async (t) => {
    for (const lt of [LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2]) {
      const filter = defaultLiveFilter(lt);
      t.notMatch(filter, /vlan|0x8847/, `link type ${lt}`);
      const b = build(`sll-${lt}`, lt);
      const f = await decode(b.file, ['--filter', filter]);
      t.equal(f.status, 0, f.stderr);
      t.same(f.events, b.events, `link type ${lt}: nothing lost`);
      t.equal(f.stats.filtered, b.noise);
    }
    t.throws(() => defaultLiveFilter(-1), TypeError);
  },
);

t.test(
  'bad filters: a syntax error is a usage error before reading, a link type it cannot apply to stops the file',
  async (t) => {
    const b = build('eth-errors', LINKTYPE.ETHERNET);
    const bad = await gnpayHere(['decode', b.file, '--filter', 'udp prt 53']);
    t.equal(bad.status, 2);
    t.match(bad.stderr, /filter "udp prt 53" on link type 1: .*syntax error/);
    t.equal(bad.stdout, '', 'nothing decoded');
    const sll = build('sll-errors', LINKTYPE.LINUX_SLL);
    const vlan = await decode(sll.file, ['--filter', 'vlan']);
    t.equal(vlan.status, 3, 'exit 3: the capture cannot be read as asked');
    t.match(vlan.stderr, /filter "vlan" on link type 113: .*VLAN.* at file offset 24 \(packet 1\)/);
    const long = await gnpayHere(['decode', b.file, '--filter', 'x'.repeat(70000)]);
    t.equal(long.status, 2);
    t.equal(long.stderr, 'gnpay: filter must be a BPF expression of at most 65536 characters\n');
  },
);
