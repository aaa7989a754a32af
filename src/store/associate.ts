// Sightings of tokens (the legacy carriers: a token in what a phone sends
// inside its tunnel), every sighting of a batch in ONE transaction.
//
// A sighting never charges on its own, except for an SP the operator set to
// one-step mode (confirmation "none": the SP proves consent itself). Even
// then it counts only when:
//   - it is resolved by tunnel (TEID) with an MSISDN: a UE-address fallback is
//     spoofable inside an attacker's own tunnel, so it is never enough;
//   - it is not a DNS lookup (what <link rel=dns-prefetch> makes any page do);
//   - query/path/header/cookie tokens come from a request to a pay host (an
//     <img> on any page can put a token in a URL to any host);
//   - its request carries no other token (at most one token per request).
// For SPs confirming on the pay page (the default) a sighting is recorded
// ("consent") and changes nothing.
//
// Only sightings of a known token are stored (unknown ones are counted by the
// caller's metrics); each tunnel's sightings are rate-limited; the table has a
// hard cap. A stored sighting is identified by source|ts|packet|token|teid|ueIp:
// replaying the same capture after a crash finds it recorded and changes nothing.
import type { SightingEvent } from '../native/types';
import type { Consent, ConsentLimits } from './consent';
import type { DB } from './db';
import { sha256 } from './ids';
import { isReserved, type OrderRepo } from './orders';
import type { SpRepo } from './sps';
import type { Transitions } from './transitions';
import type { OrderRow, SightingOutcome } from './types';

export type { ConsentLimits as PerMsisdnLimits } from './consent';

export interface AssociateContext {
  now: number;
  /** where the sightings come from ("live", or the replayed files) */
  sourceId: string;
  limits?: ConsentLimits;
  /** more pay hosts: query/path/header/cookie tokens count only on requests to the host of the order's payUrl or one of these */
  payHosts?: readonly string[];
}

export interface SightingResult {
  outcome: SightingOutcome;
  orderId: string | null;
  /** true when this sighting had been processed before (replay): nothing changed */
  replayed: boolean;
}

export interface AssociatorOptions {
  /** sightings per second a tunnel may make (token bucket), and its burst */
  perTunnelPerSecond?: number;
  perTunnelBurst?: number;
  /** most sightings kept (the oldest go first beyond it) */
  maxRows?: number;
}

export function normalizeMsisdn(m: string): string {
  return m.startsWith('+') ? m.slice(1) : m;
}

/** "pay.example.net:8443" / "PAY.example.net." -> "pay.example.net" */
export function hostOnly(h: string): string {
  let s = h.trim().toLowerCase();
  if (s.startsWith('[')) return s.slice(0, s.indexOf(']') + 1);
  const colon = s.lastIndexOf(':');
  if (colon >= 0 && s.indexOf(':') === colon) s = s.slice(0, colon);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** True when `host` is one of `payHosts` or a name under one of them. */
export function isPayHost(host: string | null, payHosts: readonly string[]): boolean {
  if (!host) return false;
  const h = hostOnly(host);
  return payHosts.some((p) => {
    const q = hostOnly(p);
    return h === q || h.endsWith('.' + q);
  });
}

/** The host of an order's pay URL: always a pay host for that order. */
function payHostOf(payUrl: string): string {
  try {
    return new URL(payUrl).hostname;
  } catch {
    return '';
  }
}

const MAX_BUCKETS = 100_000;

/**
 * The identity of a sighting within a source, so that a replay after a crash
 * is recognised: packet indexes restart in each file of a multi-file run, so
 * the tunnel and UE address are part of it (two files written in the same
 * microsecond must not hide each other's sightings).
 */
function sourceKey(sourceId: string, s: SightingEvent): string {
  return `${sourceId}|${s.ts}|${s.packet}|${s.token}|${s.teid}|${s.ueIp}`;
}

const CAP_CHECK = 100;

export class Associator {
  private readonly seen;
  private readonly seenIn;
  private readonly insert;
  private readonly payment;
  private readonly cancelPayment;
  private readonly prune;
  private readonly count;
  private readonly dropOldest;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxRows: number;
  private inserted = 0;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    db: DB,
    private readonly orders: OrderRepo,
    private readonly transitions: Transitions,
    private readonly sps: SpRepo,
    private readonly consent: Consent,
    o: AssociatorOptions = {},
  ) {
    this.rate = o.perTunnelPerSecond ?? 20;
    this.burst = o.perTunnelBurst ?? 100;
    this.maxRows = o.maxRows ?? 1_000_000;
    this.seen = db.prepare('SELECT 1 FROM sightings WHERE source_key = ?');
    // the keys, of a JSON array of them, that are stored
    this.seenIn = db.prepare('SELECT j.value FROM json_each(?) j JOIN sightings s ON s.source_key = j.value').pluck();
    this.insert = db.prepare(
      `INSERT INTO sightings (source_key, seen_at, ts, packet, token, carrier, via, msisdn, imsi, imei, apn, ue_ip, teid,
                              resolved_by, outcome, order_id, dst, proto, sport, dport, community_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.payment = db.prepare('SELECT state, started_at FROM payment_outbox WHERE order_id = ?');
    this.cancelPayment = db.prepare(`UPDATE payment_outbox SET state = 'cancelled' WHERE order_id = ?`);
    this.prune = db.prepare(
      'DELETE FROM sightings WHERE id IN (SELECT id FROM sightings WHERE order_id IS NULL AND seen_at < ? ORDER BY seen_at LIMIT ?)',
    );
    this.count = db.prepare('SELECT COUNT(*) FROM sightings').pluck();
    this.dropOldest = db.prepare('DELETE FROM sightings WHERE id IN (SELECT id FROM sightings ORDER BY id LIMIT ?)');
  }

  /**
   * Deletes up to `limit` sightings seen before `before` that matched no order
   * (kept by earlier versions; nothing stores them now). Returns how many were
   * deleted; call again while it returns `limit`.
   */
  pruneUnlinked(before: number, limit = 5000): number {
    return this.prune.run(before, limit).changes;
  }

  /**
   * Processes a batch of sightings in one transaction; one result per
   * sighting, in order. Two statements find, for the whole batch, which
   * tokens an order holds and which of the other sightings are stored
   * (replayed); a sighting of a token no order holds is then decided without
   * another statement. Neither answer changes within the batch: no sighting
   * makes an order, and only one of a token an order holds is stored.
   */
  process(sightings: readonly SightingEvent[], ctx: AssociateContext): SightingResult[] {
    // tokens per request: a request carrying more than one counts for none
    const perRequest = new Map<number, Set<string>>();
    for (const s of sightings) {
      if (typeof s.request !== 'number') continue;
      let set = perRequest.get(s.request);
      if (!set) perRequest.set(s.request, (set = new Set()));
      set.add(s.token);
    }
    const keys = sightings.map((s) => sourceKey(ctx.sourceId, s));
    const hashes = sightings.map((s) => sha256(s.token));
    return this.transitions.tx(() => {
      const withOrder = this.orders.positionsWithOrder(hashes);
      const others = keys.filter((_, i) => !withOrder.has(i));
      const stored = new Set(others.length ? (this.seenIn.all(JSON.stringify(others)) as string[]) : []);
      return sightings.map((s, i) => {
        if (withOrder.has(i)) return this.one(s, keys[i]!, hashes[i]!, ctx, (perRequest.get(s.request)?.size ?? 1) > 1);
        if (stored.has(keys[i]!)) return { outcome: 'duplicate', orderId: null, replayed: true };
        if (!this.allow(s, ctx.now)) return { outcome: 'ratelimited', orderId: null, replayed: false };
        return { outcome: 'unknown', orderId: null, replayed: false };
      });
    });
  }

  private allow(s: SightingEvent, now: number): boolean {
    const key = `${s.teid}|${s.ueIp}`;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private one(s: SightingEvent, key: string, hash: Buffer, ctx: AssociateContext, multiToken: boolean): SightingResult {
    if (this.seen.get(key)) return { outcome: 'duplicate', orderId: null, replayed: true };
    if (!this.allow(s, ctx.now)) return { outcome: 'ratelimited', orderId: null, replayed: false };
    const order = this.orders.findByToken(s.token, hash);
    if (!order) return { outcome: 'unknown', orderId: null, replayed: false };
    const msisdn = s.msisdn === null ? null : normalizeMsisdn(s.msisdn);
    const outcome = this.decide(order, msisdn, s, ctx, multiToken);
    // the cap: checked every CAP_CHECK inserts, so the table holds at most maxRows + CAP_CHECK rows
    if (++this.inserted % CAP_CHECK === 0) {
      const n = this.count.get() as number;
      if (n >= this.maxRows) this.dropOldest.run(n - this.maxRows + Math.max(1, Math.floor(this.maxRows / 100)));
    }
    this.insert.run(
      key,
      ctx.now,
      s.ts,
      s.packet,
      s.token,
      s.carrier,
      s.via,
      msisdn,
      s.imsi,
      s.imei,
      s.apn,
      s.ueIp,
      s.teid,
      s.resolvedBy,
      outcome,
      order.id,
      s.dst ?? null,
      s.proto ?? null,
      s.sport ?? null,
      s.dport ?? null,
      s.communityId ?? null,
    );
    return { outcome, orderId: order.id, replayed: false };
  }

  private decide(
    found: OrderRow,
    msisdn: string | null,
    s: SightingEvent,
    ctx: AssociateContext,
    multiToken: boolean,
  ): SightingOutcome {
    if (msisdn === null || s.resolvedBy !== 'teid') return 'unresolved';
    if (s.via === 'dns' || multiToken) return 'ignored';
    if (s.carrier !== 'host' && !isPayHost(s.host ?? null, [...(ctx.payHosts ?? []), payHostOf(found.pay_url)]))
      return 'ignored';
    const sp = this.sps.get(found.sp_id);
    if (!sp || sp.confirmation !== 'none') return 'consent';
    const order = this.orders.expireIfDue(found, ctx.now);
    const open = order.status === 'pending' || (order.status === 'identified' && order.confirmed_at === null);
    if (open) {
      const declined = this.consent.confirmBySighting(
        order,
        msisdn,
        s.imsi,
        evidenceOf(s),
        ctx.limits ?? { perTransaction: null, perMonth: null },
        ctx.now,
      );
      return declined ? 'declined' : 'associated';
    }
    switch (order.status) {
      case 'identified': {
        // confirmed: the charge queued or under way, or (a held order) reserved until its SP captures it
        if (order.msisdn === msisdn) return 'duplicate';
        const p = this.payment.get(order.id) as { state: string; started_at: number | null } | undefined;
        // the charge is under way: too late to call it a conflict
        if (p ? p.started_at !== null : !isReserved(order)) return 'used';
        this.cancelPayment.run(order.id);
        this.transitions.apply(order, 'conflict', ctx.now, { reason: 'TOKEN_CONFLICT' });
        return 'conflict';
      }
      case 'expired':
        return 'expired';
      case 'cancelled':
        return 'cancelled';
      case 'conflict':
        return 'conflict';
      default: // paid, declined, failed
        return order.msisdn === msisdn ? 'duplicate' : 'used';
    }
  }
}

function evidenceOf(s: SightingEvent): Record<string, unknown> {
  return {
    ts: s.ts,
    packet: s.packet,
    carrier: s.carrier,
    via: s.via,
    host: s.host ?? null,
    request: s.request ?? null,
    ueIp: s.ueIp,
    teid: s.teid,
    dst: s.dst ?? null,
    proto: s.proto ?? null,
    sport: s.sport ?? null,
    dport: s.dport ?? null,
    communityId: s.communityId ?? null,
  };
}
