// GTPv2-C procedures on S11/S4 and S5/S8 (TS 29.274 s7.2) as the scenario
// writes them: the messages, and what the model learns from them
// (docs/sessions.md).
//
// A PDN connection is written on one hop at a time: S11 (MME <-> SGW, user
// plane eNodeB <-> SGW on S1-U) or S5/S8 (SGW <-> PGW). On S11 the control
// TEIDs are per UE: a second PDN connection of the same UE (`shareUe`) uses
// the first one's.
import { canonicalIp, type Ip } from './bytes';
import {
  bearerContext,
  bearerQos,
  cause2,
  createBearerRequest,
  createBearerResponse,
  createSessionRequest,
  createSessionResponse,
  deleteBearerRequest,
  deleteBearerResponse,
  deleteSessionRequest,
  deleteSessionResponse,
  ebi as ebiIe,
  type Fteid,
  fteid as fteidIe,
  gtp2,
  IE2,
  ie2,
  IFACE,
  modifyBearerRequest,
  modifyBearerResponse,
  V2,
} from './gtp';
import { tbcd, apnBytes } from './bytes';
import { type Ctx, type Dir, type Endpoint, type Kind, MAX_GROUP } from './model';
import type { Bearer, Pdn, S5Subscriber, Scenario, Transport, UserPath } from './scenario';

const accepted = (cause: number) => cause >= 16 && cause <= 63;

/** TS 29.274 Table 8.22-1: the model's kind and side of a user-plane F-TEID interface type */
export function fteidKind(iface: number): { kind: Kind; dir: Dir } | null {
  switch (iface) {
    case 0:
      return { kind: 's1u', dir: 'downlink' };
    case 1:
      return { kind: 's1u', dir: 'uplink' };
    case 2:
      return { kind: 's12', dir: 'downlink' };
    case 3:
      return { kind: 's12', dir: 'uplink' };
    case 4:
      return { kind: 's5u', dir: 'downlink' };
    case 5:
      return { kind: 's5u', dir: 'uplink' };
    case 15:
      return { kind: 's4u', dir: 'downlink' };
    case 16:
      return { kind: 's4u', dir: 'uplink' };
    default:
      return null;
  }
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
    default: {
      const k = fteidKind(iface);
      return k ? { plane: 'user', dir: k.dir } : null;
    }
  }
}

const ep = (f: Fteid): Endpoint => ({ addr: f.addr, teid: f.teid, addr6: f.addr6 });

/** sets a user-plane F-TEID on a context (per interface) */
function setUser(s: Scenario, c: Ctx, f: Fteid): void {
  const k = fteidKind(f.iface);
  if (k && f.teid) s.model.setEndpoint(c, k.kind, k.dir, ep(f));
}

/** the sockets a PDN connection's GTP-C uses: the RAN side's (MME, SGW on S5/S8) and the core side's */
function ports(p: Pdn): { ran: number; core: number } {
  return { ran: p.port ?? 2123, core: p.corePort ?? 2123 };
}

/** the PDN connections a per-UE S11 TEID addresses: their default bearers, by EBI (the engine's order) */
function pdnsSharing(s: Scenario, pdn: Pdn): Ctx[] {
  const def = pdn.bearers[0]?.ctx;
  if (!def || !def.active) return [];
  const same = (a: Endpoint | null, b: Endpoint | null) =>
    !!a && !!b && canonicalIp(a.addr) === canonicalIp(b.addr) && a.teid === b.teid;
  const out: Ctx[] = [];
  for (let e = 0; e < 16; e++) {
    const c = s.model.findIdentity(2, def.imsi!, e, def.ctrlDown, def.ctrlUp);
    if (c && c.primary === c && same(c.ctrlUp, def.ctrlUp)) out.push(c);
  }
  return out;
}

const members = (c: Ctx): Ctx[] => [c, ...c.secondaries];

export interface CreateSessionOptions {
  ebi?: number;
  cause?: number;
  t?: Transport;
  /** the RAN side's GTP-C port (many MME sockets on one address), the port the core side answers from */
  port?: number;
  corePort?: number;
  /** the sequence number (default: the scenario's next) */
  seq?: number;
  /** S11: another PDN connection of the same UE: its per-UE control TEIDs are used */
  shareUe?: Pdn;
  /** a Bearer Context to be removed (instance 1) listed first in the request and the response */
  removeFirst?: number;
  /** a Create Bearer Request for this dedicated EBI piggybacked on the response (TS 29.274 s5.1), then its response */
  piggybackBearer?: number;
}

/** Create Session Request + Response (TS 29.274 s7.2.1/2) with one default bearer. */
export function createSession(s: Scenario, sub: S5Subscriber, o: CreateSessionOptions = {}): Pdn | null {
  return createSessionRequested(s, sub, o)();
}

/**
 * The Create Session Request written; the returned function writes the
 * response (so that several requests can be in flight at once).
 */
export function createSessionRequested(s: Scenario, sub: S5Subscriber, o: CreateSessionOptions = {}): () => Pdn | null {
  const ebi = o.ebi ?? 5;
  const s11 = sub.iface === 's11';
  const seq = o.seq ?? s.nextSeq2();
  const share = s11 && o.shareUe ? o.shareUe : null;
  const cDown = { addr: s11 ? sub.mmeC! : sub.sgwC, teid: share ? share.cDown.teid : s.teid() };
  const cUp = { addr: s11 ? sub.sgwC : sub.pgwC, teid: share ? share.cUp.teid : s.teid() };
  const pdn: Pdn = {
    sub,
    cDown,
    cUp,
    ueIp: sub.ueIp ?? null,
    ueIpv6: sub.ueIpv6 ?? null,
    bearers: [],
    port: o.port,
    corePort: o.corePort,
  };
  const port = ports(pdn);
  const senderC: Fteid = { iface: s11 ? IFACE.S11_MME : IFACE.S5C_SGW, teid: cDown.teid, addr: cDown.addr };
  const b: Bearer = {
    ebi,
    upAddr: s11 ? sub.sgwU : sub.pgwU,
    upTeid: s.teid(),
    downAddr: null,
    downTeid: 0,
    ctx: null,
  };
  const reqBearerFteids: Fteid[] = [];
  if (!s11) {
    b.downAddr = sub.sgwU;
    b.downTeid = s.teid();
    reqBearerFteids.push({ iface: IFACE.S5U_SGW, teid: b.downTeid, addr: sub.sgwU, addr6: sub.sgwU6, instance: 2 });
  }
  const pdnType = pdn.ueIp && pdn.ueIpv6 ? 'ipv4v6' : pdn.ueIpv6 ? 'ipv6' : 'ipv4';
  let req = createSessionRequest({
    seq,
    imsi: sub.imsi,
    msisdn: sub.msisdn ?? undefined,
    mei: sub.mei ?? undefined,
    apn: sub.apn,
    senderC,
    pdn: pdnType,
    bearers: [{ ebi, fteids: reqBearerFteids }],
  });
  if (o.removeFirst !== undefined) req = withFirstBearer(req, bearerContext([ebiIe(o.removeFirst)], 1));
  s.gtpc(cDown.addr, cUp.addr, req, o.t, true, port.ran, 2123);
  s.tick();
  return () => answerSession(s, sub, o, { ebi, s11, seq, share, cDown, cUp, pdn, port, b, reqBearerFteids, senderC });
}

function answerSession(
  s: Scenario,
  sub: S5Subscriber,
  o: CreateSessionOptions,
  q: {
    ebi: number;
    s11: boolean;
    seq: number;
    share: Pdn | null;
    cDown: { addr: Ip; teid: number };
    cUp: { addr: Ip; teid: number };
    pdn: Pdn;
    port: { ran: number; core: number };
    b: Bearer;
    reqBearerFteids: Fteid[];
    senderC: Fteid;
  },
): Pdn | null {
  const { ebi, s11, seq, cDown, cUp, pdn, port, b, reqBearerFteids } = q;
  const cause = o.cause ?? 16;
  const respTop: Fteid[] = [
    { iface: s11 ? IFACE.S11_SGW : IFACE.S5C_PGW, teid: cUp.teid, addr: cUp.addr, instance: 0 },
  ];
  const respBearer: Fteid[] = [];
  if (s11) {
    pdn.pgwC = { addr: sub.pgwC, teid: s.teid() };
    respTop.push({ iface: IFACE.S5C_PGW, teid: pdn.pgwC.teid, addr: sub.pgwC, instance: 1 });
    respBearer.push({ iface: IFACE.S1U_SGW, teid: b.upTeid, addr: sub.sgwU, addr6: sub.sgwU6, instance: 0 });
    b.pgwU = sub.pgwU;
    b.pgwTeid = s.teid();
    respBearer.push({ iface: IFACE.S5U_PGW, teid: b.pgwTeid, addr: sub.pgwU, addr6: sub.pgwU6, instance: 2 });
  } else {
    respBearer.push({ iface: IFACE.S5U_PGW, teid: b.upTeid, addr: sub.pgwU, addr6: sub.pgwU6, instance: 2 });
  }
  const ok = accepted(cause);
  let resp = createSessionResponse({
    seq,
    teid: cDown.teid,
    cause,
    fteids: ok ? respTop : [],
    ueV4: ok ? pdn.ueIp : null,
    ueV6: ok ? pdn.ueIpv6 : null,
    bearers: ok ? [{ ebi, fteids: respBearer, chargingId: s.rng.u32() }] : [],
  });
  if (o.removeFirst !== undefined) resp = withFirstBearer(resp, bearerContext([ebiIe(o.removeFirst), cause2(16)], 1));
  let piggy: { seq: number; f: Fteid } | null = null;
  if (ok && o.piggybackBearer !== undefined) {
    // the core side asks for a dedicated bearer at once: its Create Bearer Request rides on the response
    const f: Fteid = s11
      ? { iface: IFACE.S1U_SGW, teid: s.teid(), addr: sub.sgwU, instance: 0 }
      : { iface: IFACE.S5U_PGW, teid: s.teid(), addr: sub.pgwU, instance: 1 };
    piggy = { seq: s.nextSeq2(), f };
    resp = Buffer.concat([
      setPiggyback(resp),
      createBearerRequest({ seq: piggy.seq, teid: cDown.teid, linkedEbi: ebi, fteids: [f] }),
    ]);
  }
  const pkt = s.gtpc(cUp.addr, cDown.addr, resp, o.t, piggy === null, port.core, port.ran);
  if (piggy) {
    s.count(2, V2.CREATE_SESSION_RESP);
    s.count(2, V2.CREATE_BEARER_REQ);
  }
  if (!ok) return null;
  pdn.bearers.push(b);
  const ts = s.lastTs;
  const m = s.model;
  const old = m.findIdentity(2, sub.imsi, ebi, cDown, cUp);
  if (old) {
    if (old.primary === old) m.removeGroup(old, pkt, ts);
    else m.remove(old, pkt, ts);
  }
  const c = m.newCtx({
    gtp: 2,
    bearer: ebi,
    imsi: sub.imsi,
    msisdn: sub.msisdn ?? null,
    imei: sub.mei ?? null,
    apn: sub.apn,
    ueIp: pdn.ueIp ? canonicalIp(pdn.ueIp) : null,
    ueIpv6: pdn.ueIpv6 ? canonicalIp(pdn.ueIpv6) : null,
    hopS11: s11,
  });
  m.setCtrl(c, 'downlink', cDown);
  m.setCtrl(c, 'uplink', cUp);
  // other hops' control endpoints carried here (the PGW's S5/S8-C on S11), then the bearer's F-TEIDs
  for (const f of respTop.slice(1)) m.setEndpoint(c, 'peer', 'uplink', ep(f));
  for (const f of [...reqBearerFteids, ...respBearer]) setUser(s, c, f);
  b.ctx = c;
  m.create(c, pkt, ts);
  if (piggy) answerBearer(s, pdn, piggy.seq, piggy.f, o.piggybackBearer!, o.t);
  return pdn;
}

/** a GTPv2 message with one more IE placed first (a Bearer Context of instance 1) */
function withFirstBearer(msg: Buffer, ie: Buffer): Buffer {
  const hasTeid = (msg[0]! & 0x08) !== 0;
  const head = hasTeid ? 12 : 8;
  const out = Buffer.concat([msg.subarray(0, head), ie, msg.subarray(head)]);
  out.writeUInt16BE(out.length - 4, 2);
  return out;
}

function setPiggyback(msg: Buffer): Buffer {
  const out = Buffer.from(msg);
  out[0]! |= 0x10;
  return out;
}

/** the response to a Create Bearer Request that came piggybacked (the RAN side allocates the EBI) */
function answerBearer(s: Scenario, pdn: Pdn, seq: number, upF: Fteid, ebi: number, t?: Transport): void {
  const s11 = pdn.sub.iface === 's11';
  const downF: Fteid = s11
    ? { iface: IFACE.S1U_ENB, teid: s.teid(), addr: pdn.sub.enbU!, instance: 0 }
    : { iface: IFACE.S5U_SGW, teid: s.teid(), addr: pdn.sub.sgwU, instance: 2 };
  s.tick();
  const pkt = s.gtpc(
    pdn.cDown.addr,
    pdn.cUp.addr,
    createBearerResponse({ seq, teid: pdn.cUp.teid, cause: 16, ebi, fteids: [downF] }),
    t,
    true,
    ports(pdn).ran,
    2123,
  );
  const b: Bearer = { ebi, upAddr: upF.addr, upTeid: upF.teid, downAddr: downF.addr, downTeid: downF.teid, ctx: null };
  pdn.bearers.push(b);
  dedicated(s, pdn, b, [upF, downF], pkt);
}

/** the model's dedicated bearer: a new context joining the PDN connection's default bearer */
function dedicated(s: Scenario, pdn: Pdn, b: Bearer, fteids: Fteid[], pkt: number): void {
  const pc = pdn.bearers[0]!.ctx;
  if (!pc || !pc.active) return;
  const m = s.model;
  const same = pc.secondaries.find((x) => x.bearer === b.ebi);
  if (same) m.remove(same, pkt, s.lastTs);
  if (1 + pc.secondaries.length >= MAX_GROUP) return;
  const c = m.newCtx({ gtp: 2, bearer: b.ebi });
  m.adopt(c, pc);
  for (const f of fteids) setUser(s, c, f);
  b.ctx = c;
  m.create(c, pkt, s.lastTs);
}

export interface ModifyBearerOptions {
  /** the bearers and their new RAN-side endpoint (default: the default bearer, a new TEID) */
  bearers?: { ebi: number; downAddr?: Ip; downTeid?: number }[];
  downAddr?: Ip;
  downTeid?: number;
  /** the requester's new control endpoint (MME relocation on S11, SGW relocation on S5/S8) */
  senderC?: { addr: Ip; teid: number };
  /** the SGW answers with a new S1-U SGW F-TEID for each bearer (S11) */
  newUp?: boolean;
  t?: Transport;
}

/**
 * Modify Bearer Request + Response (TS 29.274 s7.2.7/8): S11 carries the
 * (new) eNodeB S1-U F-TEID per bearer; S5/S8 a new SGW S5/S8-U F-TEID. A
 * sender F-TEID in the request moves the requester's control endpoint.
 */
export function modifyBearer(s: Scenario, pdn: Pdn, o: ModifyBearerOptions = {}): void {
  const s11 = pdn.sub.iface === 's11';
  const wanted = o.bearers ?? [{ ebi: pdn.bearers[0]!.ebi, downAddr: o.downAddr, downTeid: o.downTeid }];
  const changes = wanted.map((w) => {
    const addr = w.downAddr ?? (s11 ? pdn.sub.enbU! : pdn.sub.sgwU);
    const teid = w.downTeid ?? s.teid();
    const f: Fteid = {
      iface: s11 ? IFACE.S1U_ENB : IFACE.S5U_SGW,
      teid,
      addr,
      instance: s11 ? 0 : 1,
      addr6: s11 ? pdn.sub.enbU6 : pdn.sub.sgwU6,
    };
    return { ebi: w.ebi, f, up: undefined as Fteid | undefined };
  });
  const seq = s.nextSeq2();
  const port = ports(pdn);
  const senderC: Fteid | undefined = o.senderC && {
    iface: s11 ? IFACE.S11_MME : IFACE.S5C_SGW,
    teid: o.senderC.teid,
    addr: o.senderC.addr,
  };
  const from = o.senderC ? o.senderC.addr : pdn.cDown.addr;
  s.gtpc(
    from,
    pdn.cUp.addr,
    modifyBearerRequest({
      seq,
      teid: pdn.cUp.teid,
      senderC,
      bearers: changes.map((c) => ({ ebi: c.ebi, fteids: [c.f] })),
    }),
    o.t,
    true,
    port.ran,
    2123,
  );
  s.tick();
  if (o.newUp)
    for (const c of changes)
      c.up = { iface: IFACE.S1U_SGW, teid: s.teid(), addr: pdn.sub.sgwU, addr6: pdn.sub.sgwU6, instance: 0 };
  const newDown = o.senderC ?? pdn.cDown;
  const pkt = s.gtpc(
    pdn.cUp.addr,
    newDown.addr,
    modifyBearerResponse({
      seq,
      teid: newDown.teid,
      cause: 16,
      bearers: changes.map((c) => ({ ebi: c.ebi, fteids: c.up ? [c.up] : [] })),
    }),
    o.t,
    true,
    port.core,
    port.ran,
  );
  // the model: every context of the PDN connections the TEID addresses, in the engine's order
  const m = s.model;
  const all = (s11 ? pdnsSharing(s, pdn) : [pdn.bearers[0]!.ctx].filter((c): c is Ctx => !!c && c.active)).flatMap(
    members,
  );
  const touched = new Set<Ctx>();
  for (const c of all)
    m.change(c, (x) => {
      if (
        o.senderC &&
        (x.ctrlDown?.teid !== o.senderC.teid || canonicalIp(x.ctrlDown.addr) !== canonicalIp(o.senderC.addr))
      ) {
        m.setCtrl(x, 'downlink', o.senderC);
        touched.add(x);
      }
      for (const ch of changes)
        if (x.bearer === ch.ebi) {
          setUser(s, x, ch.f);
          if (ch.up) setUser(s, x, ch.up);
          touched.add(x);
        }
    });
  for (const c of all) if (touched.has(c)) m.updated(c, pkt, s.lastTs);
  if (touched.size === 0 && all.length) m.updated(all[0]!, pkt, s.lastTs);
  // the wire state
  if (o.senderC) pdn.cDown = { ...o.senderC };
  for (const ch of changes) {
    const b = pdn.bearers.find((x) => x.ebi === ch.ebi);
    if (!b) continue;
    b.downAddr = ch.f.addr;
    b.downTeid = ch.f.teid;
    if (ch.up) b.upTeid = ch.up.teid;
  }
}

/**
 * Create Bearer Request + Response (TS 29.274 s7.2.3/4): a dedicated bearer,
 * asked for by the PGW on S5/S8 or the SGW on S11.
 */
export function createBearer(s: Scenario, pdn: Pdn, o: { ebi: number; lbi?: number; t?: Transport }): Bearer {
  const def = pdn.bearers[0]!;
  const sub = pdn.sub;
  const s11 = sub.iface === 's11';
  const upF: Fteid = s11
    ? { iface: IFACE.S1U_SGW, teid: s.teid(), addr: sub.sgwU, instance: 0 }
    : { iface: IFACE.S5U_PGW, teid: s.teid(), addr: sub.pgwU, instance: 1 };
  const downF: Fteid = s11
    ? { iface: IFACE.S1U_ENB, teid: s.teid(), addr: sub.enbU!, instance: 0 }
    : { iface: IFACE.S5U_SGW, teid: s.teid(), addr: sub.sgwU, instance: 2 };
  const seq = s.nextSeq2();
  const port = ports(pdn);
  s.gtpc(
    pdn.cUp.addr,
    pdn.cDown.addr,
    createBearerRequest({ seq, teid: pdn.cDown.teid, linkedEbi: o.lbi ?? def.ebi, fteids: [upF] }),
    o.t,
    true,
    port.core,
    port.ran,
  );
  s.tick();
  const pkt = s.gtpc(
    pdn.cDown.addr,
    pdn.cUp.addr,
    createBearerResponse({ seq, teid: pdn.cUp.teid, cause: 16, ebi: o.ebi, fteids: [downF, { ...upF, instance: 3 }] }),
    o.t,
    true,
    port.ran,
    port.core,
  );
  const b: Bearer = {
    ebi: o.ebi,
    upAddr: upF.addr,
    upTeid: upF.teid,
    downAddr: downF.addr,
    downTeid: downF.teid,
    ctx: null,
  };
  pdn.bearers.push(b);
  dedicated(s, pdn, b, [upF, downF], pkt);
  return b;
}

/**
 * Delete Bearer Request + Response (TS 29.274 s7.2.9.2/10.2), from the PGW
 * (S5/S8) or the SGW (S11): the EBIs named (instance 1), or with `lbi` the
 * whole PDN connection (a PGW-initiated PDN disconnection).
 */
export function deleteBearer(s: Scenario, pdn: Pdn, ebis: number[], o: { lbi?: boolean; t?: Transport } = {}): void {
  const seq = s.nextSeq2();
  const port = ports(pdn);
  const def = pdn.bearers[0]!;
  const req = o.lbi
    ? gtp2(V2.DELETE_BEARER_REQ, ebiIe(def.ebi), { seq, teid: pdn.cDown.teid })
    : deleteBearerRequest({ seq, teid: pdn.cDown.teid, ebis });
  s.gtpc(pdn.cUp.addr, pdn.cDown.addr, req, o.t, true, port.core, port.ran);
  s.tick();
  const resp = o.lbi
    ? gtp2(V2.DELETE_BEARER_RESP, Buffer.concat([cause2(16), ebiIe(def.ebi)]), { seq, teid: pdn.cUp.teid })
    : deleteBearerResponse({ seq, teid: pdn.cUp.teid, cause: 16, ebis });
  const pkt = s.gtpc(pdn.cDown.addr, pdn.cUp.addr, resp, o.t, true, port.ran, port.core);
  if (o.lbi) {
    if (def.ctx) s.model.removeGroup(def.ctx, pkt, s.lastTs);
    pdn.bearers = [];
    return;
  }
  for (const e of ebis) {
    const b = pdn.bearers.find((x) => x.ebi === e);
    if (b?.ctx) {
      if (b.ctx.primary === b.ctx) s.model.removeGroup(b.ctx, pkt, s.lastTs);
      else s.model.remove(b.ctx, pkt, s.lastTs);
    }
    pdn.bearers = pdn.bearers.filter((x) => x !== b);
  }
}

/** PGW-initiated Update Bearer Request + Response (TS 29.274 s7.2.15/16): QoS only, no tunnel changes. */
export function updateBearer(s: Scenario, pdn: Pdn, ebi: number, o: { t?: Transport } = {}): void {
  const seq = s.nextSeq2();
  const port = ports(pdn);
  s.gtpc(
    pdn.cUp.addr,
    pdn.cDown.addr,
    gtp2(V2.UPDATE_BEARER_REQ, bearerContext([ebiIe(ebi), bearerQos(5)]), { seq, teid: pdn.cDown.teid }),
    o.t,
    true,
    port.core,
    port.ran,
  );
  s.tick();
  s.gtpc(
    pdn.cDown.addr,
    pdn.cUp.addr,
    gtp2(V2.UPDATE_BEARER_RESP, Buffer.concat([cause2(16), bearerContext([ebiIe(ebi), cause2(16)])]), {
      seq,
      teid: pdn.cUp.teid,
    }),
    o.t,
    true,
    port.ran,
    port.core,
  );
}

/**
 * Delete Session Request + Response (TS 29.274 s7.2.9.1/10.1): the PDN
 * connection its Linked EBI names; without one (`noLbi`: the old SGW after an
 * SGW relocation) every PDN connection the per-UE TEID addresses.
 */
export function deleteSession(s: Scenario, pdn: Pdn, o: { t?: Transport; noLbi?: boolean } = {}): void {
  const seq = s.nextSeq2();
  const def = pdn.bearers[0]!;
  const port = ports(pdn);
  const req = o.noLbi
    ? gtp2(V2.DELETE_SESSION_REQ, Buffer.alloc(0), { seq, teid: pdn.cUp.teid })
    : deleteSessionRequest({ seq, teid: pdn.cUp.teid, ebi: def.ebi });
  s.gtpc(pdn.cDown.addr, pdn.cUp.addr, req, o.t, true, port.ran, 2123);
  s.tick();
  const pkt = s.gtpc(
    pdn.cUp.addr,
    pdn.cDown.addr,
    deleteSessionResponse({ seq, teid: pdn.cDown.teid, cause: 16 }),
    o.t,
    true,
    port.core,
    port.ran,
  );
  const pdns = o.noLbi && pdn.sub.iface === 's11' ? pdnsSharing(s, pdn) : def?.ctx ? [def.ctx] : [];
  for (const c of pdns) s.model.removeGroup(c, pkt, s.lastTs);
}

/**
 * Release Access Bearers Request + Response (TS 29.274 s7.2.21/22, S11): the
 * UE goes idle; the SGW forgets the eNodeB's S1-U F-TEIDs of all its bearers.
 */
export function releaseAccessBearers(s: Scenario, pdn: Pdn, o: { t?: Transport } = {}): void {
  const seq = s.nextSeq2();
  const port = ports(pdn);
  s.gtpc(
    pdn.cDown.addr,
    pdn.cUp.addr,
    gtp2(V2.RELEASE_ACCESS_BEARERS_REQ, Buffer.alloc(0), { seq, teid: pdn.cUp.teid }),
    o.t,
    true,
    port.ran,
    2123,
  );
  s.tick();
  const pkt = s.gtpc(
    pdn.cUp.addr,
    pdn.cDown.addr,
    gtp2(V2.RELEASE_ACCESS_BEARERS_RESP, cause2(16), { seq, teid: pdn.cDown.teid }),
    o.t,
    true,
    port.core,
    port.ran,
  );
  const m = s.model;
  for (const c of pdnsSharing(s, pdn).flatMap(members)) {
    if (!c.slots.some((x) => x.dir === 'downlink' && (x.kind === 's1u' || x.kind === 's12' || x.kind === 's4u')))
      continue;
    m.update(
      c,
      (x) =>
        (x.slots = x.slots.filter(
          (y) => !(y.dir === 'downlink' && (y.kind === 's1u' || y.kind === 's12' || y.kind === 's4u')),
        )),
      pkt,
      s.lastTs,
    );
  }
  for (const b of pdn.bearers) b.downAddr = null;
}

/**
 * SGW relocation (TS 23.401 s5.3.3.1 TAU with SGW change; X2 handover with
 * SGW relocation): the MME creates the PDN connection at the new SGW with the
 * known PGW S5/S8-C F-TEID, the default bearer's EBI as LBI and a Bearer
 * Context per bearer (no MSISDN: the PDN connection it continues has it); the
 * new SGW moves the S5/S8 hop with a Modify Bearer carrying its own S5/S8-C
 * and S5/S8-U F-TEIDs (`s5`, when that hop is written too) and answers; the
 * MME then deletes the old SGW's sessions (Delete Session without LBI).
 * Returns the PDN connection on the new S11 hop.
 */
export function relocateSgw(s: Scenario, pdn: Pdn, o: { sgwC: Ip; sgwU: Ip; s5?: Pdn; t?: Transport }): Pdn {
  const sub = pdn.sub;
  const m = s.model;
  const port = ports(pdn);
  const newSub: S5Subscriber = { ...sub, sgwC: o.sgwC, sgwU: o.sgwU };
  const cDown = { addr: pdn.cDown.addr, teid: s.teid() };
  const cUp = { addr: o.sgwC, teid: s.teid() };
  const np: Pdn = {
    sub: newSub,
    cDown,
    cUp,
    pgwC: pdn.pgwC,
    ueIp: pdn.ueIp,
    ueIpv6: pdn.ueIpv6,
    bearers: [],
    port: pdn.port,
  };
  const seq = s.nextSeq2();
  const ies: Buffer[] = [ie2(IE2.IMSI, tbcd(sub.imsi))];
  if (sub.mei) ies.push(ie2(IE2.MEI, tbcd(sub.mei)));
  ies.push(ie2(IE2.RAT_TYPE, Buffer.from([6])));
  ies.push(fteidIe({ iface: IFACE.S11_MME, teid: cDown.teid, addr: cDown.addr, instance: 0 }));
  ies.push(fteidIe({ iface: IFACE.S5C_PGW, teid: pdn.pgwC!.teid, addr: pdn.pgwC!.addr, instance: 1 }));
  ies.push(ie2(IE2.APN, apnBytes(sub.apn)));
  ies.push(ebiIe(pdn.bearers[0]!.ebi));
  // each bearer's S5/S8-U PGW F-TEID: as the S11 Create Session / the S5/S8 leg learnt it
  for (const b of pdn.bearers) {
    const leg = o.s5?.bearers.find((x) => x.ebi === b.ebi);
    b.pgwTeid ??= leg ? leg.upTeid : s.teid();
    b.pgwU ??= leg ? leg.upAddr : sub.pgwU;
  }
  for (const b of pdn.bearers)
    ies.push(
      bearerContext([
        ebiIe(b.ebi),
        fteidIe({ iface: IFACE.S5U_PGW, teid: b.pgwTeid!, addr: b.pgwU!, instance: 3 }),
        bearerQos(),
      ]),
    );
  s.gtpc(
    cDown.addr,
    cUp.addr,
    gtp2(V2.CREATE_SESSION_REQ, Buffer.concat(ies), { seq, teid: 0 }),
    o.t,
    true,
    port.ran,
    2123,
  );
  s.tick();
  // the new SGW moves the S5/S8 hop to itself
  if (o.s5) {
    const s5 = o.s5;
    const newC = { addr: o.sgwC, teid: s.teid() };
    const newU = s5.bearers.map((b) => ({
      ebi: b.ebi,
      f: { iface: IFACE.S5U_SGW, teid: s.teid(), addr: o.sgwU, instance: 1 },
    }));
    const mseq = s.nextSeq2();
    s.gtpc(
      o.sgwC,
      s5.cUp.addr,
      modifyBearerRequest({
        seq: mseq,
        teid: s5.cUp.teid,
        senderC: { iface: IFACE.S5C_SGW, teid: newC.teid, addr: newC.addr },
        bearers: newU.map((u) => ({ ebi: u.ebi, fteids: [u.f] })),
      }),
      o.t,
    );
    s.tick();
    const mpkt = s.gtpc(
      s5.cUp.addr,
      o.sgwC,
      modifyBearerResponse({
        seq: mseq,
        teid: newC.teid,
        cause: 16,
        bearers: newU.map((u) => ({ ebi: u.ebi, fteids: [] })),
      }),
      o.t,
    );
    const all = [s5.bearers[0]!.ctx].filter((c): c is Ctx => !!c && c.active).flatMap(members);
    for (const c of all)
      m.change(c, (x) => {
        m.setCtrl(x, 'downlink', newC);
        for (const u of newU) if (x.bearer === u.ebi) setUser(s, x, u.f);
      });
    for (const c of all) m.updated(c, mpkt, s.lastTs);
    s5.cDown = newC;
    s5.sub = { ...s5.sub, sgwC: o.sgwC, sgwU: o.sgwU };
    for (const u of newU) {
      const b = s5.bearers.find((x) => x.ebi === u.ebi);
      if (b) {
        b.downAddr = o.sgwU;
        b.downTeid = u.f.teid;
      }
    }
    s.tick();
  }
  const respBearers = pdn.bearers.map((b) => ({
    ebi: b.ebi,
    s1u: { iface: IFACE.S1U_SGW, teid: s.teid(), addr: o.sgwU, instance: 0 },
    pgw: b,
  }));
  const rb = respBearers.map((r) =>
    bearerContext([
      ebiIe(r.ebi),
      cause2(16),
      fteidIe(r.s1u),
      fteidIe({ iface: IFACE.S5U_PGW, teid: r.pgw.pgwTeid!, addr: r.pgw.pgwU!, instance: 2 }),
    ]),
  );
  const resp = gtp2(
    V2.CREATE_SESSION_RESP,
    Buffer.concat([
      cause2(16),
      fteidIe({ iface: IFACE.S11_SGW, teid: cUp.teid, addr: cUp.addr, instance: 0 }),
      fteidIe({ iface: IFACE.S5C_PGW, teid: pdn.pgwC!.teid, addr: pdn.pgwC!.addr, instance: 1 }),
      ...rb,
    ]),
    { seq, teid: cDown.teid },
  );
  const pkt = s.gtpc(cUp.addr, cDown.addr, resp, o.t, true, 2123, port.ran);
  // the model: the new hop's contexts, taking MSISDN and UE addresses from the PDN connection they continue
  const known = (o.s5?.bearers[0]!.ctx?.active ? o.s5.bearers[0].ctx : null) ?? pdn.bearers[0]!.ctx;
  let primary: Ctx | null = null;
  for (const r of respBearers) {
    const b: Bearer = {
      ebi: r.ebi,
      upAddr: o.sgwU,
      upTeid: r.s1u.teid,
      downAddr: null,
      downTeid: 0,
      pgwU: r.pgw.pgwU,
      pgwTeid: r.pgw.pgwTeid,
      ctx: null,
    };
    np.bearers.push(b);
    const pgwF: Fteid = { iface: IFACE.S5U_PGW, teid: r.pgw.pgwTeid!, addr: r.pgw.pgwU! };
    const c = m.newCtx({ gtp: 2, bearer: r.ebi });
    if (!primary) {
      Object.assign(c, {
        imsi: sub.imsi,
        msisdn: known?.msisdn ?? null,
        imei: sub.mei ?? known?.imei ?? null,
        apn: sub.apn,
        ueIp: known?.ueIp ?? null,
        ueIpv6: known?.ueIpv6 ?? null,
        hopS11: true,
      });
      m.setCtrl(c, 'downlink', cDown);
      m.setCtrl(c, 'uplink', cUp);
      m.setEndpoint(c, 'peer', 'uplink', pdn.pgwC!);
    } else {
      m.adopt(c, primary);
    }
    setUser(s, c, pgwF);
    setUser(s, c, r.s1u);
    b.ctx = c;
    m.create(c, pkt, s.lastTs);
    primary ??= c;
  }
  s.tick();
  deleteSession(s, pdn, { noLbi: true, t: o.t });
  return np;
}

/** the user path of a bearer: on S11 the eNodeB <-> SGW S1-U leg, on S5/S8 SGW <-> PGW; `v6`: the dual-stack addresses */
export function bearerPath(
  pdn: Pdn,
  b: Bearer = pdn.bearers[0]!,
  t?: Transport,
  useV6 = false,
  outerV6 = false,
): UserPath {
  const ue = useV6 || !pdn.ueIp ? pdn.ueIpv6 : pdn.ueIp;
  if (!ue || !b.downAddr) throw new Error('bearer without UE address or downlink endpoint');
  const s11 = pdn.sub.iface === 's11';
  const ran = outerV6 ? (s11 ? pdn.sub.enbU6 : pdn.sub.sgwU6) : b.downAddr;
  const core = outerV6 ? (s11 ? pdn.sub.sgwU6 : pdn.sub.pgwU6) : b.upAddr;
  if (!ran || !core) throw new Error('no IPv6 user-plane addresses');
  return { ran, core, teidUp: b.upTeid, teidDown: b.downTeid, ueIp: ue, transport: t };
}

/** the S5/S8-U leg of an S11 PDN connection's bearer (the SGW <-> PGW tunnel the S11 messages name) */
export function s5Path(pdn: Pdn, s5: Pdn, b = 0, t?: Transport): UserPath {
  const up = s5.bearers[b]!;
  return {
    ran: up.downAddr!,
    core: up.upAddr,
    teidUp: up.upTeid,
    teidDown: up.downTeid,
    ueIp: (pdn.ueIp ?? pdn.ueIpv6)!,
    transport: t,
  };
}

/** A PDN connection written on both hops of one mirror: S11 (MME <-> SGW) and S5/S8 (SGW <-> PGW). */
export interface EpcPdn {
  s11: Pdn;
  s5: Pdn;
}

/**
 * Attach on a mirror that sees S11, S1-U and S5/S8 (TS 23.401 s5.3.2.1): the
 * MME's Create Session Request on S11, the SGW's on S5/S8, the PGW's response,
 * the SGW's response on S11; then the MME's Modify Bearer with the eNodeB's
 * S1-U F-TEID. Each hop has its own contexts (its own control endpoints); the
 * S11 ones report the PGW's S5/S8-C and S5/S8-U F-TEIDs, which the S5/S8
 * contexts own.
 */
export function attachEpc(s: Scenario, sub: S5Subscriber, o: { ebi?: number; t?: Transport } = {}): EpcPdn {
  const ebi = o.ebi ?? 5;
  const m = s.model;
  const mme = { addr: sub.mmeC!, teid: s.teid() };
  const sgw11 = { addr: sub.sgwC, teid: s.teid() };
  const sgw5 = { addr: sub.sgwC, teid: s.teid() };
  const pgw5 = { addr: sub.pgwC, teid: s.teid() };
  const s1uUp: Fteid = { iface: IFACE.S1U_SGW, teid: s.teid(), addr: sub.sgwU, instance: 0 };
  const s5uDown: Fteid = { iface: IFACE.S5U_SGW, teid: s.teid(), addr: sub.sgwU, instance: 2 };
  const s5uUp: Fteid = { iface: IFACE.S5U_PGW, teid: s.teid(), addr: sub.pgwU, instance: 2 };
  const seq11 = s.nextSeq2();
  const seq5 = s.nextSeq2();
  const pdnType = sub.ueIp && sub.ueIpv6 ? 'ipv4v6' : sub.ueIpv6 ? 'ipv6' : 'ipv4';
  const base = {
    imsi: sub.imsi,
    msisdn: sub.msisdn ?? undefined,
    mei: sub.mei ?? undefined,
    apn: sub.apn,
    pdn: pdnType as 'ipv4',
  };
  s.gtpc(
    mme.addr,
    sgw11.addr,
    createSessionRequest({
      ...base,
      seq: seq11,
      senderC: { iface: IFACE.S11_MME, teid: mme.teid, addr: mme.addr },
      bearers: [{ ebi, fteids: [] }],
    }),
    o.t,
  );
  s.tick();
  s.gtpc(
    sgw5.addr,
    pgw5.addr,
    createSessionRequest({
      ...base,
      seq: seq5,
      senderC: { iface: IFACE.S5C_SGW, teid: sgw5.teid, addr: sgw5.addr },
      bearers: [{ ebi, fteids: [s5uDown] }],
    }),
    o.t,
  );
  s.tick();
  const pkt5 = s.gtpc(
    pgw5.addr,
    sgw5.addr,
    createSessionResponse({
      seq: seq5,
      teid: sgw5.teid,
      cause: 16,
      fteids: [{ iface: IFACE.S5C_PGW, teid: pgw5.teid, addr: pgw5.addr, instance: 1 }],
      ueV4: sub.ueIp,
      ueV6: sub.ueIpv6,
      bearers: [{ ebi, fteids: [s5uUp], chargingId: s.rng.u32() }],
    }),
    o.t,
  );
  const ctx5 = m.newCtx({
    gtp: 2,
    bearer: ebi,
    imsi: sub.imsi,
    msisdn: sub.msisdn ?? null,
    imei: sub.mei ?? null,
    apn: sub.apn,
    ueIp: sub.ueIp ? canonicalIp(sub.ueIp) : null,
    ueIpv6: sub.ueIpv6 ? canonicalIp(sub.ueIpv6) : null,
  });
  m.setCtrl(ctx5, 'downlink', sgw5);
  m.setCtrl(ctx5, 'uplink', pgw5);
  setUser(s, ctx5, s5uDown);
  setUser(s, ctx5, s5uUp);
  m.create(ctx5, pkt5, s.lastTs);
  s.tick();
  const pkt11 = s.gtpc(
    sgw11.addr,
    mme.addr,
    createSessionResponse({
      seq: seq11,
      teid: mme.teid,
      cause: 16,
      fteids: [
        { iface: IFACE.S11_SGW, teid: sgw11.teid, addr: sgw11.addr, instance: 0 },
        { iface: IFACE.S5C_PGW, teid: pgw5.teid, addr: pgw5.addr, instance: 1 },
      ],
      ueV4: sub.ueIp,
      ueV6: sub.ueIpv6,
      bearers: [{ ebi, fteids: [s1uUp, s5uUp], chargingId: s.rng.u32() }],
    }),
    o.t,
  );
  const ctx11 = m.newCtx({
    gtp: 2,
    bearer: ebi,
    imsi: sub.imsi,
    msisdn: sub.msisdn ?? null,
    imei: sub.mei ?? null,
    apn: sub.apn,
    ueIp: ctx5.ueIp,
    ueIpv6: ctx5.ueIpv6,
    hopS11: true,
  });
  m.setCtrl(ctx11, 'downlink', mme);
  m.setCtrl(ctx11, 'uplink', sgw11);
  m.setEndpoint(ctx11, 'peer', 'uplink', pgw5);
  setUser(s, ctx11, s1uUp);
  setUser(s, ctx11, s5uUp);
  m.create(ctx11, pkt11, s.lastTs);
  const s11: Pdn = {
    sub,
    cDown: mme,
    cUp: sgw11,
    pgwC: pgw5,
    ueIp: sub.ueIp ?? null,
    ueIpv6: sub.ueIpv6 ?? null,
    bearers: [
      {
        ebi,
        upAddr: sub.sgwU,
        upTeid: s1uUp.teid,
        downAddr: null,
        downTeid: 0,
        pgwU: sub.pgwU,
        pgwTeid: s5uUp.teid,
        ctx: ctx11,
      },
    ],
  };
  const s5: Pdn = {
    sub: { ...sub, iface: 's5' },
    cDown: sgw5,
    cUp: pgw5,
    ueIp: sub.ueIp ?? null,
    ueIpv6: sub.ueIpv6 ?? null,
    bearers: [{ ebi, upAddr: sub.pgwU, upTeid: s5uUp.teid, downAddr: sub.sgwU, downTeid: s5uDown.teid, ctx: ctx5 }],
  };
  s.tick();
  modifyBearer(s, s11, o);
  return { s11, s5 };
}

/**
 * Detach on the same mirror: Delete Session on S11, then on S5/S8, the PGW's
 * response, the SGW's response on S11 (TS 23.401 s5.3.8.2.1).
 */
export function detachEpc(s: Scenario, e: EpcPdn, o: { t?: Transport } = {}): void {
  const seq11 = s.nextSeq2();
  const seq5 = s.nextSeq2();
  const lbi = e.s11.bearers[0]!.ebi;
  s.gtpc(
    e.s11.cDown.addr,
    e.s11.cUp.addr,
    deleteSessionRequest({ seq: seq11, teid: e.s11.cUp.teid, ebi: lbi }),
    o.t,
    true,
    ports(e.s11).ran,
    2123,
  );
  s.tick();
  s.gtpc(e.s5.cDown.addr, e.s5.cUp.addr, deleteSessionRequest({ seq: seq5, teid: e.s5.cUp.teid, ebi: lbi }), o.t);
  s.tick();
  const pkt5 = s.gtpc(
    e.s5.cUp.addr,
    e.s5.cDown.addr,
    deleteSessionResponse({ seq: seq5, teid: e.s5.cDown.teid, cause: 16 }),
    o.t,
  );
  const c5 = e.s5.bearers[0]!.ctx;
  if (c5?.active) s.model.removeGroup(c5, pkt5, s.lastTs);
  s.tick();
  const pkt11 = s.gtpc(
    e.s11.cUp.addr,
    e.s11.cDown.addr,
    deleteSessionResponse({ seq: seq11, teid: e.s11.cDown.teid, cause: 16 }),
    o.t,
    true,
    2123,
    ports(e.s11).ran,
  );
  const c11 = e.s11.bearers[0]!.ctx;
  if (c11?.active) s.model.removeGroup(c11, pkt11, s.lastTs);
}
