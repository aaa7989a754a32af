// The scenario engine: subscribers and a timeline of actions turned into
// packets (written as they are made) and, through the SessionModel, into the
// events gnpay must output for them.
import { type Ip, ipVersion, isoMicros, Rng } from './bytes';
import { gpdu, gtp1Header, type GtpExtHeader, V1, V1_NAMES, V2_NAMES } from './gtp';
import { type Ctx, type Expect, type ExpectedEvent, SessionModel } from './model';
import * as v1 from './procedures-v1';
import * as v2 from './procedures-v2';
import {
  ethernet,
  fragmentIpv4,
  ipTcpFast,
  ipUdp,
  ipUdpFast,
  LINKTYPE,
  linkHeader,
  sll,
  sll2,
  TCP,
  udpFrameFast,
} from './net';
import { type CaptureWriter } from './writer';
import { DNS_TYPE, dnsQuery, dnsResponse, requestHost } from './app';
import type { Carrier, Via } from '../../../../dist/native/types';

export const GTPC_PORT = 2123;
const NO_TRANSPORT: Transport = {};
export const GTPU_PORT = 2152;

/** How one packet travels: link options, outer fragmentation, capture cut. */
export interface Transport {
  /** pcapng interface the frame is written on */
  iface?: number;
  /** 802.1Q tags, outermost first; `qinq` makes the outer one 0x88a8 */
  vlans?: number[];
  qinq?: boolean;
  /** MPLS labels under the tags, outermost first (Ethernet) */
  mpls?: number[];
  /** fragment the outer IPv4 packet at this MTU */
  mtu?: number;
  /** write the fragments last-first */
  reverseFragments?: boolean;
  /** pcapng: Simple Packet Block */
  spb?: boolean;
  /** GTP-U header options */
  gtpSeq?: number;
  ext?: GtpExtHeader[];
  /** capture only the first `snap` bytes of the frame (origLen keeps the full size) */
  snap?: number;
}

/** The user-plane path of a context: outer endpoints and TEIDs, and the UE address. */
export interface UserPath {
  /** the RAN-side node's user address (SGSN, eNodeB, or the SGW on S5/S8) */
  ran: Ip;
  /** the core-side node's user address (GGSN, SGW on S1-U, PGW on S5/S8) */
  core: Ip;
  /** TEID of uplink G-PDUs (allocated by the core side) */
  teidUp: number;
  /** TEID of downlink G-PDUs (allocated by the RAN side) */
  teidDown: number;
  /** inner source address of what the UE sends */
  ueIp: Ip;
  transport?: Transport;
}

export interface ScenarioOptions {
  seed?: number;
  /** capture start, seconds since the epoch (default 2024-05-01T10:00:00Z) */
  startSec?: number;
  startNsec?: number;
  /** clock step between packets, ns (default 1 ms) */
  stepNs?: number;
  onEvent?: (e: ExpectedEvent) => void;
  /** keep events in `events` (default true) */
  keepEvents?: boolean;
}

export const DEFAULT_START_SEC = Date.UTC(2024, 4, 1, 10, 0, 0) / 1000;

// ------------------------------------------------------------ subscribers

export interface Gn1Subscriber {
  imsi: string;
  msisdn?: string | null;
  imei?: string | null;
  apn: string;
  ueIp?: Ip | null;
  ueIpv6?: Ip | null;
  sgsnC: Ip;
  sgsnU?: Ip;
  ggsnC: Ip;
  ggsnU?: Ip;
}

/** A GTPv1 PDP context as the wire sees it (what to address traffic to). */
export interface Pdp {
  sub: Gn1Subscriber;
  nsapi: number;
  sgsnC: Ip;
  sgsnU: Ip;
  ggsnC: Ip;
  ggsnU: Ip;
  sgsnTeidC: number;
  sgsnTeidU: number;
  ggsnTeidC: number;
  ggsnTeidU: number;
  ueIp: Ip | null;
  ueIpv6: Ip | null;
  primary: Pdp | null;
  ctx: Ctx | null;
  /** the SGSN's GTP-C port (it sends its requests from it) and the one the GGSN answers from */
  sgsnPort?: number;
  ggsnPort?: number;
}

export interface S5Subscriber {
  imsi: string;
  msisdn?: string | null;
  mei?: string | null;
  apn: string;
  ueIp?: Ip | null;
  ueIpv6?: Ip | null;
  /** 's5': SGW -> PGW on S5/S8; 's11': MME -> SGW on S11 (user plane eNodeB <-> SGW) */
  iface: 's5' | 's11';
  sgwC: Ip;
  sgwU: Ip;
  pgwC: Ip;
  pgwU: Ip;
  mmeC?: Ip;
  enbU?: Ip;
  /** second (IPv6) addresses of dual-stack user-plane F-TEIDs */
  sgwU6?: Ip;
  pgwU6?: Ip;
  enbU6?: Ip;
}

export interface Bearer {
  ebi: number;
  /** uplink user endpoint the RAN side sends to, and downlink endpoint */
  upAddr: Ip;
  upTeid: number;
  downAddr: Ip | null;
  downTeid: number;
  /** S11: the PGW's S5/S8-U endpoint known from the response */
  pgwU?: Ip;
  pgwTeid?: number;
  ctx: Ctx | null;
}

export interface Pdn {
  sub: S5Subscriber;
  /** the control endpoints: sender (downlink side) and receiver (uplink side) */
  cDown: { addr: Ip; teid: number };
  cUp: { addr: Ip; teid: number };
  /** S11: the PGW control endpoint learnt from the response */
  pgwC?: { addr: Ip; teid: number };
  ueIp: Ip | null;
  ueIpv6: Ip | null;
  bearers: Bearer[];
  /** the RAN side's GTP-C port (an MME socket) and the one the core side answers from */
  port?: number;
  corePort?: number;
}

export interface HeadSpec {
  /** end of the head, relative to the data passed to send() */
  end: number;
  expects: Expect[];
  /** the host its sightings name (default: the HTTP/1.x Host or the ClientHello's SNI) */
  host?: string | null;
}

export function expect(token: string, carrier: Carrier, via: Via = 'http'): Expect {
  return { token, carrier, via };
}

/** length of an HTTP head (through CRLFCRLF) in `data` */
export function headLength(data: Buffer, from = 0): number {
  const i = data.indexOf('\r\n\r\n', from);
  if (i < 0) throw new Error('no end of head');
  return i + 4 - from;
}

// ------------------------------------------------------------ the engine

export class Scenario {
  readonly rng: Rng;
  readonly model: SessionModel;
  readonly events: ExpectedEvent[] = [];
  private sec: number;
  private nsec: number;
  stepNs: number;
  private lastSec = 0;
  private lastNsec = 0;
  private ipId = 1;
  private seq1 = 0x1000;
  private seq2 = 0x100;
  readonly gtpcV1: Record<string, number> = {};
  readonly gtpcV2: Record<string, number> = {};
  readonly gtpu: Record<string, number> = {
    g_pdu: 0,
    echo_request: 0,
    echo_response: 0,
    error_indication: 0,
    end_marker: 0,
    other: 0,
  };
  fragmentsReassembled = 0;
  private usedTeids = new Set<number>();

  constructor(
    readonly w: CaptureWriter,
    o: ScenarioOptions = {},
  ) {
    this.rng = new Rng(o.seed ?? 1);
    this.sec = o.startSec ?? DEFAULT_START_SEC;
    this.nsec = o.startNsec ?? 0;
    this.stepNs = o.stepNs ?? 1_000_000;
    const keep = o.keepEvents ?? true;
    this.model = new SessionModel((e) => {
      if (keep) this.events.push(e);
      o.onEvent?.(e);
    });
  }

  // ---------------------------------------------------------- clock

  /** advance the clock by `ns` (default one step) */
  tick(ns = this.stepNs): void {
    this.nsec += ns;
    while (this.nsec >= 1e9) {
      this.nsec -= 1e9;
      this.sec++;
    }
  }

  /** set the clock (odd timestamps) */
  setClock(sec: number, nsec: number): void {
    this.sec = sec;
    this.nsec = nsec;
  }

  get now(): [number, number] {
    return [this.sec, this.nsec];
  }

  /** ISO text of the last written packet's timestamp */
  get lastTs(): string {
    return isoMicros(this.lastSec, this.lastNsec);
  }

  get packets(): number {
    return this.w.packets;
  }

  /** a fresh non-zero TEID not used before in this scenario */
  teid(): number {
    for (;;) {
      const t = this.rng.u32();
      if (t !== 0 && !this.usedTeids.has(t)) {
        this.usedTeids.add(t);
        return t;
      }
    }
  }

  // ---------------------------------------------------------- frames

  /** wraps an IP packet for the link type of its interface and writes it; returns its 1-based index */
  frame(ipPkt: Buffer, t: Transport = {}): number {
    const iface = t.iface ?? 0;
    const lt = this.w.linktype(iface);
    let data: Buffer;
    if (lt === LINKTYPE.ETHERNET) data = ethernet(ipPkt, { vlans: t.vlans, qinq: t.qinq, mpls: t.mpls });
    else if (lt === LINKTYPE.LINUX_SLL) data = sll(ipPkt);
    else if (lt === LINKTYPE.LINUX_SLL2) data = sll2(ipPkt);
    else data = ipPkt;
    return this.rawFrame(data, t);
  }

  /** writes link-layer bytes as they are; returns the 1-based index */
  rawFrame(data: Buffer, t: Transport = {}): number {
    const [s, n] = this.w.quantize(this.sec, this.nsec, t.iface ?? 0);
    const cut = t.snap !== undefined && t.snap < data.length ? data.subarray(0, t.snap) : data;
    this.w.packet(cut, s, n, { iface: t.iface ?? 0, origLen: data.length, spb: t.spb });
    this.lastSec = s;
    this.lastNsec = n;
    this.tick();
    return this.w.packets;
  }

  /** fast path for bulk traffic: a whole link-layer frame on interface 0, µs-aligned clock assumed */
  fastFrame(data: Uint8Array): void {
    this.w.packet(data, this.sec, this.nsec);
    this.lastSec = this.sec;
    this.lastNsec = this.nsec;
    this.nsec += this.stepNs;
    if (this.nsec >= 1e9) this.tick(0);
  }

  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff || 1;
    return this.ipId;
  }

  /** an outer IP packet, fragmented when `t.mtu` asks; returns the index of the packet that completes it */
  sendIp(pkt: Buffer, t: Transport = {}): number {
    if (t.mtu && pkt[0]! >> 4 === 4 && pkt.length > t.mtu) {
      const frags = fragmentIpv4(pkt, t.mtu);
      if (t.reverseFragments) frags.reverse();
      let last = 0;
      for (const f of frags) last = this.frame(f, t);
      this.fragmentsReassembled++;
      return last;
    }
    return this.frame(pkt, t);
  }

  /** a GTP-C message on UDP 2123, counted under its name */
  gtpc(src: Ip, dst: Ip, msg: Buffer, t: Transport = {}, count = true, sport = GTPC_PORT, dport = GTPC_PORT): number {
    if (count) this.count(msg[0]! >> 5, msg[1]!);
    return this.sendIp(
      ipUdp(src, dst, sport, dport, msg, { id: this.nextIpId() }, { noChecksum: ipVersion(src) === 4 }),
      t ?? {},
    );
  }

  /** counts a GTP-C message under its name (as gnpay's stats do) */
  count(version: number, type: number): void {
    const names = version === 2 ? V2_NAMES : V1_NAMES;
    const table = version === 2 ? this.gtpcV2 : this.gtpcV1;
    const name = names[type] ?? 'other';
    table[name] = (table[name] ?? 0) + 1;
  }

  /** a GTP-U message on UDP 2152; returns the index of the packet that completes it */
  gtpuMsg(src: Ip, dst: Ip, msg: Buffer, t: Transport = {}, count = true): number {
    if (count) {
      const name = V1_NAMES[msg[1]!] ?? 'other';
      this.gtpu[name in this.gtpu ? name : 'other']!++;
    }
    return this.sendIp(
      ipUdp(src, dst, GTPU_PORT, GTPU_PORT, msg, { id: this.nextIpId() }, { noChecksum: ipVersion(src) === 4 }),
      t,
    );
  }

  private linkHeaders = new Map<string, Buffer>();

  /** a G-PDU carrying `inner` on `path` in direction `dir` */
  gpdu(path: UserPath, dir: 'up' | 'down', inner: Buffer, t: Transport = NO_TRANSPORT): number {
    const tt = path.transport || t !== NO_TRANSPORT ? { ...path.transport, ...t } : t;
    const teid = dir === 'up' ? path.teidUp : path.teidDown;
    const src = dir === 'up' ? path.ran : path.core;
    const dst = dir === 'up' ? path.core : path.ran;
    const outerLen = (ipVersion(src) === 4 ? 20 : 40) + 8 + 8 + inner.length;
    if (!tt.mtu || outerLen <= tt.mtu) {
      // one buffer for link + IP + UDP + GTP + inner
      const iface = tt.iface ?? 0;
      const v = ipVersion(src);
      const lk = `${iface}|${v}|${(tt.vlans ?? []).join(',')}|${tt.qinq ? 1 : 0}|${(tt.mpls ?? []).join(',')}|${this.w.linktype(iface)}`;
      let lh = this.linkHeaders.get(lk);
      if (!lh) {
        lh = linkHeader(
          { linktype: this.w.linktype(iface), eth: { vlans: tt.vlans, qinq: tt.qinq, mpls: tt.mpls } },
          v,
        );
        this.linkHeaders.set(lk, lh);
      }
      const h = gtp1Header(V1.G_PDU, inner.length, { teid, seq: tt.gtpSeq, ext: tt.ext });
      this.gtpu.g_pdu!++;
      return this.rawFrame(udpFrameFast(lh, src, dst, GTPU_PORT, GTPU_PORT, h, inner, this.nextIpId()), tt);
    }
    const msg = gpdu(teid, inner, { seq: tt.gtpSeq, ext: tt.ext });
    return dir === 'up' ? this.gtpuMsg(path.ran, path.core, msg, tt) : this.gtpuMsg(path.core, path.ran, msg, tt);
  }

  nextSeq1(): number {
    this.seq1 = (this.seq1 + 1) & 0xffff;
    return this.seq1;
  }
  nextSeq2(): number {
    this.seq2 = (this.seq2 + 1) & 0xffffff;
    return this.seq2;
  }

  // ---------------------------------------------------------- GTPv1 (Gn): procedures-v1.ts

  createPdp(sub: Gn1Subscriber, o: v1.CreatePdpOptions = {}): Pdp | null {
    return v1.createPdp(this, sub, o);
  }
  updatePdp(p: Pdp, o: Parameters<typeof v1.updatePdp>[2] = {}): void {
    v1.updatePdp(this, p, o);
  }
  ggsnUpdatePdp(p: Pdp, o: Parameters<typeof v1.ggsnUpdatePdp>[2] = {}): void {
    v1.ggsnUpdatePdp(this, p, o);
  }
  deletePdp(p: Pdp, o: Parameters<typeof v1.deletePdp>[2] = {}): void {
    v1.deletePdp(this, p, o);
  }
  pdpPath(p: Pdp, t?: Transport, useV6 = false): UserPath {
    return v1.pdpPath(p, t, useV6);
  }

  // ---------------------------------------------------------- GTPv2 (S5/S8, S11): procedures-v2.ts

  createSession(sub: S5Subscriber, o: v2.CreateSessionOptions = {}): Pdn | null {
    return v2.createSession(this, sub, o);
  }
  modifyBearer(pdn: Pdn, o: v2.ModifyBearerOptions = {}): void {
    v2.modifyBearer(this, pdn, o);
  }
  createBearer(pdn: Pdn, o: Parameters<typeof v2.createBearer>[2]): Bearer {
    return v2.createBearer(this, pdn, o);
  }
  deleteBearer(pdn: Pdn, ebis: number[], o: Parameters<typeof v2.deleteBearer>[3] = {}): void {
    v2.deleteBearer(this, pdn, ebis, o);
  }
  updateBearer(pdn: Pdn, ebi: number, o: Parameters<typeof v2.updateBearer>[3] = {}): void {
    v2.updateBearer(this, pdn, ebi, o);
  }
  deleteSession(pdn: Pdn, o: Parameters<typeof v2.deleteSession>[2] = {}): void {
    v2.deleteSession(this, pdn, o);
  }
  releaseAccessBearers(pdn: Pdn, o: Parameters<typeof v2.releaseAccessBearers>[2] = {}): void {
    v2.releaseAccessBearers(this, pdn, o);
  }
  relocateSgw(pdn: Pdn, o: Parameters<typeof v2.relocateSgw>[2]): Pdn {
    return v2.relocateSgw(this, pdn, o);
  }
  bearerPath(pdn: Pdn, b: Bearer = pdn.bearers[0]!, t?: Transport, useV6 = false, outerV6 = false): UserPath {
    return v2.bearerPath(pdn, b, t, useV6, outerV6);
  }

  // ---------------------------------------------------------- user plane

  /** the model's verdict for a request completed by the last written packet */
  judge(
    path: UserPath,
    dir: 'up' | 'down',
    flow: { src: Ip; dst: Ip; proto: 'tcp' | 'udp'; sport: number; dport: number },
    expects: Expect[],
    host: string | null = null,
  ): void {
    const inner = { innerSrc: flow.src, innerDst: flow.dst, proto: flow.proto, sport: flow.sport, dport: flow.dport };
    const r =
      dir === 'up'
        ? { outerSrc: path.ran, outerDst: path.core, teid: path.teidUp, ...inner }
        : { outerSrc: path.core, outerDst: path.ran, teid: path.teidDown, ...inner };
    this.model.request(r, expects, this.packets, this.lastTs, host);
  }

  /** an uplink DNS query from the UE (one packet) */
  dnsQuery(
    path: UserPath,
    name: string,
    o: { expects?: Expect[]; qtype?: number; id?: number; resolver?: Ip; sport?: number; t?: Transport } = {},
  ): number {
    const resolver = o.resolver ?? defaultServer(path.ueIp, 'dns');
    const q = dnsQuery(o.id ?? this.rng.int(1, 0xffff), name, o.qtype ?? DNS_TYPE.A);
    const sport = o.sport ?? this.rng.int(32768, 60999);
    const inner = innerUdp(path.ueIp, resolver, sport, 53, q);
    const pkt = this.gpdu(path, 'up', inner, o.t);
    this.judge(
      path,
      'up',
      { src: path.ueIp, dst: resolver, proto: 'udp', sport, dport: 53 },
      o.expects ?? [],
      name.endsWith('.') ? name.slice(0, -1) : name,
    );
    return pkt;
  }

  /** a downlink DNS response to the UE (never a sighting, whatever it names) */
  dnsResponse(
    path: UserPath,
    name: string,
    answers: Ip[],
    o: { id?: number; resolver?: Ip; dport?: number; t?: Transport } = {},
  ): number {
    const resolver = o.resolver ?? defaultServer(path.ueIp, 'dns');
    const r = dnsResponse(
      o.id ?? this.rng.int(1, 0xffff),
      name,
      answers,
      ipVersion(answers[0] ?? '0.0.0.0') === 6 ? DNS_TYPE.AAAA : DNS_TYPE.A,
    );
    return this.gpdu(path, 'down', innerUdp(resolver, path.ueIp, 53, o.dport ?? 40000, r), o.t);
  }

  /** an inner UDP datagram that is not a request (bulk, RTP-like) */
  udpData(
    path: UserPath,
    dir: 'up' | 'down',
    peer: Ip,
    sport: number,
    dport: number,
    payload: Buffer,
    t?: Transport,
  ): number {
    const inner =
      dir === 'up'
        ? innerUdp(path.ueIp, peer, sport, dport, payload)
        : innerUdp(peer, path.ueIp, sport, dport, payload);
    return this.gpdu(path, dir, inner, t);
  }

  /** a TCP connection from the UE to `server:dport` */
  tcp(
    path: UserPath,
    o: { server?: Ip; dport?: number; sport?: number; handshake?: boolean; t?: Transport } = {},
  ): TcpFlow {
    const f = new TcpFlow(this, path, {
      server: o.server ?? defaultServer(path.ueIp, o.dport === 443 ? 'tls' : 'http'),
      dport: o.dport ?? 80,
      sport: o.sport ?? this.rng.int(32768, 60999),
      t: o.t,
    });
    if (o.handshake ?? true) f.open();
    return f;
  }

  // ---------------------------------------------------------- stats

  /** the counters of the final stats line that this scenario predicts exactly */
  expectedStats(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const c = this.model.counters;
    return {
      packets: this.packets,
      gtpc: { v1: sortKeys(this.gtpcV1), v2: sortKeys(this.gtpcV2) },
      gtpu: { ...this.gtpu },
      sessions: { created: c.created, updated: c.updated, deleted: c.deleted, active: this.model.active },
      sightings: c.sightings,
      unresolvedSightings: c.unresolvedSightings,
      requests: c.requests,
      fragments: { reassembled: this.fragmentsReassembled },
      ...extra,
    };
  }
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function defaultServer(ue: Ip, kind: 'dns' | 'http' | 'tls'): Ip {
  const v6 = ipVersion(ue) === 6;
  if (kind === 'dns') return v6 ? '2001:db8:53::53' : '198.51.100.53';
  if (kind === 'tls') return v6 ? '2001:db8:443::1' : '203.0.113.43';
  return v6 ? '2001:db8:80::1' : '203.0.113.80';
}

export function innerUdp(src: Ip, dst: Ip, sport: number, dport: number, payload: Buffer): Buffer {
  return ipUdpFast(src, dst, sport, dport, payload, (sport * 7 + payload.length) & 0xffff);
}

export function innerTcp(
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  payload: Uint8Array,
  seq: number,
  ack: number,
  flags: number,
  mss?: number,
): Buffer {
  return ipTcpFast(src, dst, sport, dport, payload, { seq, ack, flags, mss }, (seq ^ sport) & 0xffff, true);
}

// ------------------------------------------------------------ TCP flows

export interface SendOptions {
  /** request heads in `data` and the tokens each one carries */
  heads?: HeadSpec[];
  /** cut points (offsets in data) between segments; default: 1400-byte segments */
  cuts?: number[];
  /** delivery order of the segments (indices), default in order */
  order?: number[];
  /** extra retransmitted byte ranges [from, to) sent after the `after`-th delivery (0-based) */
  retransmit?: { after: number; from: number; to: number }[];
  t?: Transport;
}

/**
 * A TCP connection inside a tunnel. Uplink data is a byte stream; the model
 * of the engine's head assembler completes a head at the packet after which
 * every byte from the stream start through the head's end has arrived.
 */
export class TcpFlow {
  readonly server: Ip;
  readonly dport: number;
  readonly sport: number;
  private isnUp: number;
  private isnDown: number;
  private upOff = 0; // uplink stream bytes queued so far
  private downOff = 0;
  private covered: [number, number][] = [];
  private prefix = 0;
  private pending: { end: number; expects: Expect[]; host: string | null }[] = [];
  private opened = false;
  private t?: Transport;

  constructor(
    private s: Scenario,
    readonly path: UserPath,
    o: { server: Ip; dport: number; sport: number; t?: Transport },
  ) {
    this.server = o.server;
    this.dport = o.dport;
    this.sport = o.sport;
    this.isnUp = s.rng.u32();
    this.isnDown = s.rng.u32();
    this.t = o.t;
  }

  private upPkt(payload: Uint8Array, off: number, flags: number, t?: Transport, mss?: number): number {
    const seq = (this.isnUp + 1 + off) >>> 0;
    const ack = this.opened ? (this.isnDown + 1 + this.downOff) >>> 0 : 0;
    const inner = innerTcp(this.path.ueIp, this.server, this.sport, this.dport, payload, seq, ack, flags, mss);
    return this.s.gpdu(this.path, 'up', inner, { ...this.t, ...t });
  }

  private downPkt(payload: Uint8Array, flags: number, t?: Transport, mss?: number): number {
    const seq = (this.isnDown + 1 + this.downOff) >>> 0;
    const ack = (this.isnUp + 1 + this.upOff) >>> 0;
    const inner = innerTcp(this.server, this.path.ueIp, this.dport, this.sport, payload, seq, ack, flags, mss);
    return this.s.gpdu(this.path, 'down', inner, { ...this.t, ...t });
  }

  /** SYN, SYN-ACK, ACK */
  open(): void {
    const seq = this.isnUp >>> 0;
    const syn = innerTcp(this.path.ueIp, this.server, this.sport, this.dport, Buffer.alloc(0), seq, 0, TCP.SYN, 1360);
    this.s.gpdu(this.path, 'up', syn, this.t);
    const synack = innerTcp(
      this.server,
      this.path.ueIp,
      this.dport,
      this.sport,
      Buffer.alloc(0),
      this.isnDown,
      (this.isnUp + 1) >>> 0,
      TCP.SYN | TCP.ACK,
      1360,
    );
    this.s.gpdu(this.path, 'down', synack, this.t);
    this.opened = true;
    this.upPkt(Buffer.alloc(0), 0, TCP.ACK);
  }

  /** uplink bytes; `heads` say where request heads end and what tokens they carry */
  send(data: Buffer, o: SendOptions = {}): void {
    const base = this.upOff;
    const cuts = o.cuts ?? [];
    const bounds = [0];
    if (cuts.length) bounds.push(...cuts);
    else for (let p = 1400; p < data.length; p += 1400) bounds.push(p);
    bounds.push(data.length);
    const segs: [number, number][] = [];
    for (let i = 0; i + 1 < bounds.length; i++)
      if (bounds[i + 1]! > bounds[i]!) segs.push([bounds[i]!, bounds[i + 1]!]);
    let start = 0;
    for (const h of o.heads ?? []) {
      this.pending.push({
        end: base + h.end,
        expects: h.expects,
        host: h.host !== undefined ? h.host : requestHost(data.subarray(start, h.end)),
      });
      start = h.end;
    }
    const order = o.order ?? segs.map((_, i) => i);
    if (order.length !== segs.length) throw new Error(`order has ${order.length} entries for ${segs.length} segments`);
    const deliveries: [number, number][] = [];
    order.forEach((i, k) => {
      deliveries.push(segs[i]!);
      for (const r of o.retransmit ?? []) if (r.after === k) deliveries.push([r.from, r.to]);
    });
    this.upOff += data.length;
    for (const [a, b] of deliveries) {
      this.upPkt(data.subarray(a, b), base + a, TCP.ACK | TCP.PSH, o.t);
      this.cover(base + a, base + b);
      this.complete();
    }
  }

  /** an HTTP request head (+ body) with the tokens it carries */
  request(data: Buffer, expects: Expect[] = [], o: Omit<SendOptions, 'heads'> = {}): void {
    this.send(data, { ...o, heads: [{ end: headLength(data), expects }] });
  }

  private cover(a: number, b: number): void {
    this.covered.push([a, b]);
    this.covered.sort((x, y) => x[0] - y[0]);
    for (const [x, y] of this.covered) {
      if (x > this.prefix) break;
      if (y > this.prefix) this.prefix = y;
    }
  }

  private complete(): void {
    while (this.pending.length && this.pending[0]!.end <= this.prefix) {
      const h = this.pending.shift()!;
      this.s.judge(
        this.path,
        'up',
        { src: this.path.ueIp, dst: this.server, proto: 'tcp', sport: this.sport, dport: this.dport },
        h.expects,
        h.host,
      );
    }
  }

  /** downlink bytes (responses), in 1400-byte segments */
  respond(data: Buffer, t?: Transport): void {
    for (let p = 0; p < data.length; p += 1400) {
      const part = data.subarray(p, Math.min(data.length, p + 1400));
      this.downPkt(part, TCP.ACK | TCP.PSH, t);
      this.downOff += part.length;
    }
  }

  /**
   * A downlink packet whose payload looks like a request (`expects` are the
   * tokens it would carry uplink): the model decides by the tunnel endpoint.
   */
  downRequestLike(data: Buffer, expects: Expect[], t?: Transport): void {
    this.downPkt(data, TCP.ACK | TCP.PSH, t);
    this.downOff += data.length;
    this.s.judge(
      this.path,
      'down',
      { src: this.server, dst: this.path.ueIp, proto: 'tcp', sport: this.dport, dport: this.sport },
      expects,
    );
  }

  /** FIN from the UE, FIN-ACK from the server, last ACK */
  close(): void {
    this.upPkt(Buffer.alloc(0), this.upOff, TCP.FIN | TCP.ACK);
    this.upOff += 1;
    this.downPkt(Buffer.alloc(0), TCP.FIN | TCP.ACK);
    this.downOff += 1;
    this.upPkt(Buffer.alloc(0), this.upOff, TCP.ACK);
  }
}
