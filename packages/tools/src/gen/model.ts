// The generator's own model of what gnpay learns from GTP-C and how it
// resolves G-PDUs (docs/sessions.md), used to predict the exact events
// (docs/events.md). It is fed the same parameters the packets were built
// from, never the packets themselves, and never runs gnpay.
//
// The model is the 3GPP one: a context per bearer on one GTP-C hop (a PDP
// context on Gn, an EPS bearer on S11/S4 or S5/S8), the primary / default
// bearer heading its group; per context the hop's control endpoints and up
// to four endpoints of its interfaces (F-TEIDs are per interface: a new one
// replaces the one of the same interface and side). GSN nodes are addresses
// (two for a dual-stack F-TEID) with the roles GTP-C taught: which user
// traffic arrives at them.
import { canonicalIp, ipVersion, ipv6Prefix64, isoMicros } from './bytes';
import { communityId } from './community-id';
import type { Carrier, ResolvedBy, SessionEvent, SightingEvent, Tunnel, Via } from '../../../../dist/native/types';

export type Dir = 'uplink' | 'downlink';
/** The interface of a context's endpoint (session_table.h epk): 'peer' is another hop's control endpoint. */
export type Kind = 'gn' | 's1u' | 's12' | 's4u' | 's5u' | 's2u' | 's11u' | 'peer';

export interface Endpoint {
  addr: string;
  teid: number;
  /** the second address of a dual-stack F-TEID */
  addr6?: string;
}

export interface Slot extends Endpoint {
  kind: Kind;
  dir: Dir;
}

export const MAX_SLOTS = 4;
/** a primary and at most 10 secondaries / dedicated bearers (NSAPI, EBI 5..15) */
export const MAX_GROUP = 11;

export interface Ctx {
  id: number;
  gtp: 1 | 2;
  imsi: string | null;
  msisdn: string | null;
  imei: string | null;
  apn: string | null;
  ueIp: string | null; // IPv4
  ueIpv6: string | null;
  bearer: number;
  linkedBearer: number | null;
  /** this hop's control endpoints: the core side (uplink) and the RAN side (downlink) */
  ctrlUp: Endpoint | null;
  ctrlDown: Endpoint | null;
  slots: Slot[];
  /** GTPv2 hop MME/SGSN <-> SGW: its S5/S8-U endpoints are another hop's */
  hopS11: boolean;
  /** the primary context / default bearer (itself for a primary) */
  primary: Ctx | null;
  secondaries: Ctx[];
  active: boolean;
}

export interface Expect {
  token: string;
  carrier: Carrier;
  via: Via;
}

export interface Resolution {
  ctx: Ctx | null;
  uplink: boolean;
  resolvedBy: ResolvedBy;
}

export interface ModelCounters {
  created: number;
  updated: number;
  deleted: number;
  sightings: number;
  unresolvedSightings: number;
  requests: number;
}

/** What the generator predicts: the events less `file` (the capture's name is given at decode time). */
export type ExpectedEvent = Omit<SessionEvent, 'file'> | Omit<SightingEvent, 'file'>;

function ueKey(ip: string): string {
  return ipVersion(ip) === 4 ? ip : `v6:${ipv6Prefix64(ip)}`;
}

export function tunnel(plane: 'control' | 'user', dir: Dir, addr: string, teid: number, bearer?: number): Tunnel {
  const t: Tunnel = { plane, dir, addr: canonicalIp(addr), teid: teid >>> 0 };
  if (plane === 'user') t.bearer = bearer;
  return t;
}

interface Node {
  addrs: string[]; // first interned, then the second address of a dual-stack node
  roles: Set<Dir>;
}

export class SessionModel {
  private nextId = 1;
  private contexts = new Set<Ctx>();
  private nActive = 0;
  private nodes: Node[] = [];
  private nodeOf = new Map<string, number>();
  private userIndex = new Map<string, { ctx: Ctx; dir: Dir }>();
  private ueIndex = new Map<string, Ctx[]>(); // the last one is the head (most recently indexed)
  private identity = new Map<string, Ctx>();
  readonly counters: ModelCounters = {
    created: 0,
    updated: 0,
    deleted: 0,
    sightings: 0,
    unresolvedSightings: 0,
    requests: 0,
  };

  constructor(private emit: (e: ExpectedEvent) => void) {}

  get active(): number {
    return this.nActive;
  }

  newCtx(p: Partial<Ctx> & { gtp: 1 | 2; bearer: number }): Ctx {
    return {
      id: this.nextId++,
      imsi: null,
      msisdn: null,
      imei: null,
      apn: null,
      ueIp: null,
      ueIpv6: null,
      linkedBearer: null,
      ctrlUp: null,
      ctrlDown: null,
      slots: [],
      hopS11: false,
      primary: null,
      secondaries: [],
      active: false,
      ...p,
    };
  }

  // -------------------------------------------------------------- nodes

  /** The node of an address (and its dual-stack second address), as the engine interns it. */
  node(addr: string, addr6?: string): number {
    const find = (a: string) => this.nodeOf.get(canonicalIp(a));
    const add = (a: string) => {
      const n = this.nodes.length;
      this.nodes.push({ addrs: [canonicalIp(a)], roles: new Set() });
      this.nodeOf.set(canonicalIp(a), n);
      return n;
    };
    const both = addr6 !== undefined && addr6 !== addr ? [addr, addr6] : [addr];
    const v4 = both.find((a) => ipVersion(a) === 4);
    const v6 = both.find((a) => ipVersion(a) === 6);
    if (!v4 || !v6) return find(addr) ?? add(addr);
    const a = find(v4);
    const b = find(v6);
    if (a !== undefined && b !== undefined) return a;
    if (a === undefined && b === undefined) {
      const n = add(v4);
      this.nodes[n]!.addrs.push(canonicalIp(v6));
      this.nodeOf.set(canonicalIp(v6), n);
      return n;
    }
    const n = (a ?? b)!;
    const missing = a !== undefined ? v6 : v4;
    if (this.nodes[n]!.addrs.length === 1) {
      this.nodes[n]!.addrs.push(canonicalIp(missing));
      this.nodeOf.set(canonicalIp(missing), n);
    }
    return n;
  }

  /** an endpoint's addresses as events list them: IPv4 first */
  private addresses(e: Endpoint): string[] {
    const n = this.nodeOf.get(canonicalIp(e.addr));
    if (n === undefined) return [canonicalIp(e.addr)];
    const a = this.nodes[n]!.addrs;
    return a.length === 2 && ipVersion(a[0]!) === 6 ? [a[1]!, a[0]!] : [...a];
  }

  private epKey(addr: string, teid: number): string {
    const n = this.nodeOf.get(canonicalIp(addr));
    return `${n ?? canonicalIp(addr)}|${teid >>> 0}`;
  }

  // -------------------------------------------------------------- endpoints

  /** the hop's control endpoint of one side */
  setCtrl(ctx: Ctx, side: Dir, e: Endpoint): void {
    this.node(e.addr, e.addr6);
    const ep = { addr: canonicalIp(e.addr), teid: e.teid >>> 0 };
    if (side === 'uplink') ctx.ctrlUp = ep;
    else ctx.ctrlDown = ep;
  }

  /** the endpoint of an interface and side: replaces the one of the same kind, else takes a free slot */
  setEndpoint(ctx: Ctx, kind: Kind, dir: Dir, e: Endpoint): boolean {
    const n = this.node(e.addr, e.addr6);
    if (kind !== 'peer') this.nodes[n]!.roles.add(dir);
    const s: Slot = { kind, dir, addr: canonicalIp(e.addr), teid: e.teid >>> 0 };
    const i = ctx.slots.findIndex((x) => x.kind === kind && x.dir === dir);
    if (i >= 0) ctx.slots[i] = s;
    else if (ctx.slots.length < MAX_SLOTS) ctx.slots.push(s);
    else return false;
    return true;
  }

  // -------------------------------------------------------------- lookups

  private static hop(
    c: { gtp: number; ctrlDown: Endpoint | null; ctrlUp: Endpoint | null },
    nodeOf: (a: string) => unknown,
  ): string {
    if (c.gtp !== 2) return '';
    return `${c.ctrlDown ? String(nodeOf(c.ctrlDown.addr)) : '-'}|${c.ctrlUp ? String(nodeOf(c.ctrlUp.addr)) : '-'}`;
  }

  private identityKey(c: {
    gtp: number;
    imsi: string | null;
    bearer: number;
    ctrlDown: Endpoint | null;
    ctrlUp: Endpoint | null;
  }): string | null {
    if (!c.imsi) return null;
    return `${c.gtp}|${c.imsi}|${c.bearer}|${SessionModel.hop(c, (a) => this.nodeOf.get(canonicalIp(a)))}`;
  }

  /** the active context of a subscriber's bearer on a hop (GTPv1: IMSI, NSAPI) */
  findIdentity(
    gtp: 1 | 2,
    imsi: string,
    bearer: number,
    ctrlDown: Endpoint | null = null,
    ctrlUp: Endpoint | null = null,
  ): Ctx | undefined {
    const k = this.identityKey({ gtp, imsi, bearer, ctrlDown, ctrlUp });
    const c = k ? this.identity.get(k) : undefined;
    return c && c.active ? c : undefined;
  }

  // -------------------------------------------------------------- state changes

  private index(ctx: Ctx): void {
    for (const s of ctx.slots) {
      if (s.kind === 'peer') continue;
      const k = this.epKey(s.addr, s.teid);
      // the S5/S8-U endpoints an S11/S4 message carries are the S5/S8 hop's: its own context keeps them
      if (ctx.hopS11 && s.kind === 's5u' && this.userIndex.has(k)) continue;
      this.userIndex.set(k, { ctx, dir: s.dir });
    }
    for (const ip of [ctx.ueIp, ctx.ueIpv6]) {
      if (!ip) continue;
      const k = ueKey(ip);
      let s = this.ueIndex.get(k);
      if (!s) this.ueIndex.set(k, (s = []));
      s.push(ctx);
    }
    const ik = this.identityKey(ctx);
    if (ik) this.identity.set(ik, ctx);
  }

  private unindex(ctx: Ctx): void {
    for (const s of ctx.slots) {
      if (s.kind === 'peer') continue;
      const k = this.epKey(s.addr, s.teid);
      if (this.userIndex.get(k)?.ctx === ctx) this.userIndex.delete(k);
    }
    for (const ip of [ctx.ueIp, ctx.ueIpv6]) {
      if (!ip) continue;
      const s = this.ueIndex.get(ueKey(ip));
      if (!s) continue;
      const i = s.indexOf(ctx);
      if (i >= 0) s.splice(i, 1);
      if (s.length === 0) this.ueIndex.delete(ueKey(ip));
    }
    const ik = this.identityKey(ctx);
    if (ik && this.identity.get(ik) === ctx) this.identity.delete(ik);
  }

  create(ctx: Ctx, pkt: number, ts: string): void {
    ctx.active = true;
    if (!ctx.primary) ctx.primary = ctx;
    if (ctx.primary !== ctx) ctx.primary.secondaries.push(ctx);
    this.contexts.add(ctx);
    this.nActive++;
    this.index(ctx);
    this.counters.created++;
    this.emit(this.sessionEvent('create', ctx, pkt, ts));
  }

  /**
   * Emit `create` for a context that is not kept (flood sessions that can
   * never take part in a resolution): counted as created, never active.
   */
  announce(ctx: Ctx, pkt: number, ts: string): void {
    this.counters.created++;
    this.emit(this.sessionEvent('create', ctx, pkt, ts));
  }

  /** apply `change` to an active context and emit one `update` with the state after it */
  update(ctx: Ctx, change: (c: Ctx) => void, pkt: number, ts: string): void {
    this.change(ctx, change);
    this.counters.updated++;
    this.emit(this.sessionEvent('update', ctx, pkt, ts));
  }

  /** apply `change` to an active context without an event (re-indexed) */
  change(ctx: Ctx, change: (c: Ctx) => void): void {
    this.unindex(ctx);
    change(ctx);
    this.index(ctx);
  }

  /** emit one `update` with a context's state (after changes made with change()) */
  updated(ctx: Ctx, pkt: number, ts: string): void {
    this.counters.updated++;
    this.emit(this.sessionEvent('update', ctx, pkt, ts));
  }

  /** remove one context (not its secondaries), emitting `delete` */
  remove(ctx: Ctx, pkt: number, ts: string): void {
    if (!ctx.active) return;
    ctx.active = false;
    this.unindex(ctx);
    this.contexts.delete(ctx);
    this.nActive--;
    if (ctx.primary && ctx.primary !== ctx) ctx.primary.secondaries = ctx.primary.secondaries.filter((c) => c !== ctx);
    this.counters.deleted++;
    this.emit(this.sessionEvent('delete', ctx, pkt, ts));
  }

  /** remove a primary and its secondaries (primary first, then secondaries in creation order) */
  removeGroup(primary: Ctx, pkt: number, ts: string): void {
    const secs = [...primary.secondaries];
    this.remove(primary, pkt, ts);
    for (const s of secs) this.remove(s, pkt, ts);
  }

  /** a secondary context / dedicated bearer: the primary's subscriber, addresses and control endpoints */
  adopt(ctx: Ctx, primary: Ctx): void {
    Object.assign(ctx, {
      gtp: primary.gtp,
      imsi: primary.imsi,
      msisdn: primary.msisdn,
      imei: primary.imei,
      apn: primary.apn,
      ueIp: primary.ueIp,
      ueIpv6: primary.ueIpv6,
      ctrlUp: primary.ctrlUp && { ...primary.ctrlUp },
      ctrlDown: primary.ctrlDown && { ...primary.ctrlDown },
      hopS11: primary.hopS11,
      linkedBearer: primary.bearer,
      primary,
    });
  }

  // -------------------------------------------------------------- events

  tunnels(ctx: Ctx): Tunnel[] {
    const out: Tunnel[] = [];
    const add = (plane: 'control' | 'user', dir: Dir, e: Endpoint | null) => {
      if (!e) return;
      for (const a of this.addresses(e))
        out.push(tunnel(plane, dir, a, e.teid, plane === 'user' ? ctx.bearer : undefined));
    };
    for (const dir of ['uplink', 'downlink'] as Dir[]) {
      add('control', dir, dir === 'uplink' ? ctx.ctrlUp : ctx.ctrlDown);
      for (const s of ctx.slots) if (s.kind === 'peer' && s.dir === dir) add('control', dir, s);
    }
    for (const dir of ['uplink', 'downlink'] as Dir[])
      for (const s of ctx.slots) if (s.kind !== 'peer' && s.dir === dir) add('user', dir, s);
    return out;
  }

  sessionEvent(event: 'create' | 'update' | 'delete', ctx: Ctx, pkt: number, ts: string): Omit<SessionEvent, 'file'> {
    return {
      type: 'session',
      event,
      ts,
      packet: pkt,
      gtp: ctx.gtp,
      imsi: ctx.imsi,
      msisdn: ctx.msisdn,
      imei: ctx.imei,
      apn: ctx.apn,
      ueIp: ctx.ueIp ?? ctx.ueIpv6,
      ueIpv6: ctx.ueIpv6,
      bearer: ctx.bearer,
      linkedBearer: ctx.linkedBearer,
      tunnels: this.tunnels(ctx),
    };
  }

  // -------------------------------------------------------------- resolving G-PDUs

  /** the context holding a UE address when they all belong to one subscriber (the head), and how many hold it */
  private ueHolder(ip: string): { ctx: Ctx | null; count: number } {
    const s = this.ueIndex.get(ueKey(ip));
    if (!s || s.length === 0) return { ctx: null, count: 0 };
    const head = s[s.length - 1]!;
    const same =
      s.length === 1 || (head.imsi !== null && s.every((c) => c.imsi === head.imsi && c.msisdn === head.msisdn));
    return same ? { ctx: head, count: 1 } : { ctx: null, count: s.length };
  }

  /** the roles a node has (which user traffic arrives at it), or null for an address GTP-C never named */
  private roles(addr: string): Set<Dir> | null {
    const n = this.nodeOf.get(canonicalIp(addr));
    return n === undefined ? null : this.nodes[n]!.roles;
  }

  /**
   * docs/sessions.md "Resolving a G-PDU": a known endpoint (outer destination,
   * TEID) gives the subscriber and the direction; else the GSN roles give the
   * direction (undecided when they do not tell) and the inner source address
   * held by exactly one subscriber the subscriber, as information.
   */
  resolve(outerSrc: string, outerDst: string, teid: number, innerSrc: string, innerDst: string): Resolution {
    const ep = this.userIndex.get(this.epKey(outerDst, teid));
    if (ep) return { ctx: ep.ctx, uplink: ep.dir === 'uplink', resolvedBy: 'teid' };
    const one = (r: Set<Dir> | null): Dir | null => (r && r.size === 1 ? [...r][0]! : null);
    let way: 'up' | 'down' | 'undecided' = 'undecided';
    const d = one(this.roles(outerDst));
    if (d) way = d === 'uplink' ? 'up' : 'down';
    else {
      const s = one(this.roles(outerSrc));
      if (s) way = s === 'uplink' ? 'down' : 'up';
    }
    const src = this.ueHolder(innerSrc);
    const dst = this.ueHolder(innerDst);
    if (src.ctx) {
      if (way === 'down' && dst.count === 0) way = 'undecided';
      return { ctx: src.ctx, uplink: way !== 'down', resolvedBy: 'ue-ip' };
    }
    if (src.count === 0 && way === 'undecided' && dst.count > 0) way = 'down';
    return { ctx: null, uplink: way !== 'down', resolvedBy: null };
  }

  /**
   * A request head / DNS query / ClientHello completed at packet `pkt`:
   * counts it and emits the sightings of `expects` when the packet is examined.
   */
  request(
    r: {
      outerSrc: string;
      outerDst: string;
      teid: number;
      innerSrc: string;
      innerDst: string;
      proto: 'tcp' | 'udp';
      sport: number;
      dport: number;
    },
    expects: Expect[],
    pkt: number,
    ts: string,
    host: string | null = null,
  ): void {
    const res = this.resolve(r.outerSrc, r.outerDst, r.teid, r.innerSrc, r.innerDst);
    if (!res.uplink) return;
    this.counters.requests++;
    const seen = new Set<string>();
    for (const e of expects) {
      const token = e.carrier === 'host' ? e.token.toLowerCase() : e.token;
      if (seen.has(token)) continue;
      seen.add(token);
      const c = res.ctx;
      this.counters.sightings++;
      if (!c) this.counters.unresolvedSightings++;
      this.emit({
        type: 'sighting',
        ts,
        packet: pkt,
        token,
        carrier: e.carrier,
        via: e.via,
        msisdn: c ? c.msisdn : null,
        imsi: c ? c.imsi : null,
        imei: c ? c.imei : null,
        apn: c ? c.apn : null,
        ueIp: canonicalIp(r.innerSrc),
        teid: r.teid >>> 0,
        resolvedBy: res.resolvedBy,
        host,
        request: this.counters.requests,
        dst: canonicalIp(r.innerDst),
        proto: r.proto,
        sport: r.sport,
        dport: r.dport,
        communityId: communityId(r.innerSrc, r.innerDst, r.proto === 'tcp' ? 6 : 17, r.sport, r.dport),
      });
    }
  }
}

export { isoMicros };
