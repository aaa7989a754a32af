// `gnpay decode --imsi/--msisdn/--ue-ip --write FILE`: the pcapng it writes,
// opened by tshark, holds exactly the selected subscribers' frames. The truth
// comes from the generator's expected events (fixtures/*.expected.jsonl: each
// subscriber's IMSI and tunnel TEIDs) turned into a tshark display filter over
// the original capture: every frame carrying the IMSI (the Create request)
// or addressed to one of the TEIDs (GTP-C and GTP-U), with its timestamp,
// length and link type. A rejected Create (no session, no event) is written
// with its response when its IMSI or MSISDN is selected.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { LINKTYPE, PcapngWriter, Scenario, sinkFor, type S5Subscriber } from '../../packages/tools/src/gen';
import { FIXTURES, gnpay, type Json } from '../helpers/cli';

const hasTshark = spawnSync('tshark', ['--version']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-write-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectedSessions(fixture: string): Json[] {
  return fs
    .readFileSync(path.join(FIXTURES, fixture.replace(/\.(pcap|pcapng)$/, '.expected.jsonl')), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"session"'))
    .map((l) => JSON.parse(l));
}

/** timestamp, length and link type of each frame tshark shows (a frame without a timestamp, an SPB, is written at 0). */
function frames(file: string, filter?: string): string[] {
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.encap_type'];
  if (filter) args.push('-Y', filter);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [ts, len, encap] = l.split('\t');
      return `${ts === '' ? '0.000000000' : ts} ${len} ${encap}`;
    });
}

/**
 * The tshark filter for the frames of these subscribers: by IMSI in the
 * message, TEID in the header, and the outer IP id of the fragmented
 * datagrams among them (tshark shows the GTP header on the reassembled one only).
 */
function truthFilter(input: string, sessions: Json[]): string {
  const imsis = [...new Set(sessions.map((s) => s.imsi as string))];
  const teids = [...new Set(sessions.flatMap((s) => (s.tunnels as Json[]).map((x) => x.teid as number)))];
  const direct = [
    ...imsis.map((i) => `e212.imsi == "${i}"`),
    ...teids.flatMap((x) => [`gtp.teid == ${x}`, `gtpv2.teid == ${x}`]),
  ].join(' || ');
  const r = spawnSync(
    'tshark',
    ['-r', input, '-Y', `(${direct}) && (ip.flags.mf == 1 || ip.frag_offset > 0)`, '-T', 'fields', '-e', 'ip.id'],
    { encoding: 'utf8' },
  );
  const ids = [
    ...new Set(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(',')[0]),
    ),
  ];
  return [direct, ...ids.map((id) => `ip.id == ${id}`)].join(' || ');
}

const cases: { fixture: string; args: string[]; pick: (s: Json) => boolean; why: string }[] = [
  {
    fixture: 'gn-basic.pcap',
    args: ['--imsi', '262011234567002'],
    pick: (s) => s.imsi === '262011234567002',
    why: 'GTPv1 over Ethernet, one of 3 subscribers by IMSI',
  },
  {
    fixture: 'gn-ipv6.pcapng',
    args: ['--ue-ip', '2001:db8:1:31::1', '--msisdn', '4915112340032'],
    pick: (s) => s.msisdn === '4915112340031' || s.msisdn === '4915112340032',
    why: 'two subscribers (by IPv6 UE address and by MSISDN) over IPv6 and IPv4 transport, Linux SLL and SLL2 interfaces',
  },
  {
    fixture: 'gn-transport.pcap',
    args: ['--imsi', '262011234567021'],
    pick: (s) => s.imsi === '262011234567021',
    why: 'fragmented outer packets (in order, and the last fragment first), VLAN and QinQ tags',
  },
  {
    fixture: 's5-gtpv2.pcapng',
    args: ['--msisdn', '+491701000001'],
    pick: (s) => s.msisdn === '491701000001',
    why: 'GTPv2 on S5/S8: dedicated bearers created and deleted, shared control tunnels',
  },
];

for (const c of cases) {
  t.test(`${c.fixture}: ${c.why}`, { skip: hasTshark ? false : 'tshark is not installed' }, async (t) => {
    const input = path.join(FIXTURES, c.fixture);
    const out = path.join(dir, `${c.fixture}.selected.pcapng`);
    const r = await gnpay(['decode', input, '--jsonl', '--no-progress', ...c.args, '--write', out]);
    t.equal(r.status, 0, r.stderr);
    const selected = expectedSessions(c.fixture).filter(c.pick);
    t.ok(selected.length > 0);
    const want = frames(input, truthFilter(input, selected));
    const got = frames(out);
    t.match(r.stderr, new RegExp(`wrote ${got.length} frames of the selected subscribers`));
    t.ok(want.length >= 10, `${want.length} frames of the selected subscribers in the capture`);
    if (c.fixture === 'gn-transport.pcap') {
      // a last fragment captured before its first is written after it
      t.same([...got].sort(), [...want].sort(), 'exactly their frames, with their timestamps, lengths and link types');
    } else t.same(got, want, 'exactly their frames, in capture order, with their timestamps, lengths and link types');
    // and tshark finds no other subscriber in the file
    const imsis = new Set(
      spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'e212.imsi', '-Y', 'e212.imsi'], { encoding: 'utf8' })
        .stdout.split(/\s+/)
        .filter(Boolean),
    );
    t.same([...imsis].sort(), [...new Set(selected.map((s) => s.imsi))].sort(), 'the IMSIs in the written file');
    // the printed events are the selected subscribers' only
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const stats = events.pop();
    t.equal(stats.type, 'stats');
    t.ok(events.length > 0);
    const msisdns = new Set(selected.map((s) => s.msisdn));
    t.ok(
      events.every((e) => msisdns.has(e.msisdn)),
      'only their events are printed',
    );
  });
}

// A Create that the GGSN / PGW rejects creates no session, so no event names
// its subscriber: the request is selected by the IMSI or MSISDN it carries,
// and the response that answers it (same sequence number) follows it.
const rejectedCases: {
  name: string;
  make: () => string;
  args: string[];
  imsi: string;
  request: string;
  response: string;
  cause: string;
}[] = [
  {
    name: 'gn-lifecycle.pcapng: GTPv1, cause 199',
    make: () => path.join(FIXTURES, 'gn-lifecycle.pcapng'),
    args: ['--imsi', '262011234567013'],
    imsi: '262011234567013',
    request: 'gtp.message == 0x10',
    response: 'gtp.message == 0x11',
    cause: 'gtp.cause',
  },
  {
    name: 'a generated S5/S8 capture: GTPv2, cause 73 (no resources), by MSISDN',
    make: () => {
      const out = path.join(dir, 'rejected-v2.pcapng');
      const w = new PcapngWriter(sinkFor(out), { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's5s8' }] });
      const s = new Scenario(w, { seed: 7 });
      const sub = (n: number): S5Subscriber => ({
        imsi: `00101000000${String(n).padStart(4, '0')}`,
        msisdn: `4917010${String(n).padStart(5, '0')}`,
        apn: 'internet',
        ueIp: `10.60.0.${n}`,
        iface: 's5',
        sgwC: '192.0.2.50',
        sgwU: '192.0.2.51',
        pgwC: '198.51.100.50',
        pgwU: '198.51.100.51',
      });
      s.createSession(sub(1));
      s.createSession(sub(2), { cause: 73 });
      s.createSession(sub(3));
      w.close();
      return out;
    },
    args: ['--msisdn', '491701000002'],
    imsi: '001010000000002',
    request: 'gtpv2.message_type == 32',
    response: 'gtpv2.message_type == 33',
    cause: 'gtpv2.cause',
  },
];

for (const c of rejectedCases) {
  t.test(
    `a rejected Create of a selected subscriber is written with its response: ${c.name}`,
    { skip: hasTshark ? false : 'tshark is not installed' },
    async (t) => {
      const input = c.make();
      const out = path.join(dir, `rejected-${c.imsi}.pcapng`);
      const r = await gnpay(['decode', input, '--stats', '--no-progress', ...c.args, '--write', out]);
      t.equal(r.status, 0, r.stderr);
      t.match(r.stderr, /wrote 2 frames of the selected subscribers/);
      // the truth: the request carrying the IMSI and the response tshark pairs with it
      const req = spawnSync(
        'tshark',
        ['-r', input, '-Y', `e212.imsi == "${c.imsi}" && ${c.request}`, '-T', 'fields', '-e', 'frame.number'],
        { encoding: 'utf8' },
      ).stdout.trim();
      t.match(req, /^\d+$/, `one request of ${c.imsi} in the capture`);
      const want = frames(
        input,
        `frame.number == ${req} || (${c.response} && (gtp.response_to == ${req} || gtpv2.response_to == ${req}))`,
      );
      t.equal(want.length, 2);
      t.same(frames(out), want, 'the request and its response, with their timestamps, lengths and link types');
      const seen = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'e212.imsi', '-e', c.cause], {
        encoding: 'utf8',
      })
        .stdout.trim()
        .split('\n');
      t.equal(seen[0]!.split('\t')[0], c.imsi, 'tshark reads the request and its IMSI');
      t.notMatch(
        seen[1]!.split('\t')[1],
        /^(128|16)$/,
        `tshark reads the rejecting cause (${seen[1]!.split('\t')[1]})`,
      );
    },
  );
}
