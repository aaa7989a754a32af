// The audit trail of token sightings, read for an operator's dispute: which
// packets, from which tunnel and subscriber, bound an order (or were seen for
// an MSISDN), and with what outcome; the inner flow and its Community ID to
// find the same flow in Zeek, Suricata, Arkime or Wireshark.
import type { DB } from './db';

export interface SightingRow {
  id: number;
  seen_at: number;
  ts: string;
  packet: number;
  token: string;
  carrier: string | null;
  via: string | null;
  msisdn: string | null;
  imsi: string | null;
  imei: string | null;
  apn: string | null;
  ue_ip: string | null;
  teid: number | null;
  resolved_by: string | null;
  outcome: string;
  order_id: string | null;
  /** the inner flow (null for sightings stored before event contract 3) */
  dst: string | null;
  proto: string | null;
  sport: number | null;
  dport: number | null;
  community_id: string | null;
}

/** Sightings of an order, or of a subscriber (MSISDN digits), oldest first, at most `limit`. */
export function findSightings(db: DB, by: { orderId: string } | { msisdn: string }, limit = 100): SightingRow[] {
  const cols =
    'id, seen_at, ts, packet, token, carrier, via, msisdn, imsi, imei, apn, ue_ip, teid, resolved_by, outcome, order_id, dst, proto, sport, dport, community_id';
  if ('orderId' in by)
    return db
      .prepare(`SELECT ${cols} FROM sightings WHERE order_id = ? ORDER BY id LIMIT ?`)
      .all(by.orderId, limit) as SightingRow[];
  return db
    .prepare(`SELECT ${cols} FROM sightings WHERE msisdn = ? ORDER BY id LIMIT ?`)
    .all(by.msisdn, limit) as SightingRow[];
}

/** "tcp 10.45.0.3:54846 > 203.0.113.80:80" (IPv6 addresses in brackets), or null when the flow is not known. */
export function flowText(r: Pick<SightingRow, 'ue_ip' | 'dst' | 'proto' | 'sport' | 'dport'>): string | null {
  if (r.ue_ip === null || r.dst === null || r.proto === null || r.sport === null || r.dport === null) return null;
  const ep = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return `${r.proto} ${ep(r.ue_ip, r.sport)} > ${ep(r.dst, r.dport)}`;
}
