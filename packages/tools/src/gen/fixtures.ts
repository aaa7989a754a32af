// The committed fixtures (fixtures/*.pcap[ng]): small captures, each odd in
// its own way (fixtures/README.md says how), with the events gnpay must output.
import { httpRequest, httpResponse, tlsClientHello } from './app';
import { ipv4Bytes, makeToken, Rng } from './bytes';
import {
  createPdpRequest,
  gpdu,
  gtp1,
  gtp1cEchoRequest,
  gtp1cEchoResponse,
  gtpuEchoRequest,
  gtpuEchoResponse,
  gtpuEndMarker,
  gtpuErrorIndication,
  IE1,
  msisdnV1,
  tlv,
  V1,
} from './gtp';
import { type ExpectedEvent } from './model';
import { ethernet, IPPROTO, ipUdp, ipv4, LINKTYPE, udp } from './net';
import { DEFAULT_CARRIERS, type GenResult, sinkFor } from './output';
import {
  expect,
  type Gn1Subscriber,
  headLength,
  innerTcp,
  innerUdp,
  Scenario,
  type ScenarioOptions,
  type S5Subscriber,
  type UserPath,
} from './scenario';
import { dnsQuery } from './app';
import { type ByteSink, type CaptureWriter, MemorySink, PcapngWriter, PcapWriter } from './writer';
import {
  bearerBounds,
  dualStack,
  handover,
  manySockets,
  networkInitiated,
  piggyback,
  s11S5Mirror,
  sgwRelocation,
  tcpApps,
  volteMultiPdn,
} from './fixtures-tracker';

export interface FixtureOptions {
  /** write the capture here (else it is returned in `capture`) */
  out?: string;
  seed?: number;
}

function finish(s: Scenario, sink: ByteSink, extra: Record<string, unknown> = {}): GenResult {
  s.w.close();
  const stats = { carriers: [...DEFAULT_CARRIERS], ...s.expectedStats(), ...extra };
  return { capture: sink instanceof MemorySink ? sink.bytes() : undefined, events: s.events, stats };
}

const SGSN_A = { sgsnC: '192.0.2.10', sgsnU: '192.0.2.11' };
const GGSN_A = { ggsnC: '198.51.100.1', ggsnU: '198.51.100.2' };

function gnSub(n: number, extra: Partial<Gn1Subscriber> = {}): Gn1Subscriber {
  return {
    imsi: `26201123456${String(7000 + n).padStart(4, '0')}`,
    msisdn: `4915112${String(340000 + n).padStart(6, '0')}`,
    imei: `35349006987${String(30000 + n).padStart(5, '0')}`,
    apn: 'internet',
    ueIp: `10.45.${Math.floor(n / 250)}.${(n % 250) + 2}`,
    ...SGSN_A,
    ...GGSN_A,
    ...extra,
  };
}

/** GET request + 200 response + close on a new connection; returns the flow's request bytes */
function httpGet(
  s: Scenario,
  path: UserPath,
  req: Parameters<typeof httpRequest>[0],
  expects: ReturnType<typeof expect>[],
  body = 'ok',
) {
  const f = s.tcp(path);
  f.request(httpRequest(req), expects);
  f.respond(httpResponse({ body }));
  f.close();
  return f;
}

// ---------------------------------------------------------------- 1. gn-basic

/**
 * pcap µs little-endian Ethernet. Three GTPv1 subscribers; every carrier
 * (query, path, host via HTTP Host / DNS / TLS SNI, header, cookie) and every
 * negative (downlink response with a token, DNS response with a token, POST
 * body with a request line in it, a downlink request-looking packet, invalid
 * token characters, a 15-character value, an `evilpay` suffix).
 */
export function gnBasic(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: o.seed ?? 1001 });
  const rng = new Rng(o.seed ?? 1001);
  const tok = (host = false) => makeToken(rng, 24, host);

  // path management first, as on a real Gn link
  s.gtpc(SGSN_A.sgsnC, GGSN_A.ggsnC, gtp1cEchoRequest(1));
  s.gtpc(GGSN_A.ggsnC, SGSN_A.sgsnC, gtp1cEchoResponse(1, 3));
  s.gtpuMsg(SGSN_A.sgsnU, GGSN_A.ggsnU, gtpuEchoRequest(2));
  s.gtpuMsg(GGSN_A.ggsnU, SGSN_A.sgsnU, gtpuEchoResponse(2, 3));

  const a = s.createPdp(gnSub(1))!;
  const b = s.createPdp(gnSub(2, { imei: null }))!;
  const c = s.createPdp(gnSub(3, { apn: 'web.operator.example' }))!;
  const pa = s.pdpPath(a);
  const pb = s.pdpPath(b);
  const pc = s.pdpPath(c);

  // query carrier
  const t1 = tok();
  s.dnsQuery(pa, 'pay.example.net');
  s.dnsResponse(pa, 'pay.example.net', ['203.0.113.80']);
  httpGet(s, pa, { target: `/pay?pay_token=${t1}&sp=42`, host: 'pay.example.net' }, [expect(t1, 'query')]);
  // path carrier
  const t2 = tok();
  httpGet(s, pa, { target: `/pay/${t2}`, host: 'pay.example.net' }, [expect(t2, 'path')]);
  // host carrier via the HTTP Host header (mixed case: reported lower-case)
  const t3 = tok(true).toUpperCase().slice(0, 12) + tok(true).slice(12);
  httpGet(s, pb, { target: '/', host: `${t3}.pay.example.net` }, [expect(t3, 'host')]);
  // host carrier via a DNS query (A and AAAA: two queries, two sightings)
  const t4 = tok(true);
  s.dnsQuery(pb, `${t4}.pay.example.net`, { expects: [expect(t4, 'host', 'dns')] });
  s.dnsQuery(pb, `${t4}.pay.example.net`, { expects: [expect(t4, 'host', 'dns')], qtype: 28 });
  // host carrier via TLS SNI
  const t5 = tok(true);
  {
    const f = s.tcp(pb, { dport: 443 });
    const ch = tlsClientHello({ sni: `${t5}.pay.example.net`, rng });
    f.send(ch, { heads: [{ end: ch.length, expects: [expect(t5, 'host', 'tls-sni')] }] });
    f.respond(Buffer.alloc(90, 0x16));
    f.close();
  }
  // header carrier
  const t6 = tok();
  httpGet(s, pc, { target: '/api/v1/charge', host: 'sp.example.org', headers: [['X-Pay-Token', t6]] }, [
    expect(t6, 'header'),
  ]);
  // cookie carrier
  const t7 = tok();
  httpGet(
    s,
    pc,
    { target: '/basket', host: 'sp.example.org', headers: [['Cookie', `session=abc123; pay_token=${t7}; lang=de`]] },
    [expect(t7, 'cookie')],
  );
  // the same token in two carriers of one request: one sighting (query comes first)
  const t8 = tok();
  httpGet(s, pc, { target: `/pay?pay_token=${t8}`, host: 'pay.example.net', headers: [['X-Pay-Token', t8]] }, [
    expect(t8, 'query'),
    expect(t8, 'header'),
  ]);

  // a POST (form body) whose head carries the token in a header
  const t9 = tok();
  {
    const f = s.tcp(pc);
    f.request(
      httpRequest({
        method: 'POST',
        target: '/api/v1/confirm',
        host: 'sp.example.org',
        headers: [
          ['X-Pay-Token', t9],
          ['Content-Type', 'application/x-www-form-urlencoded'],
        ],
        body: 'amount=199&currency=EUR',
      }),
      [expect(t9, 'header')],
    );
    f.respond(httpResponse({ body: 'confirmed' }));
    f.close();
  }

  // ---- negatives
  // a downlink response carrying a token (redirect + body): nothing
  const n1 = tok();
  {
    const f = s.tcp(pa);
    f.request(httpRequest({ target: '/start', host: 'sp.example.org' }), []);
    f.respond(
      httpResponse({
        status: 302,
        reason: 'Found',
        headers: [['Location', `http://pay.example.net/pay?pay_token=${n1}`]],
        body: `<a href="/pay/${n1}">pay</a>`,
      }),
    );
    f.close();
  }
  // a DNS response naming a token host: nothing
  const n2 = tok(true);
  s.dnsResponse(pb, `${n2}.pay.example.net`, ['203.0.113.81']);
  // a POST whose body holds a request line with a token: the POST counts, the body does not
  const n3 = tok();
  {
    const inner = httpRequest({ target: `/pay?pay_token=${n3}`, host: 'pay.example.net' });
    const post = httpRequest({
      method: 'POST',
      target: '/upload',
      host: 'sp.example.org',
      body: inner,
      headers: [['Content-Type', 'text/plain']],
    });
    const f = s.tcp(pc);
    f.request(post, []);
    f.respond(httpResponse({ status: 201, reason: 'Created' }));
    f.close();
  }
  // a downlink packet that looks like a request: nothing (it arrives at a downlink endpoint)
  const n4 = tok();
  {
    const f = s.tcp(pa, { dport: 8080 });
    f.downRequestLike(httpRequest({ target: `/pay?pay_token=${n4}`, host: 'pay.example.net' }), [expect(n4, 'query')]);
    f.close();
  }
  // a value with a character outside [A-Za-z0-9_-]: not a token (token.invalid_value)
  httpGet(s, pa, { target: '/pay?pay_token=Abcdefgh.ijklmnopq7', host: 'pay.example.net' }, []);
  // a 15-character value: too short to be a token
  httpGet(s, pa, { target: '/pay?pay_token=abcdefghijklmno', host: 'pay.example.net' }, []);
  // a token under evilpay.example.net: not on a label boundary of pay.example.net
  const n5 = tok(true);
  httpGet(s, pb, { target: '/', host: `${n5}.evilpay.example.net` }, []);
  s.dnsQuery(pb, `${n5}.evilpay.example.net`);
  // a token in a query parameter that is not the carrier's name
  const n6 = tok();
  httpGet(s, pc, { target: `/pay?other_token=${n6}`, host: 'pay.example.net' }, []);

  return finish(s, sink, { anomaliesNonZero: ['token.invalid_value'] });
}

// ---------------------------------------------------------------- 2. gn-lifecycle

/**
 * pcapng, one Ethernet interface. Secondary context, SGSN change, rejected
 * Create, delete then token, TEID reuse by a new subscriber, replacement of a
 * context by a second Create for the same IMSI + NSAPI.
 */
export function gnLifecycle(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 'gn0' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1002 });
  const rng = new Rng(o.seed ?? 1002);
  const tok = () => makeToken(rng, 32);
  const get = (p: UserPath, t: string) =>
    httpGet(s, p, { target: `/pay?pay_token=${t}`, host: 'pay.example.net' }, [expect(t, 'query')]);

  // D: primary + secondary context (each with its own user tunnel)
  const d = s.createPdp(gnSub(11))!;
  const d2 = s.createPdp(d.sub, { nsapi: 6, secondaryOf: d })!;
  get(s.pdpPath(d), tok());
  get(s.pdpPath(d2), tok());

  // E: SGSN change; before and after both resolve, a late packet on the old tunnel resolves by UE address
  const e = s.createPdp(gnSub(12, { sgsnC: '192.0.2.20', sgsnU: '192.0.2.21' }))!;
  const oldPath = s.pdpPath(e);
  get(oldPath, tok());
  s.updatePdp(e, { sgsnC: '192.0.2.30', sgsnU: '192.0.2.31', ggsnTeidU: s.teid() });
  get(s.pdpPath(e), tok());
  s.dnsQuery(oldPath, 'late.pay.example.net');
  const late = tok();
  {
    const f = s.tcp(oldPath, { handshake: false });
    f.request(httpRequest({ target: `/pay?pay_token=${late}`, host: 'pay.example.net' }), [expect(late, 'query')]);
  }

  // F: rejected Create (cause 199, no resources): no session
  s.createPdp(gnSub(13), { cause: 199 });

  // G: delete, then a token on its old tunnel: unresolved
  const gSub = gnSub(14);
  const g = s.createPdp(gSub)!;
  const gPath = s.pdpPath(g);
  get(gPath, tok());
  s.deletePdp(g);
  get(gPath, tok());

  // H: a new subscriber gets G's TEIDs (and GSN addresses) back: resolves to H
  const h = s.createPdp(gnSub(15), {
    sgsnTeidC: g.sgsnTeidC,
    sgsnTeidU: g.sgsnTeidU,
    ggsnTeidC: g.ggsnTeidC,
    ggsnTeidU: g.ggsnTeidU,
  })!;
  get(s.pdpPath(h), tok());

  // I: a second Create for the same IMSI + NSAPI replaces the first (delete, then create);
  // the old tunnel then resolves only by UE address (same address re-assigned)
  const iSub = gnSub(16);
  const i1 = s.createPdp(iSub)!;
  const i1Path = s.pdpPath(i1);
  const i2 = s.createPdp(iSub)!;
  get(s.pdpPath(i2), tok());
  get(i1Path, tok());

  // J: a request with only one GSN Address (the user plane uses the signalling address)
  const j = s.createPdp(gnSub(17, { sgsnC: '192.0.2.40' }), { singleGsn: true })!;
  get(s.pdpPath(j), tok());

  // user-plane messages that are not G-PDUs
  s.gtpuMsg(GGSN_A.ggsnU, SGSN_A.sgsnU, gtpuErrorIndication(7, 0x0badf00d, GGSN_A.ggsnU));
  s.gtpuMsg(SGSN_A.sgsnU, GGSN_A.ggsnU, gtpuEndMarker(e.ggsnTeidU));

  // D goes with the Teardown Indicator: primary then secondary
  s.deletePdp(d, { teardown: true });
  // and E by its primary NSAPI
  s.deletePdp(e);

  return finish(s, sink);
}

// ---------------------------------------------------------------- 3. gn-transport

/**
 * pcap µs LE Ethernet. Outer IPv4 fragments (in order and reversed), 802.1Q
 * and QinQ, a request head split over 3 segments delivered out of order, a
 * retransmitted overlap, keep-alive, pipelining, a flow without SYN, a POST
 * body followed by a request on the same connection, a ClientHello over two
 * segments.
 */
export function gnTransport(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: o.seed ?? 1003 });
  const rng = new Rng(o.seed ?? 1003);
  const tok = () => makeToken(rng, 40);
  const frag = { mtu: 1500 };
  const vlan = { vlans: [100] };
  const qinq = { vlans: [200, 300], qinq: true };

  const t1 = s.createPdp(gnSub(21))!;
  const t2 = s.createPdp(gnSub(22), { t: vlan })!;
  const t3 = s.createPdp(gnSub(23), { t: qinq })!;
  const p1 = s.pdpPath(t1);
  const p2 = s.pdpPath(t2, vlan);
  const p3 = s.pdpPath(t3, qinq);
  // exactly 1460 bytes: one segment, a 1500-byte inner packet, a 1536-byte outer one
  const big = (t: string) => {
    const mk = (n: number) =>
      httpRequest({
        target: `/pay?pay_token=${t}`,
        host: 'pay.example.net',
        headers: [['Cookie', `tracking=${'x'.repeat(n)}`]],
      });
    return mk(1460 - mk(0).length);
  };

  // a 1500-byte inner packet: the outer IPv4 packet is fragmented (in order, then reversed)
  for (const reverse of [false, true]) {
    const t = tok();
    const f = s.tcp(p1);
    f.request(big(t), [expect(t, 'query')], { cuts: [1460], t: { ...frag, reverseFragments: reverse } });
    f.close();
  }
  // 802.1Q and QinQ
  {
    const t = tok();
    const f = s.tcp(p2);
    f.request(httpRequest({ target: `/pay/${t}`, host: 'pay.example.net' }), [expect(t, 'path')]);
    f.close();
    const u = tok();
    const g = s.tcp(p3);
    g.request(httpRequest({ target: `/pay/${u}`, host: 'pay.example.net' }), [expect(u, 'path')]);
    g.close();
  }
  // a head in 3 segments, delivered 1, 3, 2: completed by the 2nd segment (written last)
  {
    const t = tok();
    const req = httpRequest({
      target: `/pay?pay_token=${t}`,
      host: 'pay.example.net',
      headers: [['X-Extra', 'y'.repeat(60)]],
    });
    const f = s.tcp(p1);
    f.request(req, [expect(t, 'query')], { cuts: [40, 120], order: [0, 2, 1] });
    f.close();
  }
  // retransmission: a segment that overlaps what came before, then the rest
  {
    const t = tok();
    const req = httpRequest({
      target: `/pay?pay_token=${t}`,
      host: 'pay.example.net',
      headers: [['X-Extra', 'z'.repeat(60)]],
    });
    const f = s.tcp(p1);
    f.request(req, [expect(t, 'query')], { cuts: [50, 110], retransmit: [{ after: 1, from: 30, to: 110 }] });
    f.close();
  }
  // keep-alive: two requests on one connection, each with a token
  {
    const f = s.tcp(p2);
    for (let k = 0; k < 2; k++) {
      const t = tok();
      f.request(
        httpRequest({
          target: `/pay?pay_token=${t}`,
          host: 'pay.example.net',
          headers: [['Connection', 'keep-alive']],
        }),
        [expect(t, 'query')],
      );
      f.respond(httpResponse({ body: 'paid' }));
    }
    f.close();
  }
  // pipelining: two requests in one segment
  {
    const ta = tok();
    const tb = tok();
    const r1 = httpRequest({ target: `/pay?pay_token=${ta}`, host: 'pay.example.net' });
    const r2 = httpRequest({ target: `/pay/${tb}`, host: 'pay.example.net' });
    const f = s.tcp(p3);
    f.send(Buffer.concat([r1, r2]), {
      heads: [
        { end: r1.length, expects: [expect(ta, 'query')] },
        { end: r1.length + r2.length, expects: [expect(tb, 'path')] },
      ],
    });
    f.respond(Buffer.concat([httpResponse({ body: 'a' }), httpResponse({ body: 'b' })]));
    f.close();
  }
  // a flow first seen mid-stream (no SYN)
  {
    const t = tok();
    const f = s.tcp(p1, { handshake: false });
    f.request(httpRequest({ target: `/pay?pay_token=${t}`, host: 'pay.example.net' }), [expect(t, 'query')]);
  }
  // a POST with a body (split over two segments), then a request on the same connection
  {
    const t = tok();
    const bogus = tok();
    const post = httpRequest({
      method: 'POST',
      target: '/form',
      host: 'sp.example.org',
      body: `GET /pay?pay_token=${bogus} HTTP/1.1\r\nHost: pay.example.net\r\n\r\n`,
    });
    const next = httpRequest({ target: `/pay?pay_token=${t}`, host: 'pay.example.net' });
    const f = s.tcp(p2);
    const hl = headLength(post);
    f.send(Buffer.concat([post, next]), {
      cuts: [hl + 10, post.length],
      heads: [
        { end: hl, expects: [] },
        { end: post.length + next.length, expects: [expect(t, 'query')] },
      ],
    });
    f.close();
  }
  // a TLS ClientHello with a post-quantum key share: two segments
  {
    const t = makeToken(rng, 20, true);
    const ch = tlsClientHello({ sni: `${t}.pay.example.net`, pq: true, rng });
    const f = s.tcp(p1, { dport: 443 });
    f.send(ch, { cuts: [1360], heads: [{ end: ch.length, expects: [expect(t, 'host', 'tls-sni')] }] });
    f.close();
  }
  // MPLS (RFC 3032) on the mirror: two labels under an 802.1Q tag on GTP-C and
  // GTP-U, then one label over fragmented outer packets
  {
    const mpls2 = { vlans: [400], mpls: [1000, 2000] };
    const t4 = s.createPdp(gnSub(24), { t: mpls2 })!;
    const p4 = s.pdpPath(t4, mpls2);
    const t = tok();
    const f = s.tcp(p4);
    f.request(httpRequest({ target: `/pay?pay_token=${t}`, host: 'pay.example.net' }), [expect(t, 'query')]);
    f.close();
    const mplsFrag = { mpls: [3000], mtu: 1500 };
    const u = tok();
    const g = s.tcp(s.pdpPath(t4, { mpls: [3000] }));
    g.request(big(u), [expect(u, 'query')], { cuts: [1460], t: mplsFrag });
    g.close();
  }
  return finish(s, sink);
}

// ---------------------------------------------------------------- 4. gn-ipv6

/**
 * pcapng with two sections (the second big-endian): Linux SLL (µs) and SLL2
 * (ns if_tsresol) interfaces, outer IPv6 GTP transport, inner IPv6 UEs, an
 * IPv4v6 End User Address, SPBs for packets that produce nothing.
 */
export function gnIpv6(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, {
    interfaces: [
      { linktype: LINKTYPE.LINUX_SLL, name: 'any' },
      { linktype: LINKTYPE.LINUX_SLL2, tsresol: 9, name: 'gn6' },
    ],
  });
  const s = new Scenario(w, { seed: o.seed ?? 1004, startNsec: 123_456_789, stepNs: 1_000_333 });
  const rng = new Rng(o.seed ?? 1004);
  const tok = () => makeToken(rng, 28);
  const sll2 = { iface: 1 };
  const v6core = { sgsnC: '2001:db8:a::10', sgsnU: '2001:db8:a::11', ggsnC: '2001:db8:b::1', ggsnU: '2001:db8:b::2' };

  // SPB: GTP-U echo on interface 0 (no timestamp, produces nothing)
  s.gtpuMsg(v6core.sgsnU, v6core.ggsnU, gtpuEchoRequest(9), { spb: true });
  s.gtpuMsg(v6core.ggsnU, v6core.sgsnU, gtpuEchoResponse(9, 1), { spb: true });

  // IPv6-only UE over IPv6 GTP transport, on the SLL2 (ns) interface
  const u6 = s.createPdp(gnSub(31, { ...v6core, ueIp: null, ueIpv6: '2001:db8:1:31::1' }), { t: sll2 })!;
  const p6 = s.pdpPath(u6, sll2);
  const t1 = tok();
  httpGet(s, p6, { target: `/pay?pay_token=${t1}`, host: 'pay.example.net' }, [expect(t1, 'query')]);
  const h1 = makeToken(rng, 20, true);
  s.dnsQuery(p6, `${h1}.pay.example.net`, { expects: [expect(h1, 'host', 'dns')], qtype: 28 });
  // the same UE from another interface ID of its /64 on a tunnel gnpay does not know: resolves by UE /64
  const other: UserPath = { ...p6, ueIp: '2001:db8:1:31:a:b:c:d', teidUp: 0x66660001, teidDown: 0x66660002 };
  const t2 = tok();
  httpGet(s, other, { target: `/pay/${t2}`, host: 'pay.example.net' }, [expect(t2, 'path')]);

  // IPv4v6 End User Address on the SLL (µs) interface, IPv4 GTP transport
  const d = s.createPdp(gnSub(32, { ueIp: '10.46.0.32', ueIpv6: '2001:db8:2:32::1' }))!;
  const t3 = tok();
  httpGet(s, s.pdpPath(d), { target: `/pay?pay_token=${t3}`, host: 'pay.example.net' }, [expect(t3, 'query')]);
  const t4 = tok();
  httpGet(s, s.pdpPath(d, undefined, true), { target: `/pay?pay_token=${t4}`, host: 'pay.example.net' }, [
    expect(t4, 'query'),
  ]);
  // a downlink ACK-only exchange written as SPB
  s.udpData(s.pdpPath(d), 'down', '203.0.113.99', 4500, 4500, Buffer.alloc(40, 0), { spb: true });

  // second section, big-endian, interfaces renumbered: SLL2 (ns) is now interface 0
  w.section({
    bigEndian: true,
    interfaces: [
      { linktype: LINKTYPE.LINUX_SLL2, tsresol: 9, name: 'gn6' },
      { linktype: LINKTYPE.LINUX_SLL, name: 'any' },
    ],
  });
  const sec2 = { iface: 0 };
  const p6b = s.pdpPath(u6, sec2);
  const t5 = tok();
  httpGet(s, p6b, { target: '/checkout', host: 'sp.example.org', headers: [['Cookie', `pay_token=${t5}`]] }, [
    expect(t5, 'cookie'),
  ]);
  s.deletePdp(u6, { t: sec2 });
  s.deletePdp(d, { t: { iface: 1 } });
  return finish(s, sink);
}

// ---------------------------------------------------------------- 5. s5-gtpv2

/**
 * pcapng Ethernet. GTPv2: an S5/S8 Create Session with MSISDN/MEI/PAA and
 * bearer contexts, Modify Bearer, Create Bearer (dedicated), Delete Bearer,
 * Delete Session; an S11 session whose eNodeB F-TEID arrives by Modify Bearer;
 * an IPv4v6 PAA.
 */
export function s5Gtpv2(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET, name: 's5s8' }] });
  const s = new Scenario(w, { seed: o.seed ?? 1005 });
  const rng = new Rng(o.seed ?? 1005);
  const tok = () => makeToken(rng, 24);
  const nodes = { sgwC: '192.0.2.50', sgwU: '192.0.2.51', pgwC: '198.51.100.50', pgwU: '198.51.100.51' };
  const sub = (n: number, x: Partial<S5Subscriber> = {}): S5Subscriber => ({
    imsi: `00101000000${String(n).padStart(4, '0')}`,
    msisdn: `4917010${String(n).padStart(5, '0')}`,
    mei: `35693803564${String(n).padStart(5, '0')}`,
    apn: 'internet.mnc001.mcc001.gprs',
    ueIp: `10.60.0.${n}`,
    iface: 's5',
    ...nodes,
    ...x,
  });
  const get = (p: UserPath, t: string) =>
    httpGet(s, p, { target: `/pay?pay_token=${t}`, host: 'pay.example.net' }, [expect(t, 'query')]);

  const p = s.createSession(sub(1))!;
  get(s.bearerPath(p), tok());
  // SGW user-plane relocation: a new S5/S8-U SGW F-TEID
  s.modifyBearer(p, { downAddr: '192.0.2.52' });
  get(s.bearerPath(p), tok());
  // dedicated bearer 6, used, then deleted
  const b6 = s.createBearer(p, { ebi: 6 });
  get(s.bearerPath(p, b6), tok());
  s.deleteBearer(p, [6]);
  // dedicated bearer 7 stays until Delete Session
  const b7 = s.createBearer(p, { ebi: 7 });
  const h7 = makeToken(rng, 20, true);
  s.dnsQuery(s.bearerPath(p, b7), `${h7}.pay.example.net`, { expects: [expect(h7, 'host', 'dns')] });

  // S11: MME -> SGW; the eNodeB's S1-U F-TEID comes with Modify Bearer
  const q = s.createSession(
    sub(2, {
      iface: 's11',
      mmeC: '192.0.2.60',
      sgwC: '192.0.2.61',
      sgwU: '192.0.2.62',
      enbU: '192.0.2.70',
      apn: 'ims',
    }),
  )!;
  s.modifyBearer(q);
  get(s.bearerPath(q), tok());

  // IPv4v6 PAA
  const r = s.createSession(sub(3, { ueIpv6: '2001:db8:60::3', msisdn: null }))!;
  const t6 = tok();
  httpGet(s, s.bearerPath(r, undefined, undefined, true), { target: `/pay/${t6}`, host: 'pay.example.net' }, [
    expect(t6, 'path'),
  ]);

  s.deleteSession(p);
  s.deleteSession(q);
  s.deleteSession(r);
  get(s.bearerPath(r), tok()); // after delete: unresolved
  return finish(s, sink);
}

// ---------------------------------------------------------------- 6. no-gtpc

/**
 * pcap ns big-endian, Ethernet. Tokens on tunnels without GTP-C (unresolved),
 * the UE-address fallback (a session known on one TEID, traffic on another),
 * an address held by two sessions (unresolved), timestamps with sub-µs parts
 * (truncated, not rounded) and two packets with the same timestamp.
 */
export function noGtpc(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET, nanos: true, bigEndian: true });
  const s = new Scenario(w, { seed: o.seed ?? 1006, startNsec: 999_999_999, stepNs: 1_000_999 });
  const rng = new Rng(o.seed ?? 1006);
  const tok = () => makeToken(rng, 30);

  const unknown: UserPath = {
    ran: '192.0.2.80',
    core: '198.51.100.80',
    teidUp: 0x0000abcd,
    teidDown: 0x0000dcba,
    ueIp: '100.64.0.7',
  };
  const t1 = tok();
  httpGet(s, unknown, { target: `/pay?pay_token=${t1}`, host: 'pay.example.net' }, [expect(t1, 'query')]);
  const h1 = makeToken(rng, 18, true);
  s.dnsQuery(unknown, `${h1}.pay.example.net`, { expects: [expect(h1, 'host', 'dns')] });
  // the same clock reading twice
  s.stepNs = 0;
  s.dnsResponse(unknown, `${h1}.pay.example.net`, ['203.0.113.80']);
  s.stepNs = 1_000_999;
  const t2 = tok();
  httpGet(s, unknown, { target: '/', host: 'sp.example.org', headers: [['x-pay-token', t2]] }, [expect(t2, 'header')]);

  // a known session; its UE sends on a TEID gnpay has not seen: resolved by UE address
  const k = s.createPdp(gnSub(41))!;
  const kp = s.pdpPath(k);
  const t3 = tok();
  httpGet(s, { ...kp, teidUp: 0x00c0ffee, teidDown: 0x00eeff0c }, { target: `/pay/${t3}`, host: 'pay.example.net' }, [
    expect(t3, 'path'),
  ]);

  // two sessions (two APNs) holding the same private address: traffic on an unknown TEID stays unresolved
  const m1 = s.createPdp(gnSub(42, { ueIp: '10.200.0.1', apn: 'internet' }))!;
  const m2 = s.createPdp(gnSub(43, { ueIp: '10.200.0.1', apn: 'corporate.example' }))!;
  const t4 = tok();
  httpGet(
    s,
    { ...s.pdpPath(m1), teidUp: 0x00777777, teidDown: 0x00888888 },
    { target: `/pay?pay_token=${t4}`, host: 'pay.example.net' },
    [expect(t4, 'query')],
  );
  // ... while each one's own tunnel resolves by TEID
  const t5 = tok();
  httpGet(s, s.pdpPath(m2), { target: `/pay?pay_token=${t5}`, host: 'pay.example.net' }, [expect(t5, 'query')]);
  return finish(s, sink);
}

// ---------------------------------------------------------------- 7. malformed

/** a GTPv0 header (TS 09.60 s6): 20 octets, TID */
function gtpv0(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x1e; // version 0, PT 1, spare 111, SNN 0
  h[1] = type;
  h.writeUInt16BE(body.length, 2);
  h.writeUInt16BE(1, 4); // seq
  h.writeUInt16BE(0, 6); // flow label
  h[8] = 0xff;
  Buffer.from([0x42, 0x00, 0x01, 0x21, 0x43, 0x65, 0x87, 0xf9]).copy(h, 12); // TID (IMSI + NSAPI)
  return Buffer.concat([h, body]);
}

/**
 * pcap µs LE Ethernet. Lies in length fields, IE length past the message, a
 * zero-length IE, GTP-U extension headers of length 0 and a chain of 65, GTP
 * inside GTP, a MSISDN with an invalid TBCD digit, GTPv0, GTP', DNS on 2152,
 * snaplen-cut packets. Expected events are only what must still come out.
 */
export function malformed(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET, snaplen: 65535 });
  const s = new Scenario(w, { seed: o.seed ?? 1007 });
  const rng = new Rng(o.seed ?? 1007);
  const tok = () => makeToken(rng, 24);
  const get = (p: UserPath, t: string) =>
    httpGet(s, p, { target: `/pay?pay_token=${t}`, host: 'pay.example.net' }, [expect(t, 'query')]);

  const m = s.createPdp(gnSub(51))!;
  const mp = s.pdpPath(m);
  get(mp, tok());
  // packets that lie carry no token (a lenient decoder may still read them: no event either way),
  // except where the token is unreachable (nested tunnel, cut inside the inner header)
  const innerReq = (t?: string) =>
    innerTcp(
      mp.ueIp,
      '203.0.113.80',
      40001,
      80,
      httpRequest({
        target: t ? `/pay?pay_token=${t}` : '/index.html',
        host: t ? 'pay.example.net' : 'www.example.com',
      }),
      1,
      1,
      0x18,
    );
  const raw = (ip: Buffer, t = {}) => s.frame(ip, t);
  const up = (msg: Buffer, ipo = {}, uo = {}) =>
    raw(ipUdp(mp.ran, mp.core, 2152, 2152, msg, { id: s.nextIpId(), ...ipo }, { noChecksum: true, ...uo }));

  // IPv4 total length smaller than the header (ipv4.bad_total_length)
  up(gpdu(mp.teidUp, innerReq()), { totalLength: 12 });
  // IPv4 total length larger than the frame, frame complete on the wire
  up(gpdu(mp.teidUp, innerReq()), { totalLength: 1400 });
  s.model.counters.requests++; // read leniently: the engine counts its (tokenless) request, which numbers the next ones
  // UDP length 4 (< 8) and UDP length past the IP payload (udp.bad_length)
  up(gpdu(mp.teidUp, innerReq()), {}, { length: 4 });
  up(gpdu(mp.teidUp, innerReq()), {}, { length: 1200 });
  // GTP-U length past the datagram (gtpu.bad_length)
  up(gtp1(V1.G_PDU, innerReq(), { teid: mp.teidUp, length: 900 }));
  // extension header with length 0 (gtpu.ext_header_zero_length)
  up(gpdu(mp.teidUp, innerReq(), { ext: [{ type: 0xc0, content: Buffer.from([0, 1]), lengthField: 0 }] }));
  // a chain of 65 extension headers, past the generous bound of 64 (gtpu.ext_header_chain_too_long)
  up(
    gpdu(mp.teidUp, innerReq(), {
      ext: Array.from({ length: 65 }, () => ({ type: 0xc0, content: Buffer.from([0, 1]) })),
    }),
  );
  // GTP inside GTP: the inner packet is a G-PDU on UDP 2152 carrying a token request (gtpu.nested_tunnel)
  {
    const nested = gpdu(0x12345678, innerReq(tok()));
    up(
      gpdu(
        mp.teidUp,
        ipv4(mp.ueIp, '198.51.100.200', IPPROTO.UDP, udp(mp.ueIp, '198.51.100.200', 2152, 2152, nested), { id: 77 }),
      ),
    );
  }
  // a Create PDP Context Request whose last IE runs past the message (never answered)
  {
    const req = createPdpRequest({
      seq: 0x7001,
      imsi: '262019999999991',
      teidData: 0x1111,
      teidCp: 0x2222,
      nsapi: 5,
      pdpType: 'ipv4',
      apn: 'internet',
      gsnSignalling: SGSN_A.sgsnC,
      msisdn: '491519999991',
    });
    const cut = Buffer.concat([req, tlv(IE1.PCO, Buffer.alloc(4), 40)]);
    cut.writeUInt16BE(cut.length - 8, 2);
    s.gtpc(SGSN_A.sgsnC, GGSN_A.ggsnC, cut, {}, false);
  }
  // a zero-length IE (PCO) in an otherwise good Create: the session must still come out
  const z = s.createPdp(gnSub(52), { pco: Buffer.alloc(0) })!;
  get(s.pdpPath(z), tok());
  // a MSISDN with an invalid TBCD digit: the session comes out without MSISDN (gtpv1c.bad_tbcd)
  const badMsisdn = Buffer.from([0x91, 0x94, 0x51, 0xa1, 0x23, 0x45, 0x67]);
  const bm = s.createPdp(gnSub(53), { msisdnRaw: badMsisdn })!;
  get(s.pdpPath(bm), tok());
  // GTPv0 on 3386 (gtp.v0_unsupported) and GTP' on 3386 (gtp.prime_unsupported)
  raw(
    ipUdp(SGSN_A.sgsnC, GGSN_A.ggsnC, 3386, 3386, gtpv0(16, Buffer.from([0x0e, 0x01, 0x0f, 0xfc])), {
      id: s.nextIpId(),
    }),
  );
  {
    const prime = Buffer.alloc(6 + 4);
    prime[0] = 0x4e; // version 2, PT 0 (GTP'), 6-octet header
    prime[1] = 240; // Data Record Transfer Request
    prime.writeUInt16BE(4, 2);
    prime.writeUInt16BE(1, 4);
    raw(ipUdp('192.0.2.90', '192.0.2.91', 3386, 3386, prime, { id: s.nextIpId() }));
  }
  // a DNS query on UDP 2152 (first octet 0x4d: version 2)
  raw(ipUdp('192.0.2.95', '192.0.2.96', 53, 2152, dnsQuery(0x4d2a, 'www.example.com'), { id: s.nextIpId() }));
  // snaplen cuts: a G-PDU with a token cut in the inner IP header, a Create request cut in its IEs
  s.frame(
    ipUdp(mp.ran, mp.core, 2152, 2152, gpdu(mp.teidUp, innerReq(tok())), { id: s.nextIpId() }, { noChecksum: true }),
    { snap: 64 },
  );
  s.gtpc(
    SGSN_A.sgsnC,
    GGSN_A.ggsnC,
    createPdpRequest({
      seq: 0x7002,
      imsi: '262019999999992',
      teidData: 0x3333,
      teidCp: 0x4444,
      nsapi: 5,
      pdpType: 'ipv4',
      apn: 'internet',
      gsnSignalling: SGSN_A.sgsnC,
    }),
    { snap: 14 + 20 + 8 + 20 },
    false,
  );
  // and gnpay keeps going
  get(mp, tok());
  s.gtpuMsg(mp.ran, mp.core, gpdu(mp.teidUp, innerUdp(mp.ueIp, '198.51.100.53', 5000, 5001, Buffer.alloc(20))));

  const r = finish(s, sink, {
    anomaliesNonZero: [
      'ipv4.bad_total_length',
      'udp.bad_length',
      'gtpu.bad_length',
      'gtpu.ext_header_zero_length',
      'gtpu.ext_header_chain_too_long',
      'gtpu.nested_tunnel',
      ['gtpv1c.ie_bad_length', 'gtpv1c.ie_truncated'],
      'gtpv1c.bad_tbcd',
      'gtp.v0_unsupported',
      'gtp.prime_unsupported',
      ['gtp.bad_version', 'gtpu.protocol_type_not_gtp', 'gtp.v0_unsupported', 'gtpu.unknown_message'],
      ['ipv4.truncated', 'udp.truncated', 'gtpu.truncated'],
      ['gtpv1c.truncated', 'gtpv1c.ie_truncated', 'ipv4.truncated', 'udp.truncated'],
    ],
  });
  // counters that depend on how malformed packets are counted are left out
  const st = r.stats;
  delete st.gtpc;
  delete st.gtpu;
  delete st.requests;
  return r;
}

// ---------------------------------------------------------------- 8. corrupt-block

/**
 * pcapng: a good first part, then an Enhanced Packet Block whose total
 * length (13) is below the minimum and not a multiple of 4, then more good
 * blocks that must never be read. `corruptAt` gives the offset and the
 * index the damaged block would have had.
 */
export function corruptBlock(o: FixtureOptions = {}): GenResult {
  const sink = sinkFor(o.out);
  const w = new PcapngWriter(sink, { interfaces: [{ linktype: LINKTYPE.ETHERNET }] });
  const s = new Scenario(w, { seed: o.seed ?? 1008 });
  const rng = new Rng(o.seed ?? 1008);
  const tok = () => makeToken(rng, 24);
  const c = s.createPdp(gnSub(61))!;
  const cp = s.pdpPath(c);
  const t1 = tok();
  httpGet(s, cp, { target: `/pay?pay_token=${t1}`, host: 'pay.example.net' }, [expect(t1, 'query')]);
  const offset = w.offset;
  const index = w.packets + 1;
  const bad = Buffer.alloc(32);
  bad.writeUInt32LE(6, 0);
  bad.writeUInt32LE(13, 4);
  bad.writeUInt32LE(0, 8);
  w.raw(bad);
  // after the damage: a good-looking request with a token that must not be reported
  const after = ethernet(
    ipUdp(
      cp.ran,
      cp.core,
      2152,
      2152,
      gpdu(
        cp.teidUp,
        innerTcp(
          cp.ueIp,
          '203.0.113.80',
          40002,
          80,
          httpRequest({ target: `/pay?pay_token=${tok()}`, host: 'pay.example.net' }),
          1,
          1,
          0x18,
        ),
      ),
      { id: 9 },
      { noChecksum: true },
    ),
  );
  const stats = s.expectedStats();
  w.packet(after, ...s.now);
  w.close();
  return {
    capture: sink instanceof MemorySink ? sink.bytes() : undefined,
    events: s.events,
    stats: {
      carriers: [...DEFAULT_CARRIERS],
      ...stats,
      corruptAt: { offset, packet: index, error: 'block total length 13 is below 12+20 and not a multiple of 4' },
    },
  };
}

export interface FixtureSpec {
  name: string;
  file: string;
  build: (o: FixtureOptions) => GenResult;
}

export const FIXTURES: FixtureSpec[] = [
  { name: 'gn-basic', file: 'gn-basic.pcap', build: gnBasic },
  { name: 'gn-lifecycle', file: 'gn-lifecycle.pcapng', build: gnLifecycle },
  { name: 'gn-transport', file: 'gn-transport.pcap', build: gnTransport },
  { name: 'gn-ipv6', file: 'gn-ipv6.pcapng', build: gnIpv6 },
  { name: 's5-gtpv2', file: 's5-gtpv2.pcapng', build: s5Gtpv2 },
  { name: 'no-gtpc', file: 'no-gtpc.pcap', build: noGtpc },
  { name: 'malformed', file: 'malformed.pcap', build: malformed },
  { name: 'corrupt-block', file: 'corrupt-block.pcapng', build: corruptBlock },
  { name: 's11-s5-mirror', file: 's11-s5-mirror.pcapng', build: s11S5Mirror },
  { name: 'volte-multi-pdn', file: 'volte-multi-pdn.pcapng', build: volteMultiPdn },
  { name: 'sgw-relocation', file: 'sgw-relocation.pcapng', build: sgwRelocation },
  { name: 'handover', file: 'handover.pcapng', build: handover },
  { name: 'network-initiated', file: 'network-initiated.pcap', build: networkInitiated },
  { name: 'piggyback', file: 'piggyback.pcapng', build: piggyback },
  { name: 'dual-stack', file: 'dual-stack.pcapng', build: dualStack },
  { name: 'many-sockets', file: 'many-sockets.pcapng', build: manySockets },
  { name: 'bearer-bounds', file: 'bearer-bounds.pcap', build: bearerBounds },
  { name: 'tcp-apps', file: 'tcp-apps.pcapng', build: tcpApps },
];

export type { ExpectedEvent, ScenarioOptions, CaptureWriter };
export { ipv4Bytes, msisdnV1 };
