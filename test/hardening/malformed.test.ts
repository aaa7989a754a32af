// Hostile inputs (hardening issue), end to end through the real CLI: lies in
// length fields, IE lengths past the message, extension-header loops,
// zero-length IEs, GTP inside GTP, a MSISDN with invalid TBCD digits, a pcapng
// block with a bad length. Each case is a small capture built from the
// generator's byte builders (src/gen): a legitimate subscriber sends a token
// before and after the hostile packets. `gnpay decode --jsonl` must exit as
// documented, count the damage under its anomaly name (native/decode/status.h),
// and print exactly the events the generator predicts for the legitimate
// traffic (so nothing is lost around the damage and nothing leaks out of it).
// Native unit tests cover the decoders byte by byte; fixtures/malformed.pcap
// has most of these cases in one file; this suite names one case each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import {
  apnBytes,
  createPdpRequest,
  createPdpResponse,
  createSessionRequest,
  DEFAULT_CARRIERS,
  expect,
  type ExpectedEvent,
  gpdu,
  gtp1,
  gtp2,
  httpRequest,
  httpResponse,
  ie2,
  IE1,
  IE2,
  IFACE,
  innerTcp,
  innerUdp,
  IPPROTO,
  ipUdp,
  ipv4,
  ipv6,
  LINKTYPE,
  makeToken,
  MemorySink,
  PcapngWriter,
  PcapWriter,
  Rng,
  Scenario,
  tbcd,
  tlv,
  udp,
  type UserPath,
  V1,
  V2,
} from '../../packages/tools/src/gen';
import type { Gn1Subscriber, S5Subscriber, Pdp } from '../../packages/tools/src/gen';
import { decodeJsonl, type DecodedJsonl } from '../helpers/cli';
import { eventLine } from '../../packages/tools/src/gen/output';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-malformed-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SGSN = { sgsnC: '192.0.2.10', sgsnU: '192.0.2.11' };
const GGSN = { ggsnC: '198.51.100.1', ggsnU: '198.51.100.2' };

function gnSub(n: number, extra: Partial<Gn1Subscriber> = {}): Gn1Subscriber {
  return {
    imsi: `26201123456${String(8000 + n).padStart(4, '0')}`,
    msisdn: `4915112${String(350000 + n).padStart(6, '0')}`,
    imei: `35349006987${String(40000 + n).padStart(5, '0')}`,
    apn: 'internet',
    ueIp: `10.46.0.${n + 2}`,
    ...SGSN,
    ...GGSN,
    ...extra,
  };
}

function s5Sub(n: number, extra: Partial<S5Subscriber> = {}): S5Subscriber {
  return {
    imsi: `26201765432${String(1000 + n).padStart(4, '0')}`,
    msisdn: `4917612${String(450000 + n).padStart(6, '0')}`,
    mei: `35349006987${String(50000 + n).padStart(5, '0')}`,
    apn: 'internet',
    ueIp: `10.47.0.${n + 2}`,
    iface: 's5',
    sgwC: '192.0.2.20',
    sgwU: '192.0.2.21',
    pgwC: '198.51.100.20',
    pgwU: '198.51.100.21',
    ...extra,
  };
}

/** What a case gets to build its hostile packets around a legitimate subscriber. */
interface Ctx {
  s: Scenario;
  /** the legitimate subscriber's context and its user path */
  legit: Pdp;
  path: UserPath;
  /** a fresh token */
  tok: () => string;
  /** an HTTP GET carrying `token` in the query on `p` (predicted: one sighting) */
  get: (p: UserPath, token: string) => void;
  /** a G-PDU payload: an HTTP request on the legitimate path, token-free unless given */
  innerReq: (token?: string) => Buffer;
  /** an outer UDP 2152 datagram from the legitimate SGSN to the GGSN, with IP / UDP overrides */
  up: (msg: Buffer, ipo?: Parameters<typeof ipUdp>[5], uo?: Parameters<typeof ipUdp>[6]) => number;
  /** an IP packet as it is, on Ethernet */
  raw: (ip: Buffer) => number;
}

interface Built {
  file: string;
  events: ExpectedEvent[];
}

let seq = 0;
/**
 * A pcap (µs, Ethernet): the legitimate subscriber attaches and sends a token,
 * `hostile` writes its packets, and the subscriber sends another token.
 */
function capture(name: string, hostile: (c: Ctx) => void): Built {
  const sink = new MemorySink();
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET, snaplen: 65535 });
  const s = new Scenario(w, { seed: 4242 + seq });
  const rng = new Rng(7000 + seq++);
  const tok = () => makeToken(rng, 24);
  const get = (p: UserPath, token: string) => {
    const f = s.tcp(p);
    f.request(httpRequest({ target: `/pay?pay_token=${token}`, host: 'pay.example.net' }), [expect(token, 'query')]);
    f.respond(httpResponse({ body: 'ok' }));
    f.close();
  };
  const legit = s.createPdp(gnSub(1))!;
  const lp = s.pdpPath(legit);
  const innerReq = (token?: string) =>
    innerTcp(
      lp.ueIp,
      '203.0.113.80',
      40001,
      80,
      httpRequest({
        target: token ? `/pay?pay_token=${token}` : '/index.html',
        host: token ? 'pay.example.net' : 'www.example.com',
      }),
      1,
      1,
      0x18,
    );
  const raw = (ip: Buffer) => s.frame(ip);
  const up: Ctx['up'] = (msg, ipo = {}, uo = {}) =>
    raw(ipUdp(lp.ran, lp.core, 2152, 2152, msg, { id: s.nextIpId(), ...ipo }, { noChecksum: true, ...uo }));
  get(lp, tok());
  hostile({ s, legit, path: lp, tok, get, innerReq, up, raw });
  get(lp, tok());
  w.close();
  const file = path.join(tmp, `${name}.pcap`);
  fs.writeFileSync(file, sink.bytes());
  return { file, events: s.events.map((e) => JSON.parse(eventLine(e))) };
}

type Decoded = DecodedJsonl;

function decode(file: string): Promise<Decoded> {
  return decodeJsonl(file, DEFAULT_CARRIERS);
}

function anomaly(d: Decoded, name: string): number {
  return (d.stats.anomalies?.[name] as number | undefined) ?? 0;
}

/** exit 0, nothing on stderr, each anomaly of `names` counted exactly that many times, and exactly the predicted events */
function check(t: Test, d: Decoded, b: Built, names: Record<string, number>): void {
  t.equal(d.status, 0, 'exit 0');
  t.equal(d.stderr, '', 'nothing on stderr');
  t.equal(d.stats.type, 'stats', 'a stats line');
  for (const [name, n] of Object.entries(names)) t.equal(anomaly(d, name), n, `${name} counted ${n} time(s)`);
  t.same(d.events, b.events, 'exactly the predicted events of the legitimate traffic');
  const sightings = b.events.filter((e) => e.type === 'sighting');
  t.ok(sightings.length >= 2, `${sightings.length} predicted sightings`);
  t.equal(d.stats.sightings, sightings.length, 'no other sighting');
}

// ------------------------------------------------------------------ lies in length fields

t.test('lies in length fields', async (t) => {
  t.test('IPv4 total length below the header length', async (t) => {
    const b = capture('ipv4-total-length', (c) => {
      c.up(gpdu(c.path.teidUp, c.innerReq()), { totalLength: 12 });
    });
    check(t, await decode(b.file), b, { 'ipv4.bad_total_length': 1 });
  });

  t.test('UDP length below 8 and past the IP payload', async (t) => {
    const b = capture('udp-length', (c) => {
      c.up(gpdu(c.path.teidUp, c.innerReq()), {}, { length: 4 });
      c.up(gpdu(c.path.teidUp, c.innerReq()), {}, { length: 1200 });
    });
    check(t, await decode(b.file), b, { 'udp.bad_length': 2 });
  });

  t.test('GTP-U length past the datagram', async (t) => {
    const b = capture('gtpu-length', (c) => {
      c.up(gtp1(V1.G_PDU, c.innerReq(), { teid: c.path.teidUp, length: 900 }));
    });
    check(t, await decode(b.file), b, { 'gtpu.bad_length': 1 });
  });

  t.test('IPv6 payload length shorter than its extension header', async (t) => {
    const b = capture('ipv6-payload-length', (c) => {
      // Destination Options header (8 octets), then UDP; the payload length says 4
      const dest = Buffer.alloc(8);
      dest[0] = IPPROTO.UDP;
      const body = Buffer.concat([
        dest,
        udp('2001:db8::10', '2001:db8::20', 2152, 2152, gpdu(c.path.teidUp, c.innerReq())),
      ]);
      c.raw(ipv6('2001:db8::10', '2001:db8::20', 60, body, { payloadLength: 4 }));
    });
    check(t, await decode(b.file), b, { 'ipv6.bad_payload_length': 1 });
  });

  t.test('GTPv1-C length past the datagram: the request is refused, its answer makes no session', async (t) => {
    const victim = gnSub(2);
    const b = capture('gtpv1c-length', (c) => {
      const req = createPdpRequest({
        seq: 0x7101,
        imsi: victim.imsi,
        teidData: 0x1111,
        teidCp: 0x2222,
        nsapi: 5,
        pdpType: 'ipv4',
        apn: 'internet',
        gsnSignalling: SGSN.sgsnC,
        msisdn: victim.msisdn!,
      });
      req.writeUInt16BE(req.readUInt16BE(2) + 100, 2);
      c.s.gtpc(SGSN.sgsnC, GGSN.ggsnC, req, {}, false);
      c.s.gtpc(
        GGSN.ggsnC,
        SGSN.sgsnC,
        createPdpResponse({
          seq: 0x7101,
          teid: 0x2222,
          cause: 128,
          teidData: 0x3333,
          teidCp: 0x4444,
          ueV4: '10.46.9.9',
          gsnSignalling: GGSN.ggsnC,
          gsnUser: GGSN.ggsnU,
        }),
        {},
        false,
      );
    });
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv1c.bad_length': 1, 'gtpv1c.unmatched_response': 1 });
    t.notOk(
      d.events.some((e) => e.imsi === victim.imsi),
      'no session for the lying request',
    );
  });

  t.test('GTPv2-C length past the datagram', async (t) => {
    const b = capture('gtpv2c-length', (c) => {
      const s5 = s5Sub(1);
      const req = createSessionRequest({
        seq: 0x300,
        imsi: s5.imsi,
        msisdn: s5.msisdn!,
        apn: 'internet',
        senderC: { iface: IFACE.S5C_SGW, teid: 0x5555, addr: s5.sgwC },
        bearers: [{ ebi: 5, fteids: [] }],
      });
      req.writeUInt16BE(req.readUInt16BE(2) + 64, 2);
      c.s.gtpc(s5.sgwC, s5.pgwC, req, {}, false);
    });
    check(t, await decode(b.file), b, { 'gtpv2c.bad_length': 1 });
  });
});

// ------------------------------------------------------------------ IE lengths past the message

t.test('IE lengths past the message', async (t) => {
  t.test('GTPv1-C: the last IE of a Create PDP Context Request runs past the message', async (t) => {
    const victim = gnSub(3);
    const b = capture('gtpv1c-ie-past', (c) => {
      const req = createPdpRequest({
        seq: 0x7201,
        imsi: victim.imsi,
        teidData: 0x1111,
        teidCp: 0x2222,
        nsapi: 5,
        pdpType: 'ipv4',
        apn: 'internet',
        gsnSignalling: SGSN.sgsnC,
        msisdn: victim.msisdn!,
      });
      // a PCO IE announcing 40 octets with 4 present; the header length covers what is there
      const cut = Buffer.concat([req, tlv(IE1.PCO, Buffer.alloc(4), 40)]);
      cut.writeUInt16BE(cut.length - 8, 2);
      c.s.gtpc(SGSN.sgsnC, GGSN.ggsnC, cut, {}, false);
      c.s.gtpc(
        GGSN.ggsnC,
        SGSN.sgsnC,
        createPdpResponse({
          seq: 0x7201,
          teid: 0x2222,
          cause: 128,
          teidData: 0x3333,
          teidCp: 0x4444,
          ueV4: '10.46.9.9',
          gsnSignalling: GGSN.ggsnC,
          gsnUser: GGSN.ggsnU,
        }),
        {},
        false,
      );
    });
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv1c.ie_bad_length': 1 });
    t.notOk(
      d.events.some((e) => e.imsi === victim.imsi),
      'no session from a request that lies',
    );
  });

  t.test('GTPv2-C: a top-level IE runs past the message', async (t) => {
    const b = capture('gtpv2c-ie-past', (c) => {
      const s5 = s5Sub(2);
      const ies = Buffer.concat([ie2(IE2.IMSI, tbcd(s5.imsi)), ie2(IE2.APN, apnBytes('internet'), 0, 60)]);
      c.s.gtpc(s5.sgwC, s5.pgwC, gtp2(V2.CREATE_SESSION_REQ, ies, { seq: 0x301, teid: 0 }), {}, false);
    });
    check(t, await decode(b.file), b, { 'gtpv2c.ie_bad_length': 1 });
  });

  t.test('GTPv2-C: an IE inside a Bearer Context runs past the group', async (t) => {
    const b = capture('gtpv2c-grouped-ie-past', (c) => {
      const s5 = s5Sub(3);
      const inner = Buffer.concat([ie2(IE2.EBI, Buffer.from([5])), ie2(IE2.FTEID, Buffer.alloc(9), 2, 200)]);
      const ies = Buffer.concat([
        ie2(IE2.IMSI, tbcd(s5.imsi)),
        ie2(IE2.APN, apnBytes('internet')),
        ie2(IE2.BEARER_CONTEXT, inner),
      ]);
      c.s.gtpc(s5.sgwC, s5.pgwC, gtp2(V2.CREATE_SESSION_REQ, ies, { seq: 0x302, teid: 0 }), {}, false);
    });
    check(t, await decode(b.file), b, { 'gtpv2c.ie_bad_length': 1 });
  });
});

// ------------------------------------------------------------------ extension-header loops

t.test('extension-header loops', async (t) => {
  t.test('GTP-U extension header of length 0 (a naive walker never advances)', async (t) => {
    const b = capture('gtpu-ext-zero', (c) => {
      c.up(gpdu(c.path.teidUp, c.innerReq(), { ext: [{ type: 0xc0, content: Buffer.from([0, 1]), lengthField: 0 }] }));
    });
    check(t, await decode(b.file), b, { 'gtpu.ext_header_zero_length': 1 });
  });

  t.test('GTP-U: 65 extension headers, one more than the generous bound', async (t) => {
    const b = capture('gtpu-ext-chain', (c) => {
      c.up(
        gpdu(c.path.teidUp, c.innerReq(), {
          ext: Array.from({ length: 65 }, () => ({ type: 0xc0, content: Buffer.from([0, 1]) })),
        }),
      );
    });
    check(t, await decode(b.file), b, { 'gtpu.ext_header_chain_too_long': 1 });
  });

  t.test('GTPv1-C extension header of length 0', async (t) => {
    const b = capture('gtpv1c-ext-zero', (c) => {
      const echo = gtp1(V1.ECHO_REQUEST, Buffer.alloc(0), {
        teid: 0,
        seq: 9,
        ext: [{ type: 0xc0, content: Buffer.from([0, 1]), lengthField: 0 }],
      });
      c.s.gtpc(SGSN.sgsnC, GGSN.ggsnC, echo, {}, false);
    });
    check(t, await decode(b.file), b, { 'gtpv1c.bad_ext_header': 1 });
  });

  t.test('outer IPv6: 20 Destination Options headers, each naming another', async (t) => {
    const b = capture('ipv6-ext-chain', (c) => {
      const chain: Buffer[] = [];
      for (let i = 0; i < 20; i++) {
        const h = Buffer.alloc(8);
        h[0] = i < 19 ? 60 : IPPROTO.UDP;
        chain.push(h);
      }
      const body = Buffer.concat([
        ...chain,
        udp('2001:db8::10', '2001:db8::20', 2152, 2152, gpdu(c.path.teidUp, c.innerReq())),
      ]);
      c.raw(ipv6('2001:db8::10', '2001:db8::20', 60, body));
    });
    check(t, await decode(b.file), b, { 'ipv6.too_many_ext_headers': 1 });
  });
});

// ------------------------------------------------------------------ zero-length IEs

t.test('zero-length IEs', async (t) => {
  t.test('GTPv1-C: a zero-length MSISDN: the session comes out without MSISDN and resolves its token', async (t) => {
    const sub = gnSub(4);
    const b = capture('gtpv1c-zero-msisdn', (c) => {
      const z = c.s.createPdp(sub, { msisdnRaw: Buffer.alloc(0) })!;
      c.get(c.s.pdpPath(z), c.tok());
    });
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv1c.ie_bad_length': 1 });
    const imsi = sub.imsi;
    t.same(
      d.events.filter((e) => e.imsi === imsi).map((e) => [e.type, e.msisdn, e.resolvedBy ?? null]),
      [
        ['session', null, null],
        ['sighting', null, 'teid'],
      ],
      'session without MSISDN; its sighting resolved by TEID',
    );
  });

  t.test('GTPv1-C: a zero-length PCO is allowed (no anomaly), the session comes out', async (t) => {
    const b = capture('gtpv1c-zero-pco', (c) => {
      const z = c.s.createPdp(gnSub(5), { pco: Buffer.alloc(0) })!;
      c.get(c.s.pdpPath(z), c.tok());
    });
    const d = await decode(b.file);
    check(t, d, b, {});
    t.same(d.stats.anomalies, {}, 'nothing counted');
  });

  t.test('GTPv2-C: a zero-length MSISDN', async (t) => {
    const s5 = s5Sub(4, { msisdn: '' });
    const b = capture('gtpv2c-zero-msisdn', (c) => {
      const pdn = c.s.createSession(s5)!;
      c.get(c.s.bearerPath(pdn), c.tok());
    });
    // the model repeats the (empty) MSISDN it was given; on the wire there is none
    for (const e of b.events) if (e.imsi === s5.imsi) (e as { msisdn: string | null }).msisdn = null;
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv2c.ie_bad_length': 1 });
    t.ok(
      d.events.some((e) => e.type === 'sighting' && e.imsi === s5.imsi && e.resolvedBy === 'teid'),
      'its token resolved by TEID',
    );
  });
});

// ------------------------------------------------------------------ GTP inside GTP

t.test('GTP inside GTP: a G-PDU carrying a G-PDU with a token request', async (t) => {
  let hidden = '';
  const b = capture('gtp-in-gtp', (c) => {
    hidden = c.tok();
    const nested = gpdu(0x12345678, c.innerReq(hidden));
    const ue = c.path.ueIp;
    c.up(
      gpdu(
        c.path.teidUp,
        ipv4(ue, '198.51.100.200', IPPROTO.UDP, udp(ue, '198.51.100.200', 2152, 2152, nested), { id: 77 }),
      ),
    );
    // and GTP-C inside the tunnel
    const ctrl = createPdpRequest({
      seq: 1,
      imsi: '262019999999993',
      teidData: 1,
      teidCp: 2,
      nsapi: 5,
      pdpType: 'ipv4',
      apn: 'internet',
      gsnSignalling: ue,
    });
    c.up(gpdu(c.path.teidUp, innerUdp(ue, '198.51.100.201', 2123, 2123, ctrl)));
  });
  const d = await decode(b.file);
  check(t, d, b, { 'gtpu.nested_tunnel': 2 });
  t.notOk(
    d.events.some((e) => e.token === hidden),
    'the token inside the inner tunnel is not reported',
  );
  t.notOk(
    d.events.some((e) => e.imsi === '262019999999993'),
    'GTP-C inside the tunnel changes nothing',
  );
});

// ------------------------------------------------------------------ MSISDN with invalid TBCD digits

t.test('a MSISDN with invalid TBCD digits', async (t) => {
  t.test('GTPv1-C: a 0xA digit', async (t) => {
    const sub = gnSub(6);
    const b = capture('gtpv1c-bad-tbcd', (c) => {
      const bm = c.s.createPdp(sub, { msisdnRaw: Buffer.from([0x91, 0x94, 0x51, 0xa1, 0x23, 0x45, 0x67]) })!;
      c.get(c.s.pdpPath(bm), c.tok());
    });
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv1c.bad_tbcd': 1 });
    t.same(
      d.events.filter((e) => e.imsi === sub.imsi).map((e) => [e.type, e.msisdn, e.imsi]),
      [
        ['session', null, sub.imsi],
        ['sighting', null, sub.imsi],
      ],
      'the session keeps its IMSI, without MSISDN',
    );
  });

  t.test('GTPv1-C: a digit after the filler', async (t) => {
    const sub = gnSub(7);
    const b = capture('gtpv1c-tbcd-after-filler', (c) => {
      const bm = c.s.createPdp(sub, { msisdnRaw: Buffer.from([0x91, 0x94, 0xf1, 0x23]) })!;
      c.get(c.s.pdpPath(bm), c.tok());
    });
    check(t, await decode(b.file), b, { 'gtpv1c.bad_tbcd': 1 });
  });

  t.test('GTPv2-C: a 0xB digit', async (t) => {
    const s5 = s5Sub(5, { msisdn: '4917612b45' });
    const b = capture('gtpv2c-bad-tbcd', (c) => {
      const pdn = c.s.createSession(s5)!;
      c.get(c.s.bearerPath(pdn), c.tok());
    });
    for (const e of b.events) if (e.imsi === s5.imsi) (e as { msisdn: string | null }).msisdn = null;
    const d = await decode(b.file);
    check(t, d, b, { 'gtpv2c.bad_tbcd': 1 });
    t.ok(
      d.events.some((e) => e.type === 'session' && e.imsi === s5.imsi && e.msisdn === null),
      'session without MSISDN',
    );
  });
});

// ------------------------------------------------------------------ pcapng block with a bad length

/**
 * A damaged block length ends the file: nothing after it can be framed, so
 * it is not an anomaly counter but a capture error: exit 3, the file offset
 * and packet on stderr, everything before the damage printed (with the stats
 * line), nothing after it.
 */
t.test('a pcapng block with a bad length', async (t) => {
  const damages: [string, (at: number) => Buffer, RegExp][] = [
    [
      'total length 13: below the minimum for a packet, not a multiple of 4',
      () => epb(13),
      /pcapng block length not a multiple of 4/,
    ],
    ['total length 8: below 12', () => epb(8), /pcapng block length below 12/],
    ['total length and its trailing copy differ', () => epb(64, 60), /does not match its trailing copy/],
    ['total length past the end of the file', () => epb(1 << 20), /runs past the end of the file/],
    ['captured length past the end of its block', () => epb(64, 64, 200), /packet data runs past its block/],
  ];
  /** an Enhanced Packet Block of `len` octets (trailing copy `trail`), captured length `caplen` */
  function epb(len: number, trail = len, caplen = 20): Buffer {
    const b = Buffer.alloc(64);
    b.writeUInt32LE(6, 0);
    b.writeUInt32LE(len, 4);
    b.writeUInt32LE(0, 8);
    b.writeUInt32LE(caplen, 20);
    b.writeUInt32LE(caplen, 24);
    b.writeUInt32LE(trail, 60);
    return b;
  }
  for (const [i, [what, make, message]] of damages.entries()) {
    t.test(what, async (t) => {
      const sink = new MemorySink();
      const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET }] });
      const s = new Scenario(w, { seed: 9100 + i });
      const rng = new Rng(9200 + i);
      const legit = s.createPdp(gnSub(8))!;
      const lp = s.pdpPath(legit);
      const before = makeToken(rng, 24);
      const f = s.tcp(lp);
      f.request(httpRequest({ target: `/pay?pay_token=${before}`, host: 'pay.example.net' }), [
        expect(before, 'query'),
      ]);
      f.close();
      const offset = w.offset;
      const packet = w.packets + 1;
      w.raw(make(offset));
      // after the damage: a request with a token that must never be read
      const after = makeToken(rng, 24);
      const tail = s.tcp(lp, { handshake: false });
      tail.request(httpRequest({ target: `/pay?pay_token=${after}`, host: 'pay.example.net' }), []);
      w.close();
      const expected = s.events.filter((e) => e.packet < packet).map((e) => JSON.parse(JSON.stringify(e)));
      const file = path.join(tmp, `pcapng-bad-length-${i}.pcapng`);
      fs.writeFileSync(file, sink.bytes());

      const d = await decode(file);
      t.equal(d.status, 3, 'exit 3: corrupt capture');
      t.match(d.stderr, message, 'says what is wrong');
      t.match(d.stderr, `file offset ${offset}`, 'says where');
      t.match(d.stderr, `packet ${packet}`, 'says which packet it would have been');
      t.equal(d.stats.type, 'stats', 'the stats line is still printed');
      t.equal(d.stats.packets, packet - 1, 'every packet before the damage decoded');
      t.same(d.events, expected, 'the events before the damage, as predicted');
      t.ok(
        d.events.some((e) => e.token === before),
        'the token before the damage is reported',
      );
      t.notOk(
        d.events.some((e) => e.token === after),
        'nothing after the damage is read',
      );
    });
  }
});
