// Scenarios generated on demand (never committed): the benchmark capture,
// the state-exhaustion floods. Bulk packets are patched templates written
// straight through the streaming writer; everything that makes an event goes
// through the Scenario (and so through the model).
import { dnsQuery, httpRequest, httpResponse, tlsClientHello } from './app';
import { inetChecksum, ipv4Bytes, makeToken, sum16, fold16, tbcd } from './bytes';
import {
  createPdpRequest,
  createPdpResponse,
  gpdu,
  gtp1cEchoRequest,
  gtp1cEchoResponse,
  PCO_DEFAULT,
  TV_LENGTH,
  V1,
} from './gtp';
import {
  ethernet,
  fragmentIpv4,
  IPPROTO,
  ipUdp,
  ipv4,
  linkHeader,
  LINKTYPE,
  pseudoSum,
  TCP,
  udpFrameFast,
} from './net';
import { DEFAULT_CARRIERS, type GenResult, JsonlFile, sinkFor } from './output';
import { expect, type Gn1Subscriber, innerTcp, type Pdn, type Pdp, Scenario, type UserPath } from './scenario';
import { type CaptureFormat, type CaptureWriter, MemorySink, openWriter } from './writer';
import { type ExpectedEvent } from './model';

export interface LargeOptions {
  /** capture file (required for large captures: bytes are streamed) */
  out?: string;
  /** expected events as JSONL (streamed) */
  expected?: string;
  format?: CaptureFormat;
  /** approximate number of packets (the scenario stops at the first action boundary past it) */
  packets?: number;
  seed?: number;
  /** legitimate subscribers (bench: all subscribers) */
  subscribers?: number;
  /** bench: share of the steps that are a token-carrying request (default ≈0.0015: ≈1 % of packets) */
  httpFraction?: number;
  /** bench: share of the steps where a subscriber detaches and a new one attaches (default 0) */
  churn?: number;
  /** called for each expected event (in addition to `expected`) */
  onEvent?: (e: ExpectedEvent) => void;
}

interface Ctx {
  s: Scenario;
  w: CaptureWriter;
  jsonl?: JsonlFile;
  sink: ReturnType<typeof sinkFor>;
}

function open(o: LargeOptions, seed: number, stepNs: number): Ctx {
  const sink = sinkFor(o.out);
  const w = openWriter(o.format ?? 'pcap', sink, { linktype: LINKTYPE.ETHERNET });
  const jsonl = o.expected ? new JsonlFile(o.expected) : undefined;
  const s = new Scenario(w, {
    seed: o.seed ?? seed,
    stepNs,
    keepEvents: !o.expected && !o.onEvent,
    onEvent: (e) => {
      jsonl?.push(e);
      o.onEvent?.(e);
    },
  });
  return { s, w, jsonl, sink };
}

function close(c: Ctx, extra: Record<string, unknown> = {}): GenResult {
  c.w.close();
  c.jsonl?.close();
  return {
    capture: c.sink instanceof MemorySink ? c.sink.bytes() : undefined,
    events: c.s.events,
    stats: { carriers: [...DEFAULT_CARRIERS], ...c.s.expectedStats(), ...extra },
  };
}

/**
 * A G-PDU carrying one inner TCP segment, built once and patched per packet:
 * outer IPv4 id + header checksum, inner IPv4 id + checksum, TCP seq/ack +
 * checksum (incremental over a precomputed payload sum).
 */
export class TcpTemplate {
  readonly frame: Buffer;
  private base: number; // TCP checksum partial sum without seq/ack
  private outerBase: number; // outer IPv4 header sum without id/checksum
  private innerBase: number; // inner IPv4 header sum without id/checksum
  private static readonly OUTER = 14;
  private static readonly INNER = 14 + 20 + 8 + 8;
  private static readonly TCPO = 14 + 20 + 8 + 8 + 20;
  constructor(
    outerSrc: string,
    outerDst: string,
    teid: number,
    innerSrc: string,
    innerDst: string,
    sport: number,
    dport: number,
    payload: Buffer,
    flags: number = TCP.ACK,
  ) {
    const inner = innerTcp(innerSrc, innerDst, sport, dport, payload, 0, 0, flags);
    this.frame = ethernet(ipUdp(outerSrc, outerDst, 2152, 2152, gpdu(teid, inner), { id: 0 }, { noChecksum: true }));
    const f = this.frame;
    const t = TcpTemplate.TCPO;
    f.writeUInt16BE(0, t + 16);
    this.base = sum16(f, t, f.length, pseudoSum(innerSrc, innerDst, IPPROTO.TCP, f.length - t));
    const o = TcpTemplate.OUTER;
    const i = TcpTemplate.INNER;
    f.writeUInt16BE(0, o + 4);
    f.writeUInt16BE(0, o + 10);
    f.writeUInt16BE(0, i + 4);
    f.writeUInt16BE(0, i + 10);
    this.outerBase = sum16(f, o, o + 20);
    this.innerBase = sum16(f, i, i + 20);
  }
  /** patch the per-packet fields and return the frame (valid until the next call); checksums incremental (RFC 1624) */
  patch(outerId: number, innerId: number, seq: number, ack: number): Buffer {
    const f = this.frame;
    const o = TcpTemplate.OUTER;
    const i = TcpTemplate.INNER;
    const t = TcpTemplate.TCPO;
    outerId &= 0xffff;
    innerId &= 0xffff;
    f[o + 4] = outerId >>> 8;
    f[o + 5] = outerId & 0xff;
    let c = ~fold16(this.outerBase + outerId) & 0xffff;
    f[o + 10] = c >>> 8;
    f[o + 11] = c & 0xff;
    f[i + 4] = innerId >>> 8;
    f[i + 5] = innerId & 0xff;
    c = ~fold16(this.innerBase + innerId) & 0xffff;
    f[i + 10] = c >>> 8;
    f[i + 11] = c & 0xff;
    f[t + 4] = seq >>> 24;
    f[t + 5] = (seq >>> 16) & 0xff;
    f[t + 6] = (seq >>> 8) & 0xff;
    f[t + 7] = seq & 0xff;
    f[t + 8] = ack >>> 24;
    f[t + 9] = (ack >>> 16) & 0xff;
    f[t + 10] = (ack >>> 8) & 0xff;
    f[t + 11] = ack & 0xff;
    c = ~fold16(this.base + (seq >>> 16) + (seq & 0xffff) + (ack >>> 16) + (ack & 0xffff)) & 0xffff;
    f[t + 16] = c >>> 8;
    f[t + 17] = c & 0xff;
    return f;
  }
}

interface BulkFlow {
  down: TcpTemplate; // server -> UE, 1400 bytes
  up: TcpTemplate; // UE -> server, ACK only
  upload: TcpTemplate; // UE -> server, 1200 bytes of upload
  seqDown: number;
  seqUp: number;
  innerId: number;
}

const SERVERS = ['203.0.113.10', '203.0.113.20', '203.0.113.30', '198.51.100.140', '192.0.2.200'];

function benchSub(i: number): Gn1Subscriber {
  const sg = i % 8;
  return {
    imsi: `26201${String(3_000_000_000 + i).padStart(10, '0')}`,
    msisdn: `49152${String(10_000_000 + i).padStart(8, '0')}`,
    imei: `35${String(10_000_000_000_000 + i).padStart(14, '0')}`,
    apn: i % 10 === 0 ? 'ims' : 'internet',
    ueIp: `10.${64 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
    sgsnC: `192.0.2.${10 + sg}`,
    sgsnU: `192.0.2.${30 + sg}`,
    ggsnC: `198.51.100.${1 + (i % 2)}`,
    ggsnU: `198.51.100.${11 + (i % 2)}`,
  };
}

/**
 * The benchmark capture: many GTPv1 subscribers (a tenth on S5/S8 GTPv2),
 * bulk TCP both ways, ≈1% of packets in token-carrying requests (query,
 * path, header, cookie, DNS, TLS SNI), plain HTTP / DNS / TLS requests,
 * ≈1% of downlink packets with a 1500-byte inner packet (outer fragments),
 * GTP-C echoes. Events (creates + sightings) are streamed to `expected`.
 */
export function bench(o: LargeOptions = {}): GenResult {
  const target = o.packets ?? 1_000_000;
  const nSubs = o.subscribers ?? Math.max(10, Math.min(20000, Math.floor(target / 500)));
  const c = open(o, 2001, 20_000);
  const s = c.s;
  const rng = s.rng;
  const pdps: { path: UserPath; flow: BulkFlow; pdp?: Pdp; pdn?: Pdn }[] = [];
  const s5nodes = { sgwC: '192.0.2.100', sgwU: '192.0.2.101', pgwC: '198.51.100.100', pgwU: '198.51.100.101' };
  const attach = (i: number): (typeof pdps)[number] => {
    let path: UserPath;
    let pdp: Pdp | undefined;
    let pdn: Pdn | undefined;
    if (i % 10 === 9) {
      const sub = benchSub(i);
      pdn = s.createSession({
        imsi: sub.imsi,
        msisdn: sub.msisdn,
        mei: sub.imei,
        apn: sub.apn,
        ueIp: sub.ueIp,
        iface: 's5',
        ...s5nodes,
      })!;
      path = s.bearerPath(pdn);
    } else {
      pdp = s.createPdp(benchSub(i))!;
      path = s.pdpPath(pdp);
    }
    const srv = SERVERS[i % SERVERS.length]!;
    const sport = 40000 + (i % 20000);
    const flow: BulkFlow = {
      down: new TcpTemplate(path.core, path.ran, path.teidDown, srv, path.ueIp, 443, sport, Buffer.alloc(1400, 0x17)),
      up: new TcpTemplate(path.ran, path.core, path.teidUp, path.ueIp, srv, sport, 443, Buffer.alloc(0)),
      upload: new TcpTemplate(
        path.ran,
        path.core,
        path.teidUp,
        path.ueIp,
        srv,
        sport + 1,
        8443,
        Buffer.alloc(1200, 0x17),
      ),
      seqDown: rng.u32(),
      seqUp: rng.u32(),
      innerId: rng.int(1, 0xffff),
    };
    return { path, flow, pdp, pdn };
  };
  for (let i = 0; i < nSubs; i++) pdps.push(attach(i));
  // the mix as parameters: without them, the steps (and so the capture) are the historical ones
  const mixed = o.httpFraction !== undefined || (o.churn ?? 0) > 0;
  const httpFraction = o.httpFraction ?? 0.0015;
  const churn = o.churn ?? 0;
  let nextSub = nSubs;
  let outerId = 1;
  let echo = 0;
  const tokenKinds = ['query', 'path', 'header', 'cookie', 'dns', 'tls'] as const;
  while (s.packets < target) {
    let r = rng.next();
    const si = rng.u32() % pdps.length;
    const sub = pdps[si]!;
    const f = sub.flow;
    if (mixed) {
      // token requests and churn at the asked shares; the rest keeps the default mix's proportions
      const m = rng.next();
      if (m < churn) {
        if (sub.pdp) s.deletePdp(sub.pdp);
        else if (sub.pdn) s.deleteSession(sub.pdn);
        // UE addresses are per subscriber index: a fresh index never collides with a live one
        pdps[si] = attach(nextSub++ % 4_000_000);
        continue;
      }
      r = m < churn + httpFraction ? 0.935 : r * (1 - 0.0015) < 0.935 ? r * (1 - 0.0015) : r * (1 - 0.0015) + 0.0015;
    }
    if (r < 0.93) {
      // bulk: mostly downlink data, uplink ACKs, some uploads
      const k = rng.next();
      outerId = (outerId + 1) & 0xffff;
      f.innerId = (f.innerId + 1) & 0xffff;
      if (k < 0.6) {
        s.fastFrame(f.down.patch(outerId, f.innerId, f.seqDown, f.seqUp));
        f.seqDown = (f.seqDown + 1400) >>> 0;
      } else if (k < 0.9) {
        s.fastFrame(f.up.patch(outerId, f.innerId, f.seqUp, f.seqDown));
      } else {
        s.fastFrame(f.upload.patch(outerId, f.innerId, f.seqUp, f.seqDown));
        f.seqUp = (f.seqUp + 1200) >>> 0;
      }
      s.gtpu.g_pdu!++;
    } else if (r < 0.935) {
      // a 1500-byte inner packet downlink: two outer fragments
      const inner = innerTcp(
        SERVERS[0]!,
        sub.path.ueIp,
        443,
        40000,
        Buffer.alloc(1460, 0x17),
        f.seqDown,
        f.seqUp,
        TCP.ACK,
      );
      f.seqDown = (f.seqDown + 1460) >>> 0;
      s.gpdu(sub.path, 'down', inner, { mtu: 1500 });
    } else if (r < 0.9365) {
      // a token-carrying request (≈8 packets each: ≈1% of all packets)
      const kind = tokenKinds[rng.u32() % tokenKinds.length]!;
      const t = makeToken(rng, 24, kind === 'dns' || kind === 'tls');
      if (kind === 'dns') {
        s.dnsQuery(sub.path, `${t}.pay.example.net`, { expects: [expect(t, 'host', 'dns')] });
        s.dnsResponse(sub.path, `${t}.pay.example.net`, ['203.0.113.80']);
      } else if (kind === 'tls') {
        const fl = s.tcp(sub.path, { dport: 443 });
        const ch = tlsClientHello({ sni: `${t}.pay.example.net`, rng, pq: rng.next() < 0.5 });
        fl.send(ch, {
          cuts: ch.length > 1360 ? [1360] : [ch.length],
          heads: [{ end: ch.length, expects: [expect(t, 'host', 'tls-sni')] }],
        });
        fl.respond(Buffer.alloc(1200, 0x16));
        fl.close();
      } else {
        const req =
          kind === 'query'
            ? httpRequest({ target: `/pay?pay_token=${t}`, host: 'pay.example.net' })
            : kind === 'path'
              ? httpRequest({ target: `/pay/${t}`, host: 'pay.example.net' })
              : kind === 'header'
                ? httpRequest({ target: '/charge', host: 'sp.example.org', headers: [['X-Pay-Token', t]] })
                : httpRequest({
                    target: '/cart',
                    host: 'sp.example.org',
                    headers: [['Cookie', `sid=1; pay_token=${t}`]],
                  });
        const fl = s.tcp(sub.path);
        fl.request(req, [expect(t, kind)]);
        fl.respond(httpResponse({ body: 'ok' }));
        fl.close();
      }
    } else if (r < 0.96) {
      // plain DNS query + response
      const name = `cdn${rng.int(1, 50)}.example.com`;
      s.dnsQuery(sub.path, name);
      s.dnsResponse(sub.path, name, ['203.0.113.10']);
    } else if (r < 0.975) {
      // plain HTTP request on a new connection
      const fl = s.tcp(sub.path);
      fl.request(httpRequest({ target: `/img/${rng.int(1, 1e6)}.jpg`, host: 'static.example.com' }), []);
      fl.respond(httpResponse({ body: Buffer.alloc(1300, 0x41) }));
    } else if (r < 0.985) {
      // plain TLS ClientHello
      const fl = s.tcp(sub.path, { dport: 443 });
      const ch = tlsClientHello({ sni: 'www.example.com', rng });
      fl.send(ch, { heads: [{ end: ch.length, expects: [] }] });
    } else if (r < 0.986) {
      echo++;
      s.gtpc('192.0.2.10', '198.51.100.1', gtp1cEchoRequest(echo & 0xffff));
      s.gtpc('198.51.100.1', '192.0.2.10', gtp1cEchoResponse(echo & 0xffff, 1));
    } else {
      // uplink bulk burst
      for (let k = 0; k < 8; k++) {
        outerId = (outerId + 1) & 0xffff;
        f.innerId = (f.innerId + 1) & 0xffff;
        s.fastFrame(f.upload.patch(outerId, f.innerId, f.seqUp, f.seqDown));
        f.seqUp = (f.seqUp + 1200) >>> 0;
        s.gtpu.g_pdu!++;
      }
    }
  }
  return close(c, { subscribers: nSubs });
}

// ---------------------------------------------------------------- floods

type FloodKind = 'pending' | 'fragments' | 'flows' | 'teids';

export interface FloodOptions extends LargeOptions {
  /** flood-teids: 'sessions' (Create PDP pairs, default) or 'gpdu' (G-PDUs to unknown TEIDs) */
  mode?: 'sessions' | 'gpdu';
}

/** a legitimate subscriber: attach, one token request right after it */
function legit(s: Scenario, i: number): void {
  const sub = benchSub(i);
  const p = s.createPdp(sub, {
    sgsnTeidC: 0x80000000 + i * 4,
    sgsnTeidU: 0x80000001 + i * 4,
    ggsnTeidC: 0x80000002 + i * 4,
    ggsnTeidU: 0x80000003 + i * 4,
  })!;
  const path = s.pdpPath(p);
  const t = makeToken(s.rng, 24);
  const f = s.tcp(path);
  f.request(httpRequest({ target: `/pay?pay_token=${t}`, host: 'pay.example.net' }), [expect(t, 'query')]);
  f.respond(httpResponse({ body: 'ok' }));
  f.close();
}

/**
 * State-exhaustion captures. Every `legitEvery` flood packets a legitimate
 * subscriber attaches and sends a token at once (Create + response + request
 * adjacent, so bounded tables evicting their oldest entries keep it): its
 * session and sighting are in the expected output.
 *  - pending: Create PDP Context Requests never answered (from other SGSN addresses);
 *  - fragments: first fragments of datagrams that never complete;
 *  - flows: TCP segments that start a request head and never finish it, each on its own flow;
 *  - teids: Create PDP pairs for distinct TEIDs (mode sessions) or G-PDUs to distinct unknown TEIDs (mode gpdu).
 */
export function flood(kind: FloodKind, o: FloodOptions = {}): GenResult {
  const target = o.packets ?? 1_000_000;
  const nLegit = o.subscribers ?? 20;
  const c = open(o, 3000 + kind.length, 10_000);
  const s = c.s;
  const legitEvery = Math.max(1, Math.floor(target / (nLegit + 1)));
  let nextLegit = legitEvery;
  let li = 0;
  let n = 0;
  const flooder = s.createPdp(benchSub(999_999), {
    sgsnTeidC: 0x7ffffff0,
    sgsnTeidU: 0x7ffffff1,
    ggsnTeidC: 0x7ffffff2,
    ggsnTeidU: 0x7ffffff3,
  })!;
  const fpath = s.pdpPath(flooder);
  const mode = o.mode ?? 'sessions';
  const lh = linkHeader({ linktype: s.w.linktype(0) }, 4);
  const noHeader = Buffer.alloc(0);
  const F = { sgsnC: '192.0.2.240', sgsnU: '192.0.2.241', ggsnC: '198.51.100.240', ggsnU: '198.51.100.241' };
  // Create PDP Context Request / Response templates, patched per flood item
  const req = createPdpRequest({
    seq: 0,
    imsi: '999990000000000',
    recovery: 1,
    selectionMode: 0,
    teidData: 0,
    teidCp: 0,
    nsapi: 5,
    pdpType: 'ipv4',
    apn: 'internet',
    pco: PCO_DEFAULT,
    gsnSignalling: F.sgsnC,
    gsnUser: F.sgsnU,
    msisdn: '4900000000000',
  });
  const resp = createPdpResponse({
    seq: 0,
    teid: 0,
    cause: 128,
    recovery: 1,
    teidData: 0,
    teidCp: 0,
    chargingId: 0,
    ueV4: '0.0.0.0',
    gsnSignalling: F.ggsnC,
    gsnUser: F.ggsnU,
  });
  const qo = ieOffsets(req);
  const ro = ieOffsets(resp);
  const apn = 'internet';
  // first fragment template (fragments)
  const fragInner = innerTcp('100.64.0.1', '203.0.113.10', 40000, 443, Buffer.alloc(1460, 0x17), 1, 1, TCP.ACK);
  const frag0 = fragmentIpv4(
    ipUdp('192.0.2.250', '198.51.100.250', 2152, 2152, gpdu(0, fragInner), { id: 0 }, { noChecksum: true }),
    1500,
  )[0]!;
  const fragFrame = Buffer.concat([lh, frag0]);
  const L = lh.length;
  while (s.packets < target) {
    if (s.packets >= nextLegit && li < nLegit) {
      legit(s, li++);
      nextLegit += legitEvery;
      continue;
    }
    n++;
    const a = (n >>> 16) & 0xff;
    const b = (n >>> 8) & 0xff;
    const d = n & 0xff;
    switch (kind) {
      case 'pending': {
        req.writeUInt16BE(n & 0xffff, 8);
        tbcd(`99999${String(n).padStart(10, '0')}`).copy(req, qo.get(2)![0]);
        req.writeUInt32BE(n, qo.get(16)![0]);
        req.writeUInt32BE(n, qo.get(17)![0]);
        s.gtpcV1.create_pdp_context_request = (s.gtpcV1.create_pdp_context_request ?? 0) + 1;
        s.rawFrame(udpFrameFast(lh, `172.16.${a}.${b}`, '198.51.100.1', 2123, 2123, noHeader, req, s.nextIpId()));
        break;
      }
      case 'fragments': {
        // distinct (src, id) per datagram; the TEID is the flood number
        ipv4Bytes(`192.0.${2 + (a & 7)}.${b}`).copy(fragFrame, L + 12);
        fragFrame.writeUInt16BE(n & 0xffff, L + 4);
        fragFrame.writeUInt16BE(0, L + 10);
        fragFrame.writeUInt16BE(inetChecksum(fragFrame, L, L + 20), L + 10);
        fragFrame.writeUInt32BE(n, L + 20 + 8 + 4);
        s.rawFrame(fragFrame);
        break;
      }
      case 'flows': {
        const head = Buffer.from(`GET /slow/${n} HTTP/1.1\r\nHost: flood.example.com\r\nX-Pad: `);
        const inner = innerTcp(
          fpath.ueIp,
          '203.0.113.10',
          1024 + (n % 60000),
          80 + Math.floor(n / 60000),
          head,
          n,
          1,
          TCP.ACK | TCP.PSH,
        );
        s.gpdu(fpath, 'up', inner);
        break;
      }
      case 'teids': {
        if (mode === 'gpdu') {
          const inner = innerTcp(
            `100.${64 + (a & 63)}.${b}.${d}`,
            '203.0.113.10',
            40000,
            443,
            Buffer.alloc(200, 0x17),
            n,
            1,
            TCP.ACK,
          );
          s.gtpuMsg('192.0.2.251', '198.51.100.251', gpdu(n, inner));
          break;
        }
        // a Create PDP Context pair for distinct TEIDs; the session is announced
        // (`create`) but not kept in the model: its TEIDs and UE address are
        // never used by the legitimate subscribers, so it cannot change a resolution
        const imsi = `99998${String(n).padStart(10, '0')}`;
        const msisdn = `4901${String(n).padStart(9, '0')}`;
        const ue = `100.${64 + (a & 63)}.${b}.${d}`;
        const seq = n & 0xffff;
        const [sc, su, gc, gu] = [n * 4, n * 4 + 1, n * 4 + 2, n * 4 + 3];
        req.writeUInt16BE(seq, 8);
        tbcd(imsi).copy(req, qo.get(2)![0]);
        req.writeUInt32BE(su, qo.get(16)![0]);
        req.writeUInt32BE(sc, qo.get(17)![0]);
        tbcd(msisdn).copy(req, qo.get(134)![0]! + 1);
        s.gtpcV1.create_pdp_context_request = (s.gtpcV1.create_pdp_context_request ?? 0) + 1;
        s.rawFrame(udpFrameFast(lh, F.sgsnC, F.ggsnC, 2123, 2123, noHeader, req, s.nextIpId()));
        s.tick();
        resp.writeUInt16BE(seq, 8);
        resp.writeUInt32BE(sc, 4);
        resp.writeUInt32BE(gu, ro.get(16)![0]);
        resp.writeUInt32BE(gc, ro.get(17)![0]);
        resp.writeUInt32BE(n, ro.get(127)![0]);
        ipv4Bytes(ue).copy(resp, ro.get(128)![0]! + 2);
        s.gtpcV1.create_pdp_context_response = (s.gtpcV1.create_pdp_context_response ?? 0) + 1;
        const pkt = s.rawFrame(udpFrameFast(lh, F.ggsnC, F.sgsnC, 2123, 2123, noHeader, resp, s.nextIpId()));
        const ctx = s.model.newCtx({ gtp: 1, bearer: 5, imsi, msisdn, apn, ueIp: ue });
        s.model.setCtrl(ctx, 'uplink', { addr: F.ggsnC, teid: gc });
        s.model.setCtrl(ctx, 'downlink', { addr: F.sgsnC, teid: sc });
        s.model.setEndpoint(ctx, 'gn', 'uplink', { addr: F.ggsnU, teid: gu });
        s.model.setEndpoint(ctx, 'gn', 'downlink', { addr: F.sgsnU, teid: su });
        s.model.announce(ctx, pkt, s.lastTs);
        break;
      }
    }
  }
  const r = close(c, { legitimateSubscribers: li, flood: kind, floodItems: n });
  // bounded tables evict: what stays active is not predictable under a flood
  delete (r.stats.sessions as Record<string, number>).active;
  return r;
}

/** value offsets of each IE type in a GTPv1-C message with the optional header fields */
function ieOffsets(msg: Buffer): Map<number, number[]> {
  const m = new Map<number, number[]>();
  let o = 12;
  while (o < msg.length) {
    const type = msg[o]!;
    const list = m.get(type) ?? [];
    m.set(type, list);
    if (type < 128) {
      list.push(o + 1);
      o += 1 + TV_LENGTH[type]!;
    } else {
      list.push(o + 3);
      o += 3 + msg.readUInt16BE(o + 1);
    }
  }
  return m;
}

export { V1, ipv4, dnsQuery };
