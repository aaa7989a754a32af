// GTPv1-C procedures on Gn/Gp (TS 29.060 s7.3) as the scenario writes them:
// the messages, and what the model learns from them (docs/sessions.md).
import { canonicalIp, type Ip } from './bytes';
import {
  createPdpRequest,
  createPdpResponse,
  deletePdpRequest,
  deletePdpResponse,
  gtp1,
  IE1,
  PCO_DEFAULT,
  QOS_R99,
  tlv,
  tv,
  updatePdpRequest,
  updatePdpResponse,
  V1,
} from './gtp';
import { ipBytes, u32be } from './bytes';
import { type Ctx, MAX_GROUP } from './model';
import type { Gn1Subscriber, Pdp, Scenario, Transport, UserPath } from './scenario';

const accepted = (cause: number) => cause >= 128 && cause <= 191;

/** the sockets a PDP context's GTP-C uses: the SGSN's (it sends requests from it) and the GGSN's */
function ports(p: { sgsnPort?: number; ggsnPort?: number }): { sgsn: number; ggsn: number } {
  return { sgsn: p.sgsnPort ?? 2123, ggsn: p.ggsnPort ?? 2123 };
}

export interface CreatePdpOptions {
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
  /** the SGSN's GTP-C port (many sockets on one address) and the port the GGSN answers from */
  sgsnPort?: number;
  ggsnPort?: number;
  /** the sequence number (default: the scenario's next) */
  seq?: number;
}

/**
 * Create PDP Context Request + Response (TS 29.060 s7.3.1/2). Returns the
 * PDP context (null when the cause rejects it). With `secondaryOf`, a
 * secondary context (Linked NSAPI) of that primary.
 */
export function createPdp(s: Scenario, sub: Gn1Subscriber, o: CreatePdpOptions = {}): Pdp | null {
  return createPdpRequested(s, sub, o)();
}

/** The Create PDP Context Request written; the returned function writes the response. */
export function createPdpRequested(s: Scenario, sub: Gn1Subscriber, o: CreatePdpOptions = {}): () => Pdp | null {
  const prim = o.secondaryOf ?? null;
  if (prim && !o.unmodelled && !(prim.ctx && prim.ctx.active))
    throw new Error('secondary of a primary that is not active');
  const sgsnU = o.singleGsn ? sub.sgsnC : (sub.sgsnU ?? sub.sgsnC);
  const ggsnU = sub.ggsnU ?? sub.ggsnC;
  const p: Pdp = {
    sub,
    nsapi: o.nsapi ?? 5,
    sgsnC: sub.sgsnC,
    sgsnU,
    ggsnC: sub.ggsnC,
    ggsnU,
    sgsnTeidC: prim ? prim.sgsnTeidC : (o.sgsnTeidC ?? s.teid()),
    sgsnTeidU: o.sgsnTeidU ?? s.teid(),
    ggsnTeidC: prim ? prim.ggsnTeidC : (o.ggsnTeidC ?? s.teid()),
    ggsnTeidU: o.ggsnTeidU ?? s.teid(),
    ueIp: prim ? prim.ueIp : (sub.ueIp ?? null),
    ueIpv6: prim ? prim.ueIpv6 : (sub.ueIpv6 ?? null),
    primary: prim,
    ctx: null,
    sgsnPort: prim ? prim.sgsnPort : o.sgsnPort,
    ggsnPort: prim ? prim.ggsnPort : o.ggsnPort,
  };
  const port = ports(p);
  const cause = o.cause ?? 128;
  const seq = o.seq ?? s.nextSeq1();
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
    msisdn: prim || o.msisdnRaw ? undefined : (sub.msisdn ?? undefined),
    msisdnRaw: prim ? undefined : o.msisdnRaw,
    tft: prim ? Buffer.from([0x21, 0x10, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0xc4]) : undefined,
    imei: prim ? undefined : (sub.imei ?? undefined),
    extra: o.extra,
  });
  s.gtpc(sub.sgsnC, sub.ggsnC, req, o.t, true, port.sgsn, 2123);
  s.tick();
  return () => answerPdp(s, sub, o, p, seq, cause, prim, ggsnU, sgsnU);
}

function answerPdp(
  s: Scenario,
  sub: Gn1Subscriber,
  o: CreatePdpOptions,
  p: Pdp,
  seq: number,
  cause: number,
  prim: Pdp | null,
  ggsnU: Ip,
  sgsnU: Ip,
): Pdp | null {
  const port = ports(p);
  const resp = createPdpResponse({
    seq,
    teid: p.sgsnTeidC,
    cause,
    recovery: 1,
    teidData: p.ggsnTeidU,
    teidCp: prim ? undefined : p.ggsnTeidC,
    chargingId: s.rng.u32(),
    ueV4: prim || o.noEua ? null : p.ueIp,
    ueV6: prim || o.noEua ? null : p.ueIpv6,
    gsnSignalling: sub.ggsnC,
    gsnUser: ggsnU,
  });
  const pkt = s.gtpc(sub.ggsnC, sub.sgsnC, resp, o.t, true, port.ggsn, port.sgsn);
  if (!accepted(cause)) return null;
  if (o.unmodelled) return p;
  const ts = s.lastTs;
  const m = s.model;
  // the model: docs/sessions.md GTPv1 Create PDP Context
  if (prim) {
    const pc = prim.ctx!;
    // the NSAPI names the context: one of the group with the same NSAPI is replaced
    const same = pc.secondaries.find((c) => c.bearer === p.nsapi);
    if (same) m.remove(same, pkt, ts);
    if (1 + pc.secondaries.length >= MAX_GROUP) return p; // the group is full (session.bearer_limit)
    const c = m.newCtx({ gtp: 1, bearer: p.nsapi });
    m.adopt(c, pc);
    m.setEndpoint(c, 'gn', 'uplink', { addr: ggsnU, teid: p.ggsnTeidU });
    m.setEndpoint(c, 'gn', 'downlink', { addr: sgsnU, teid: p.sgsnTeidU });
    p.ctx = c;
    m.create(c, pkt, ts);
    return p;
  }
  const old = m.findIdentity(1, sub.imsi, p.nsapi);
  if (old) {
    if (old.primary === old) m.removeGroup(old, pkt, ts);
    else m.remove(old, pkt, ts);
  }
  const c = m.newCtx({
    gtp: 1,
    bearer: p.nsapi,
    imsi: sub.imsi,
    msisdn: o.msisdnRaw ? null : (sub.msisdn ?? null),
    imei: sub.imei ?? null,
    apn: sub.apn,
    ueIp: o.noEua ? null : p.ueIp ? canonicalIp(p.ueIp) : null,
    ueIpv6: o.noEua ? null : p.ueIpv6 ? canonicalIp(p.ueIpv6) : null,
  });
  m.setCtrl(c, 'uplink', { addr: sub.ggsnC, teid: p.ggsnTeidC });
  m.setCtrl(c, 'downlink', { addr: sub.sgsnC, teid: p.sgsnTeidC });
  m.setEndpoint(c, 'gn', 'uplink', { addr: ggsnU, teid: p.ggsnTeidU });
  m.setEndpoint(c, 'gn', 'downlink', { addr: sgsnU, teid: p.sgsnTeidU });
  p.ctx = c;
  m.create(c, pkt, ts);
  return p;
}

/** the contexts of a PDP context's group: the primary, then its secondaries */
function group(c: Ctx): Ctx[] {
  const prim = c.primary ?? c;
  return [prim, ...prim.secondaries];
}

/**
 * SGSN-initiated Update PDP Context (TS 29.060 s7.3.3/4), e.g. an inter-SGSN
 * routing area update: the new SGSN's addresses and TEIDs replace its
 * endpoints, the GGSN's response gives its own.
 */
export function updatePdp(
  s: Scenario,
  p: Pdp,
  o: {
    sgsnC?: Ip;
    sgsnU?: Ip;
    sgsnTeidC?: number;
    sgsnTeidU?: number;
    ggsnTeidU?: number;
    cause?: number;
    t?: Transport;
    sgsnPort?: number;
  } = {},
): void {
  const newC = o.sgsnC ?? p.sgsnC;
  const newU = o.sgsnU ?? o.sgsnC ?? p.sgsnU;
  const teidC = o.sgsnTeidC ?? s.teid();
  const teidU = o.sgsnTeidU ?? s.teid();
  const ggsnTeidU = o.ggsnTeidU ?? p.ggsnTeidU;
  const seq = s.nextSeq1();
  const cause = o.cause ?? 128;
  const sgsnPort = o.sgsnPort ?? p.sgsnPort ?? 2123;
  s.gtpc(
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
    true,
    sgsnPort,
    2123,
  );
  s.tick();
  const pkt = s.gtpc(
    p.ggsnC,
    newC,
    updatePdpResponse({
      seq,
      teid: teidC,
      cause,
      recovery: 1,
      teidData: ggsnTeidU,
      teidCp: p.ggsnTeidC,
      chargingId: s.rng.u32(),
      gsnSignalling: p.ggsnC,
      gsnUser: p.ggsnU,
    }),
    o.t,
    true,
    ports(p).ggsn,
    sgsnPort,
  );
  if (!accepted(cause)) return;
  p.sgsnC = newC;
  p.sgsnU = newU;
  p.sgsnTeidC = teidC;
  p.sgsnTeidU = teidU;
  p.ggsnTeidU = ggsnTeidU;
  p.sgsnPort = sgsnPort;
  const c = p.ctx;
  if (!c || !c.active) return;
  const m = s.model;
  // control endpoints are the group's: every context of it holds them
  for (const g of group(c)) {
    if (g === c) continue;
    m.change(g, (x) => {
      m.setCtrl(x, 'downlink', { addr: newC, teid: teidC });
      m.setCtrl(x, 'uplink', { addr: p.ggsnC, teid: p.ggsnTeidC });
    });
  }
  m.update(
    c,
    (x) => {
      m.setCtrl(x, 'downlink', { addr: newC, teid: teidC });
      m.setEndpoint(x, 'gn', 'downlink', { addr: newU, teid: teidU });
      m.setCtrl(x, 'uplink', { addr: p.ggsnC, teid: p.ggsnTeidC });
      m.setEndpoint(x, 'gn', 'uplink', { addr: p.ggsnU, teid: ggsnTeidU });
    },
    pkt,
    s.lastTs,
  );
}

/**
 * GGSN-initiated Update PDP Context (TS 29.060 s7.3.3/4): the request carries
 * no tunnel (NSAPI, QoS); the SGSN's response carries its TEID Data I and its
 * address for user traffic (with a direct tunnel: the RNC's), never a control
 * endpoint.
 */
export function ggsnUpdatePdp(s: Scenario, p: Pdp, o: { userAddr?: Ip; teidU?: number; t?: Transport } = {}): void {
  const addr = o.userAddr ?? p.sgsnU;
  const teidU = o.teidU ?? s.teid();
  const seq = s.nextSeq1();
  const port = ports(p);
  const req = gtp1(V1.UPDATE_PDP_REQ, Buffer.concat([tv(IE1.NSAPI, Buffer.from([p.nsapi])), tlv(IE1.QOS, QOS_R99)]), {
    teid: p.sgsnTeidC,
    seq,
  });
  s.gtpc(p.ggsnC, p.sgsnC, req, o.t, true, port.ggsn, 2123);
  s.tick();
  const resp = gtp1(
    V1.UPDATE_PDP_RESP,
    Buffer.concat([
      tv(IE1.CAUSE, Buffer.from([128])),
      tv(IE1.TEID_DATA_I, u32be(teidU)),
      tlv(IE1.GSN_ADDRESS, ipBytes(addr)),
      tlv(IE1.QOS, QOS_R99),
    ]),
    { teid: p.ggsnTeidC, seq },
  );
  const pkt = s.gtpc(p.sgsnC, p.ggsnC, resp, o.t, true, 2123, port.ggsn);
  p.sgsnU = addr;
  p.sgsnTeidU = teidU;
  const c = p.ctx;
  if (!c || !c.active) return;
  s.model.update(c, (x) => s.model.setEndpoint(x, 'gn', 'downlink', { addr, teid: teidU }), pkt, s.lastTs);
}

/** Delete PDP Context (TS 29.060 s7.3.5/6), SGSN-initiated or (byGgsn) GGSN-initiated. */
export function deletePdp(
  s: Scenario,
  p: Pdp,
  o: { teardown?: boolean; cause?: number; t?: Transport; byGgsn?: boolean } = {},
): void {
  const seq = s.nextSeq1();
  const port = ports(p);
  const cause = o.cause ?? 128;
  let pkt: number;
  if (o.byGgsn) {
    s.gtpc(
      p.ggsnC,
      p.sgsnC,
      deletePdpRequest({ seq, teid: p.sgsnTeidC, nsapi: p.nsapi, teardown: o.teardown }),
      o.t,
      true,
      port.ggsn,
      2123,
    );
    s.tick();
    pkt = s.gtpc(p.sgsnC, p.ggsnC, deletePdpResponse({ seq, teid: p.ggsnTeidC, cause }), o.t, true, 2123, port.ggsn);
  } else {
    s.gtpc(
      p.sgsnC,
      p.ggsnC,
      deletePdpRequest({ seq, teid: p.ggsnTeidC, nsapi: p.nsapi, teardown: o.teardown }),
      o.t,
      true,
      port.sgsn,
      2123,
    );
    s.tick();
    pkt = s.gtpc(
      p.ggsnC,
      p.sgsnC,
      deletePdpResponse({ seq, teid: p.sgsnTeidC, cause }),
      o.t,
      true,
      port.ggsn,
      port.sgsn,
    );
  }
  if (!accepted(cause)) return;
  const c = p.ctx;
  if (!c || !c.active) return;
  if (o.teardown || c.primary === c) s.model.removeGroup(c.primary ?? c, pkt, s.lastTs);
  else s.model.remove(c, pkt, s.lastTs);
}

/** the user path of a PDP context (current addresses and TEIDs) */
export function pdpPath(p: Pdp, t?: Transport, useV6 = false): UserPath {
  const ue = useV6 || !p.ueIp ? p.ueIpv6 : p.ueIp;
  if (!ue) throw new Error('PDP context without UE address');
  return { ran: p.sgsnU, core: p.ggsnU, teidUp: p.ggsnTeidU, teidDown: p.sgsnTeidU, ueIp: ue, transport: t };
}
