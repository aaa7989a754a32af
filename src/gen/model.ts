// The generator's own model of what gnpay learns from GTP-C and how it
// resolves G-PDUs (docs/sessions.md), used to predict the exact events
// (docs/events.md). It is fed the same parameters the packets were built
// from, never the packets themselves, and never runs gnpay.
import { canonicalIp, ipVersion, ipv6Prefix64, isoMicros } from './bytes';
import type { Carrier, ResolvedBy, SessionEvent, SightingEvent, Tunnel, Via } from '../native/types';

export type Dir = 'uplink' | 'downlink';

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
  ctrlUp: Tunnel[];
  ctrlDown: Tunnel[];
  userUp: Tunnel[];
  userDown: Tunnel[];
  /** the primary context / default bearer (itself for a primary) */
  primary: Ctx | null;
  secondaries: Ctx[];
  active: boolean;
  /** GTPv2: the control downlink address the Create Session came from (replacement rule) */
  createdFrom?: string;
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

export type ExpectedEvent = SessionEvent | SightingEvent;

const key = (addr: string, teid: number) => `${canonicalIp(addr)}|${teid >>> 0}`;

function ueKey(ip: string): string {
  return ipVersion(ip) === 4 ? ip : `v6:${ipv6Prefix64(ip)}`;
}

function pushUnique(list: Tunnel[], t: Tunnel): void {
  if (!list.some((x) => x.addr === t.addr && x.teid === t.teid && x.plane === t.plane && x.dir === t.dir)) list.push(t);
}

export function tunnel(plane: 'control' | 'user', dir: Dir, addr: string, teid: number, bearer?: number): Tunnel {
  const t: Tunnel = { plane, dir, addr: canonicalIp(addr), teid: teid >>> 0 };
  if (plane === 'user') t.bearer = bearer;
  return t;
}

export class SessionModel {
  private nextId = 1;
  private contexts = new Set<Ctx>();
  private primaries = new Map<string, Ctx>();
  private nActive = 0;
  private userIndex = new Map<string, { ctx: Ctx; dir: Dir }>();
  private ueIndex = new Map<string, Set<Ctx>>();
  readonly counters: ModelCounters = { created: 0, updated: 0, deleted: 0, sightings: 0, unresolvedSightings: 0, requests: 0 };

  constructor(private emit: (e: ExpectedEvent) => void) {}

  get active(): number {
    return this.nActive;
  }

  private static primaryKey(c: { gtp: number; imsi: string | null; bearer: number; createdFrom?: string }): string {
    return `${c.gtp}|${c.imsi}|${c.bearer}|${c.gtp === 2 ? c.createdFrom ?? '' : ''}`;
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
      ctrlUp: [],
      ctrlDown: [],
      userUp: [],
      userDown: [],
      primary: null,
      secondaries: [],
      active: false,
      ...p,
    };
  }

  // -------------------------------------------------------------- lookups

  /**
   * The active primary context (GTPv1) or default bearer (GTPv2) a new Create
   * replaces: same IMSI and NSAPI (GTPv1); same IMSI, EBI and control
   * downlink address (GTPv2).
   */
  findReplaced(gtp: 1 | 2, imsi: string, bearer: number, createdFrom?: string): Ctx | undefined {
    const c = this.primaries.get(SessionModel.primaryKey({ gtp, imsi, bearer, createdFrom }));
    return c && c.active ? c : undefined;
  }

  // -------------------------------------------------------------- state changes

  private index(ctx: Ctx): void {
    for (const t of ctx.userUp) this.userIndex.set(key(t.addr, t.teid), { ctx, dir: 'uplink' });
    for (const t of ctx.userDown) this.userIndex.set(key(t.addr, t.teid), { ctx, dir: 'downlink' });
    for (const ip of [ctx.ueIp, ctx.ueIpv6]) {
      if (!ip) continue;
      const k = ueKey(ip);
      let s = this.ueIndex.get(k);
      if (!s) this.ueIndex.set(k, (s = new Set()));
      s.add(ctx);
    }
  }

  private unindex(ctx: Ctx): void {
    for (const t of [...ctx.userUp, ...ctx.userDown]) {
      const k = key(t.addr, t.teid);
      if (this.userIndex.get(k)?.ctx === ctx) this.userIndex.delete(k);
    }
    for (const ip of [ctx.ueIp, ctx.ueIpv6]) {
      if (!ip) continue;
      const s = this.ueIndex.get(ueKey(ip));
      s?.delete(ctx);
      if (s && s.size === 0) this.ueIndex.delete(ueKey(ip));
    }
  }

  create(ctx: Ctx, pkt: number, ts: string): void {
    ctx.active = true;
    if (!ctx.primary) ctx.primary = ctx;
    if (ctx.primary !== ctx) ctx.primary.secondaries.push(ctx);
    else if (ctx.imsi) this.primaries.set(SessionModel.primaryKey(ctx), ctx);
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
    this.unindex(ctx);
    change(ctx);
    this.index(ctx);
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
    if (ctx.primary === ctx && ctx.imsi && this.primaries.get(SessionModel.primaryKey(ctx)) === ctx) this.primaries.delete(SessionModel.primaryKey(ctx));
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

  // -------------------------------------------------------------- tunnels

  static addTunnel(ctx: Ctx, t: Tunnel): void {
    const list = t.plane === 'control' ? (t.dir === 'uplink' ? ctx.ctrlUp : ctx.ctrlDown) : t.dir === 'uplink' ? ctx.userUp : ctx.userDown;
    pushUnique(list, t);
  }

  tunnels(ctx: Ctx): Tunnel[] {
    return [...ctx.ctrlUp, ...ctx.ctrlDown, ...ctx.userUp, ...ctx.userDown].map((t) => ({ ...t }));
  }

  sessionEvent(event: 'create' | 'update' | 'delete', ctx: Ctx, pkt: number, ts: string): SessionEvent {
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

  /**
   * docs/sessions.md "Resolving a G-PDU": by (outer dst, TEID), then by the
   * inner source address held by exactly one context, else unresolved.
   */
  resolve(outerDst: string, teid: number, innerSrc: string, innerDst: string, carriesRequest: boolean): Resolution {
    const ep = this.userIndex.get(key(outerDst, teid));
    if (ep) return { ctx: ep.ctx, uplink: ep.dir === 'uplink', resolvedBy: 'teid' };
    const holders = this.ueIndex.get(ueKey(innerSrc));
    if (holders && holders.size === 1) return { ctx: [...holders][0], uplink: true, resolvedBy: 'ue-ip' };
    if (this.ueIndex.has(ueKey(innerDst))) return { ctx: null, uplink: false, resolvedBy: null };
    return { ctx: null, uplink: carriesRequest, resolvedBy: null };
  }

  /**
   * A request head / DNS query / ClientHello completed at packet `pkt`:
   * counts it and emits the sightings of `expects` when the packet is uplink.
   */
  request(
    r: { outerDst: string; teid: number; innerSrc: string; innerDst: string },
    expects: Expect[],
    pkt: number,
    ts: string,
    host: string | null = null,
  ): void {
    const res = this.resolve(r.outerDst, r.teid, r.innerSrc, r.innerDst, true);
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
      });
    }
  }
}

export { isoMicros };
