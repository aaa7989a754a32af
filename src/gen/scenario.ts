// The scenario engine: subscribers and a timeline of actions turned into
// packets (written as they are made) and, through the SessionModel, into the
// events gnpay must output for them.
import { canonicalIp, Ip, ipVersion, isoMicros, Rng } from './bytes';
import {
  createBearerRequest,
  createBearerResponse,
  createPdpRequest,
  createPdpResponse,
  createSessionRequest,
  createSessionResponse,
  deleteBearerRequest,
  deleteBearerResponse,
  deletePdpRequest,
  deletePdpResponse,
  deleteSessionRequest,
  deleteSessionResponse,
  Fteid,
  gpdu,
  gtp1Header,
  GtpExtHeader,
  IFACE,
  modifyBearerRequest,
  modifyBearerResponse,
  PCO_DEFAULT,
  updatePdpRequest,
  updatePdpResponse,
  V1,
  V1_NAMES,
  V2_NAMES,
} from './gtp';
import { Ctx, Dir, Expect, ExpectedEvent, SessionModel, tunnel } from './model';
import { ethernet, fragmentIpv4, ipTcpFast, ipUdp, ipUdpFast, LINKTYPE, linkHeader, sll, sll2, TCP, udpFrameFast } from './net';
import { CaptureWriter } from './writer';
import { DNS_TYPE, dnsQuery, dnsResponse, requestHost } from './app';
import type { Carrier, Via } from '../native/types';

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
}

export interface HeadSpec {
  /** end of the head, relative to the data passed to send() */
  end: number;
  expects: Expect[];
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
  readonly gtpu: Record<string, number> = { g_pdu: 0, echo_request: 0, echo_response: 0, error_indication: 0, end_marker: 0, other: 0 };
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
    if (t.mtu && pkt[0] >> 4 === 4 && pkt.length > t.mtu) {
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
  gtpc(src: Ip, dst: Ip, msg: Buffer, t: Transport = {}, count = true): number {
    if (count) {
      const v = msg[0] >> 5;
      const names = v === 2 ? V2_NAMES : V1_NAMES;
      const table = v === 2 ? this.gtpcV2 : this.gtpcV1;
      const name = names[msg[1]] ?? 'other';
      table[name] = (table[name] ?? 0) + 1;
    }
    return this.sendIp(ipUdp(src, dst, GTPC_PORT, GTPC_PORT, msg, { id: this.nextIpId() }, { noChecksum: ipVersion(src) === 4 }), t);
  }

  /** a GTP-U message on UDP 2152; returns the index of the packet that completes it */
  gtpuMsg(src: Ip, dst: Ip, msg: Buffer, t: Transport = {}, count = true): number {
    if (count) {
      const name = V1_NAMES[msg[1]] ?? 'other';
      this.gtpu[name in this.gtpu ? name : 'other']++;
    }
    return this.sendIp(ipUdp(src, dst, GTPU_PORT, GTPU_PORT, msg, { id: this.nextIpId() }, { noChecksum: ipVersion(src) === 4 }), t);
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
        lh = linkHeader({ linktype: this.w.linktype(iface), eth: { vlans: tt.vlans, qinq: tt.qinq, mpls: tt.mpls } }, v);
        this.linkHeaders.set(lk, lh);
      }
      const h = gtp1Header(V1.G_PDU, inner.length, { teid, seq: tt.gtpSeq, ext: tt.ext });
      this.gtpu.g_pdu++;
      return this.rawFrame(udpFrameFast(lh, src, dst, GTPU_PORT, GTPU_PORT, h, inner, this.nextIpId()), tt);
    }
    const msg = gpdu(teid, inner, { seq: tt.gtpSeq, ext: tt.ext });
    return dir === 'up' ? this.gtpuMsg(path.ran, path.core, msg, tt) : this.gtpuMsg(path.core, path.ran, msg, tt);
  }

  private nextSeq1(): number {
    this.seq1 = (this.seq1 + 1) & 0xffff;
    return this.seq1;
  }
  private nextSeq2(): number {
    this.seq2 = (this.seq2 + 1) & 0xffffff;
    return this.seq2;
  }

  // ---------------------------------------------------------- GTPv1 (Gn)

  /**
   * Create PDP Context Request + Response (TS 29.060 s7.3.1/2). Returns the
   * PDP context (null when the cause rejects it). With `secondaryOf`, a
   * secondary context (Linked NSAPI) of that primary.
   */
  createPdp(
    sub: Gn1Subscriber,
    o: {
      nsapi?: number;
      cause?: number;
      secondaryOf?: Pdp;
      sgsnTeidC?: number;
      sgsnTeidU?: number;
      ggsnTeidC?: number;
      ggsnTeidU?: number;
      /** leave the second GSN Address out of the request (user address = signalling address) */
      singleGsn?: boolean;
      /** respond without End User Address (the request's is then used: empty) */
      noEua?: boolean;
      msisdnRaw?: Buffer;
      pco?: Buffer | null;
      extra?: Buffer[];
      t?: Transport;
      /** put nothing in the model (e.g. the request is malformed on purpose) */
      unmodelled?: boolean;
    } = {},
  ): Pdp | null {
    const prim = o.secondaryOf ?? null;
    if (prim && !o.unmodelled && !(prim.ctx && prim.ctx.active)) throw new Error('secondary of a primary that is not active');
    const sgsnU = o.singleGsn ? sub.sgsnC : sub.sgsnU ?? sub.sgsnC;
    const ggsnU = sub.ggsnU ?? sub.ggsnC;
    const p: Pdp = {
      sub,
      nsapi: o.nsapi ?? 5,
      sgsnC: sub.sgsnC,
      sgsnU,
      ggsnC: sub.ggsnC,
      ggsnU,
      sgsnTeidC: prim ? prim.sgsnTeidC : o.sgsnTeidC ?? this.teid(),
      sgsnTeidU: o.sgsnTeidU ?? this.teid(),
      ggsnTeidC: prim ? prim.ggsnTeidC : o.ggsnTeidC ?? this.teid(),
      ggsnTeidU: o.ggsnTeidU ?? this.teid(),
      ueIp: prim ? prim.ueIp : sub.ueIp ?? null,
      ueIpv6: prim ? prim.ueIpv6 : sub.ueIpv6 ?? null,
      primary: prim,
      ctx: null,
    };
    const cause = o.cause ?? 128;
    const seq = this.nextSeq1();
    const pdpType = p.ueIp && p.ueIpv6 ? 'ipv4v6' : p.ueIpv6 ? 'ipv6' : 'ipv4';
    const req = createPdpRequest({
      seq,
      teid: prim ? prim.ggsnTeidC : 0,
      imsi: prim ? undefined : sub.imsi,
      recovery: prim ? undefined : 1,
      selectionMode: prim ? undefined : 0,
      teidData: p.sgsnTeidU,
      teidCp: prim ? undefined : p.sgsnTeidC,
      nsapi: p.nsapi,
      linkedNsapi: prim ? prim.nsapi : undefined,
      pdpType: prim ? undefined : pdpType,
      apn: prim ? undefined : sub.apn,
      pco: prim ? null : o.pco === undefined ? PCO_DEFAULT : o.pco,
      gsnSignalling: sub.sgsnC,
      gsnUser: o.singleGsn ? null : sgsnU,
      msisdn: prim || o.msisdnRaw ? undefined : sub.msisdn ?? undefined,
      msisdnRaw: prim ? undefined : o.msisdnRaw,
      tft: prim ? Buffer.from([0x21, 0x10, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0xc4]) : undefined,
      imei: prim ? undefined : sub.imei ?? undefined,
      extra: o.extra,
    });
    this.gtpc(sub.sgsnC, sub.ggsnC, req, o.t);
    this.tick();
    const accepted = cause >= 128 && cause <= 191;
    const resp = createPdpResponse({
      seq,
      teid: p.sgsnTeidC,
      cause,
      recovery: 1,
      teidData: p.ggsnTeidU,
      teidCp: prim ? undefined : p.ggsnTeidC,
      chargingId: this.rng.u32(),
      ueV4: prim || o.noEua ? null : p.ueIp,
      ueV6: prim || o.noEua ? null : p.ueIpv6,
      gsnSignalling: sub.ggsnC,
      gsnUser: ggsnU,
    });
    const pkt = this.gtpc(sub.ggsnC, sub.sgsnC, resp, o.t);
    if (!accepted) return null;
    if (o.unmodelled) return p;
    const ts = this.lastTs;
    // the model: docs/sessions.md GTPv1 Create PDP Context
    if (prim) {
      const pc = prim.ctx!;
      const c = this.model.newCtx({
        gtp: 1,
        bearer: p.nsapi,
        linkedBearer: prim.nsapi,
        imsi: pc.imsi,
        msisdn: pc.msisdn,
        imei: pc.imei,
        apn: pc.apn,
        ueIp: pc.ueIp,
        ueIpv6: pc.ueIpv6,
        primary: pc,
      });
      c.ctrlUp = pc.ctrlUp.map((t) => ({ ...t }));
      c.ctrlDown = pc.ctrlDown.map((t) => ({ ...t }));
      SessionModel.addTunnel(c, tunnel('user', 'uplink', ggsnU, p.ggsnTeidU, p.nsapi));
      SessionModel.addTunnel(c, tunnel('user', 'downlink', sgsnU, p.sgsnTeidU, p.nsapi));
      p.ctx = c;
      this.model.create(c, pkt, ts);
      return p;
    }
    const old = this.model.findReplaced(1, sub.imsi, p.nsapi);
    if (old) this.model.remove(old, pkt, ts);
    const c = this.model.newCtx({
      gtp: 1,
      bearer: p.nsapi,
      imsi: sub.imsi,
      msisdn: o.msisdnRaw ? null : sub.msisdn ?? null,
      imei: sub.imei ?? null,
      apn: sub.apn,
      ueIp: o.noEua ? null : p.ueIp ? canonicalIp(p.ueIp) : null,
      ueIpv6: o.noEua ? null : p.ueIpv6 ? canonicalIp(p.ueIpv6) : null,
    });
    SessionModel.addTunnel(c, tunnel('control', 'uplink', sub.ggsnC, p.ggsnTeidC));
    SessionModel.addTunnel(c, tunnel('control', 'downlink', sub.sgsnC, p.sgsnTeidC));
    SessionModel.addTunnel(c, tunnel('user', 'uplink', ggsnU, p.ggsnTeidU, p.nsapi));
    SessionModel.addTunnel(c, tunnel('user', 'downlink', sgsnU, p.sgsnTeidU, p.nsapi));
    p.ctx = c;
    this.model.create(c, pkt, ts);
    return p;
  }

  /**
   * SGSN-initiated Update PDP Context (TS 29.060 s7.3.3/4), e.g. an inter-SGSN
   * routing area update: the new SGSN's addresses and TEIDs replace the
   * downlink endpoints, the GGSN's response the uplink ones.
   */
  updatePdp(
    p: Pdp,
    o: { sgsnC?: Ip; sgsnU?: Ip; sgsnTeidC?: number; sgsnTeidU?: number; ggsnTeidU?: number; cause?: number; t?: Transport } = {},
  ): void {
    const newC = o.sgsnC ?? p.sgsnC;
    const newU = o.sgsnU ?? o.sgsnC ?? p.sgsnU;
    const teidC = o.sgsnTeidC ?? this.teid();
    const teidU = o.sgsnTeidU ?? this.teid();
    const ggsnTeidU = o.ggsnTeidU ?? p.ggsnTeidU;
    const seq = this.nextSeq1();
    const cause = o.cause ?? 128;
    this.gtpc(
      newC,
      p.ggsnC,
      updatePdpRequest({
        seq,
        teid: p.ggsnTeidC,
        imsi: p.sub.imsi,
        recovery: 2,
        teidData: teidU,
        teidCp: teidC,
        nsapi: p.nsapi,
        gsnSignalling: newC,
        gsnUser: newU,
      }),
      o.t,
    );
    this.tick();
    const pkt = this.gtpc(
      p.ggsnC,
      newC,
      updatePdpResponse({
        seq,
        teid: teidC,
        cause,
        recovery: 1,
        teidData: ggsnTeidU,
        teidCp: p.ggsnTeidC,
        chargingId: this.rng.u32(),
        gsnSignalling: p.ggsnC,
        gsnUser: p.ggsnU,
      }),
      o.t,
    );
    if (!(cause >= 128 && cause <= 191)) return;
    p.sgsnC = newC;
    p.sgsnU = newU;
    p.sgsnTeidC = teidC;
    p.sgsnTeidU = teidU;
    p.ggsnTeidU = ggsnTeidU;
    const c = p.ctx;
    if (!c || !c.active) return;
    this.model.update(
      c,
      (x) => {
        x.ctrlDown = [tunnel('control', 'downlink', newC, teidC)];
        x.userDown = [tunnel('user', 'downlink', newU, teidU, x.bearer)];
        x.ctrlUp = [tunnel('control', 'uplink', p.ggsnC, p.ggsnTeidC)];
        x.userUp = [tunnel('user', 'uplink', p.ggsnU, ggsnTeidU, x.bearer)];
      },
      pkt,
      this.lastTs,
    );
  }

  /** SGSN-initiated Delete PDP Context (TS 29.060 s7.3.5/6). */
  deletePdp(p: Pdp, o: { teardown?: boolean; cause?: number; t?: Transport } = {}): void {
    const seq = this.nextSeq1();
    this.gtpc(p.sgsnC, p.ggsnC, deletePdpRequest({ seq, teid: p.ggsnTeidC, nsapi: p.nsapi, teardown: o.teardown }), o.t);
    this.tick();
    const cause = o.cause ?? 128;
    const pkt = this.gtpc(p.ggsnC, p.sgsnC, deletePdpResponse({ seq, teid: p.sgsnTeidC, cause }), o.t);
    if (!(cause >= 128 && cause <= 191)) return;
    const c = p.ctx;
    if (!c || !c.active) return;
    if (o.teardown || c.primary === c) this.model.removeGroup(c.primary ?? c, pkt, this.lastTs);
    else this.model.remove(c, pkt, this.lastTs);
  }

  /** the user path of a PDP context (current addresses and TEIDs) */
  pdpPath(p: Pdp, t?: Transport, useV6 = false): UserPath {
    const ue = useV6 || !p.ueIp ? p.ueIpv6 : p.ueIp;
    if (!ue) throw new Error('PDP context without UE address');
    return { ran: p.sgsnU, core: p.ggsnU, teidUp: p.ggsnTeidU, teidDown: p.sgsnTeidU, ueIp: ue, transport: t };
  }

  // ---------------------------------------------------------- GTPv2 (S5/S8, S11)

  /** Create Session Request + Response (TS 29.274 s7.2.1/2) with one default bearer. */
  createSession(sub: S5Subscriber, o: { ebi?: number; cause?: number; t?: Transport } = {}): Pdn | null {
    const ebi = o.ebi ?? 5;
    const s11 = sub.iface === 's11';
    const seq = this.nextSeq2();
    const cDown = { addr: s11 ? sub.mmeC! : sub.sgwC, teid: this.teid() };
    const cUp = { addr: s11 ? sub.sgwC : sub.pgwC, teid: this.teid() };
    const pdn: Pdn = { sub, cDown, cUp, ueIp: sub.ueIp ?? null, ueIpv6: sub.ueIpv6 ?? null, bearers: [] };
    const senderC: Fteid = { iface: s11 ? IFACE.S11_MME : IFACE.S5C_SGW, teid: cDown.teid, addr: cDown.addr };
    const b: Bearer = { ebi, upAddr: s11 ? sub.sgwU : sub.pgwU, upTeid: this.teid(), downAddr: null, downTeid: 0, ctx: null };
    const reqBearerFteids: Fteid[] = [];
    if (!s11) {
      b.downAddr = sub.sgwU;
      b.downTeid = this.teid();
      reqBearerFteids.push({ iface: IFACE.S5U_SGW, teid: b.downTeid, addr: sub.sgwU, instance: 2 });
    }
    const pdnType = pdn.ueIp && pdn.ueIpv6 ? 'ipv4v6' : pdn.ueIpv6 ? 'ipv6' : 'ipv4';
    const req = createSessionRequest({
      seq,
      imsi: sub.imsi,
      msisdn: sub.msisdn ?? undefined,
      mei: sub.mei ?? undefined,
      apn: sub.apn,
      senderC,
      pdn: pdnType,
      bearers: [{ ebi, fteids: reqBearerFteids }],
    });
    this.gtpc(cDown.addr, cUp.addr, req, o.t);
    this.tick();
    const cause = o.cause ?? 16;
    const respTop: Fteid[] = [{ iface: s11 ? IFACE.S11_SGW : IFACE.S5C_PGW, teid: cUp.teid, addr: cUp.addr, instance: 0 }];
    const respBearer: Fteid[] = [];
    if (s11) {
      pdn.pgwC = { addr: sub.pgwC, teid: this.teid() };
      respTop.push({ iface: IFACE.S5C_PGW, teid: pdn.pgwC.teid, addr: sub.pgwC, instance: 1 });
      respBearer.push({ iface: IFACE.S1U_SGW, teid: b.upTeid, addr: sub.sgwU, instance: 0 });
      b.pgwU = sub.pgwU;
      b.pgwTeid = this.teid();
      respBearer.push({ iface: IFACE.S5U_PGW, teid: b.pgwTeid, addr: sub.pgwU, instance: 2 });
    } else {
      respBearer.push({ iface: IFACE.S5U_PGW, teid: b.upTeid, addr: sub.pgwU, instance: 2 });
    }
    const accepted = cause >= 16 && cause <= 63;
    const resp = createSessionResponse({
      seq,
      teid: cDown.teid,
      cause,
      fteids: accepted ? respTop : [],
      ueV4: accepted ? pdn.ueIp : null,
      ueV6: accepted ? pdn.ueIpv6 : null,
      bearers: accepted ? [{ ebi, fteids: respBearer, chargingId: this.rng.u32() }] : [],
    });
    const pkt = this.gtpc(cUp.addr, cDown.addr, resp, o.t);
    if (!accepted) return null;
    pdn.bearers.push(b);
    const ts = this.lastTs;
    const old = this.model.findReplaced(2, sub.imsi, ebi, canonicalIp(cDown.addr));
    if (old) this.model.removeGroup(old, pkt, ts);
    const c = this.model.newCtx({
      gtp: 2,
      bearer: ebi,
      imsi: sub.imsi,
      msisdn: sub.msisdn ?? null,
      imei: sub.mei ?? null,
      apn: sub.apn,
      ueIp: pdn.ueIp ? canonicalIp(pdn.ueIp) : null,
      ueIpv6: pdn.ueIpv6 ? canonicalIp(pdn.ueIpv6) : null,
      createdFrom: canonicalIp(cDown.addr),
    });
    // every F-TEID, request before response, in IE order (docs/sessions.md)
    const all: Fteid[] = [senderC, ...reqBearerFteids, ...respTop, ...respBearer];
    for (const f of all) {
      const t = fteidTunnel(f, ebi);
      if (t) SessionModel.addTunnel(c, t);
    }
    b.ctx = c;
    this.model.create(c, pkt, ts);
    return pdn;
  }

  /**
   * Modify Bearer Request + Response (TS 29.274 s7.2.7/8) for the default
   * bearer: S11 carries the (new) eNodeB S1-U F-TEID; S5/S8 a new SGW S5/S8-U
   * F-TEID. Only Bearer Context F-TEIDs are sent (no top-level F-TEID).
   */
  modifyBearer(pdn: Pdn, o: { downAddr?: Ip; downTeid?: number; t?: Transport } = {}): void {
    const b = pdn.bearers[0];
    const s11 = pdn.sub.iface === 's11';
    const addr = o.downAddr ?? (s11 ? pdn.sub.enbU! : pdn.sub.sgwU);
    const teid = o.downTeid ?? this.teid();
    const f: Fteid = { iface: s11 ? IFACE.S1U_ENB : IFACE.S5U_SGW, teid, addr, instance: s11 ? 0 : 1 };
    const seq = this.nextSeq2();
    this.gtpc(pdn.cDown.addr, pdn.cUp.addr, modifyBearerRequest({ seq, teid: pdn.cUp.teid, bearers: [{ ebi: b.ebi, fteids: [f] }] }), o.t);
    this.tick();
    const pkt = this.gtpc(
      pdn.cUp.addr,
      pdn.cDown.addr,
      modifyBearerResponse({ seq, teid: pdn.cDown.teid, cause: 16, bearers: [{ ebi: b.ebi, fteids: [] }] }),
      o.t,
    );
    b.downAddr = addr;
    b.downTeid = teid;
    const c = b.ctx;
    if (!c || !c.active) return;
    this.model.update(c, (x) => (x.userDown = [fteidTunnel(f, b.ebi)!]), pkt, this.lastTs);
  }

  /** PGW-initiated Create Bearer Request + Response (TS 29.274 s7.2.3/4): a dedicated bearer (S5/S8). */
  createBearer(pdn: Pdn, o: { ebi: number; t?: Transport }): Bearer {
    const def = pdn.bearers[0];
    const sub = pdn.sub;
    const pgwF: Fteid = { iface: IFACE.S5U_PGW, teid: this.teid(), addr: sub.pgwU, instance: 1 };
    const sgwF: Fteid = { iface: IFACE.S5U_SGW, teid: this.teid(), addr: sub.sgwU, instance: 2 };
    const seq = this.nextSeq2();
    this.gtpc(pdn.cUp.addr, pdn.cDown.addr, createBearerRequest({ seq, teid: pdn.cDown.teid, linkedEbi: def.ebi, fteids: [pgwF] }), o.t);
    this.tick();
    const pkt = this.gtpc(
      pdn.cDown.addr,
      pdn.cUp.addr,
      createBearerResponse({ seq, teid: pdn.cUp.teid, cause: 16, ebi: o.ebi, fteids: [sgwF, { ...pgwF, instance: 3 }] }),
      o.t,
    );
    const b: Bearer = { ebi: o.ebi, upAddr: sub.pgwU, upTeid: pgwF.teid, downAddr: sub.sgwU, downTeid: sgwF.teid, ctx: null };
    pdn.bearers.push(b);
    const pc = def.ctx;
    if (!pc || !pc.active) return b;
    const c = this.model.newCtx({
      gtp: 2,
      bearer: o.ebi,
      linkedBearer: def.ebi,
      imsi: pc.imsi,
      msisdn: pc.msisdn,
      imei: pc.imei,
      apn: pc.apn,
      ueIp: pc.ueIp,
      ueIpv6: pc.ueIpv6,
      primary: pc,
    });
    c.ctrlUp = pc.ctrlUp.map((t) => ({ ...t }));
    c.ctrlDown = pc.ctrlDown.map((t) => ({ ...t }));
    for (const f of [pgwF, sgwF]) SessionModel.addTunnel(c, fteidTunnel(f, o.ebi)!);
    b.ctx = c;
    this.model.create(c, pkt, this.lastTs);
    return b;
  }

  /** PGW-initiated Delete Bearer Request + Response (TS 29.274 s7.2.9.2/10.2). */
  deleteBearer(pdn: Pdn, ebis: number[], o: { t?: Transport } = {}): void {
    const seq = this.nextSeq2();
    this.gtpc(pdn.cUp.addr, pdn.cDown.addr, deleteBearerRequest({ seq, teid: pdn.cDown.teid, ebis }), o.t);
    this.tick();
    const pkt = this.gtpc(pdn.cDown.addr, pdn.cUp.addr, deleteBearerResponse({ seq, teid: pdn.cUp.teid, cause: 16, ebis }), o.t);
    for (const e of ebis) {
      const b = pdn.bearers.find((x) => x.ebi === e);
      if (b?.ctx) this.model.remove(b.ctx, pkt, this.lastTs);
      pdn.bearers = pdn.bearers.filter((x) => x !== b);
    }
  }

  /** Delete Session Request + Response (TS 29.274 s7.2.9.1/10.1): the whole PDN connection. */
  deleteSession(pdn: Pdn, o: { t?: Transport } = {}): void {
    const seq = this.nextSeq2();
    const def = pdn.bearers[0];
    this.gtpc(pdn.cDown.addr, pdn.cUp.addr, deleteSessionRequest({ seq, teid: pdn.cUp.teid, ebi: def.ebi }), o.t);
    this.tick();
    const pkt = this.gtpc(pdn.cUp.addr, pdn.cDown.addr, deleteSessionResponse({ seq, teid: pdn.cDown.teid, cause: 16 }), o.t);
    if (def.ctx) this.model.removeGroup(def.ctx, pkt, this.lastTs);
  }

  /** the user path of a bearer: on S11 the eNodeB <-> SGW S1-U leg, on S5/S8 SGW <-> PGW */
  bearerPath(pdn: Pdn, b: Bearer = pdn.bearers[0], t?: Transport, useV6 = false): UserPath {
    const ue = useV6 || !pdn.ueIp ? pdn.ueIpv6 : pdn.ueIp;
    if (!ue || !b.downAddr) throw new Error('bearer without UE address or downlink endpoint');
    return { ran: b.downAddr, core: b.upAddr, teidUp: b.upTeid, teidDown: b.downTeid, ueIp: ue, transport: t };
  }

  // ---------------------------------------------------------- user plane

  /** the model's verdict for a request completed by the last written packet */
  judge(path: UserPath, dir: 'up' | 'down', innerSrc: Ip, innerDst: Ip, expects: Expect[], host: string | null = null): void {
    const r =
      dir === 'up'
        ? { outerDst: path.core, teid: path.teidUp, innerSrc, innerDst }
        : { outerDst: path.ran, teid: path.teidDown, innerSrc, innerDst };
    this.model.request(r, expects, this.packets, this.lastTs, host);
  }

  /** an uplink DNS query from the UE (one packet) */
  dnsQuery(path: UserPath, name: string, o: { expects?: Expect[]; qtype?: number; id?: number; resolver?: Ip; sport?: number; t?: Transport } = {}): number {
    const resolver = o.resolver ?? defaultServer(path.ueIp, 'dns');
    const q = dnsQuery(o.id ?? this.rng.int(1, 0xffff), name, o.qtype ?? DNS_TYPE.A);
    const sport = o.sport ?? this.rng.int(32768, 60999);
    const inner = innerUdp(path.ueIp, resolver, sport, 53, q);
    const pkt = this.gpdu(path, 'up', inner, o.t);
    this.judge(path, 'up', path.ueIp, resolver, o.expects ?? [], name.endsWith('.') ? name.slice(0, -1) : name);
    return pkt;
  }

  /** a downlink DNS response to the UE (never a sighting, whatever it names) */
  dnsResponse(path: UserPath, name: string, answers: Ip[], o: { id?: number; resolver?: Ip; dport?: number; t?: Transport } = {}): number {
    const resolver = o.resolver ?? defaultServer(path.ueIp, 'dns');
    const r = dnsResponse(o.id ?? this.rng.int(1, 0xffff), name, answers, ipVersion(answers[0] ?? '0.0.0.0') === 6 ? DNS_TYPE.AAAA : DNS_TYPE.A);
    return this.gpdu(path, 'down', innerUdp(resolver, path.ueIp, 53, o.dport ?? 40000, r), o.t);
  }

  /** an inner UDP datagram that is not a request (bulk, RTP-like) */
  udpData(path: UserPath, dir: 'up' | 'down', peer: Ip, sport: number, dport: number, payload: Buffer, t?: Transport): number {
    const inner = dir === 'up' ? innerUdp(path.ueIp, peer, sport, dport, payload) : innerUdp(peer, path.ueIp, sport, dport, payload);
    return this.gpdu(path, dir, inner, t);
  }

  /** a TCP connection from the UE to `server:dport` */
  tcp(path: UserPath, o: { server?: Ip; dport?: number; sport?: number; handshake?: boolean; t?: Transport } = {}): TcpFlow {
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

/** docs/sessions.md Table 8.22-1 mapping: plane and direction of an F-TEID interface type */
export function fteidRole(iface: number): { plane: 'control' | 'user'; dir: Dir } | null {
  switch (iface) {
    case 7:
    case 11:
      return { plane: 'control', dir: 'uplink' };
    case 6:
    case 10:
    case 17:
      return { plane: 'control', dir: 'downlink' };
    case 1:
    case 3:
    case 5:
    case 16:
      return { plane: 'user', dir: 'uplink' };
    case 0:
    case 2:
    case 4:
    case 15:
      return { plane: 'user', dir: 'downlink' };
    default:
      return null;
  }
}

function fteidTunnel(f: Fteid, bearer: number) {
  const r = fteidRole(f.iface);
  if (!r) return null;
  return tunnel(r.plane, r.dir, f.addr, f.teid, r.plane === 'user' ? bearer : undefined);
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

export function innerTcp(src: Ip, dst: Ip, sport: number, dport: number, payload: Uint8Array, seq: number, ack: number, flags: number, mss?: number): Buffer {
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
    const synack = innerTcp(this.server, this.path.ueIp, this.dport, this.sport, Buffer.alloc(0), this.isnDown, (this.isnUp + 1) >>> 0, TCP.SYN | TCP.ACK, 1360);
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
    for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i + 1] > bounds[i]) segs.push([bounds[i], bounds[i + 1]]);
    let start = 0;
    for (const h of o.heads ?? []) {
      this.pending.push({ end: base + h.end, expects: h.expects, host: requestHost(data.subarray(start, h.end)) });
      start = h.end;
    }
    const order = o.order ?? segs.map((_, i) => i);
    if (order.length !== segs.length) throw new Error(`order has ${order.length} entries for ${segs.length} segments`);
    const deliveries: [number, number][] = [];
    order.forEach((i, k) => {
      deliveries.push(segs[i]);
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
    while (this.pending.length && this.pending[0].end <= this.prefix) {
      const h = this.pending.shift()!;
      this.s.judge(this.path, 'up', this.path.ueIp, this.server, h.expects, h.host);
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
    this.s.judge(this.path, 'down', this.server, this.path.ueIp, expects);
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
