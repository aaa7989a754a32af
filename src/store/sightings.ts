// The audit trail of token sightings, read for an operator's dispute: which
// packets, from which tunnel and subscriber, bound an order (or were seen for
// an MSISDN), and with what outcome.
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
}

/** Sightings of an order, or of a subscriber (MSISDN digits), oldest first, at most `limit`. */
export function findSightings(db: DB, by: { orderId: string } | { msisdn: string }, limit = 100): SightingRow[] {
  const cols = 'id, seen_at, ts, packet, token, carrier, via, msisdn, imsi, imei, apn, ue_ip, teid, resolved_by, outcome, order_id';
  if ('orderId' in by) return db.prepare(`SELECT ${cols} FROM sightings WHERE order_id = ? ORDER BY id LIMIT ?`).all(by.orderId, limit) as SightingRow[];
  return db.prepare(`SELECT ${cols} FROM sightings WHERE msisdn = ? ORDER BY id LIMIT ?`).all(by.msisdn, limit) as SightingRow[];
}
