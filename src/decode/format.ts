// Human-readable output of `gnpay decode` (without --jsonl) and `--stats`.
import type { DecodeEvent, StatsEvent } from '../native/types';
import { count, counterGroups, counters } from '../native/stats';

export const TABLE_HEADER = [
  'PACKET'.padEnd(8),
  'TIME (UTC)'.padEnd(26),
  'EVENT'.padEnd(16),
  'MSISDN'.padEnd(16),
  'IMSI'.padEnd(16),
  'DETAILS',
].join(' ');

function cell(v: string | number | null | undefined, w: number): string {
  const s = v === null || v === undefined || v === '' ? '-' : String(v);
  return s.length > w ? s.slice(0, w - 1) + '~' : s.padEnd(w);
}

/** "0x0000abcd": decode's events carry it so already (hexTeids); a number is formatted the same way */
export function teidText(v: number | string): string {
  return typeof v === 'string' ? v : '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

function time(ts: string): string {
  return ts.replace('T', ' ').replace('Z', '');
}

export function formatEventRow(e: DecodeEvent): string {
  let kind: string;
  let details: string;
  switch (e.type) {
    case 'session': {
      kind = `session ${e.event}`;
      const t = e.tunnels
        .map(
          (x) =>
            `${x.plane === 'control' ? 'c' : 'u'}-${x.dir === 'uplink' ? 'up' : 'down'} ${x.addr}/${teidText(x.teid)}`,
        )
        .join(', ');
      details = `gtpv${e.gtp} apn ${e.apn ?? '-'} ue ${e.ueIp ?? '-'}${e.ueIpv6 && e.ueIpv6 !== e.ueIp ? ' ' + e.ueIpv6 : ''} bearer ${e.bearer ?? '-'}${e.linkedBearer ? ` (linked ${e.linkedBearer})` : ''}${t ? ' [' + t + ']' : ''}`;
      break;
    }
    case 'sighting':
      kind = 'sighting';
      details = `${e.carrier} via ${e.via} token ${e.token} ue ${e.ueIp} teid ${teidText(e.teid)} ${e.resolvedBy ? 'by ' + e.resolvedBy : 'unresolved'}`;
      break;
    case 'hello':
      kind = 'hello';
      details = `${e.sni} random ${e.random.slice(0, 16)}… ue ${e.ueIp} teid ${teidText(e.teid)} gsn ${e.gsnSrc} > ${e.gsnDst} ${e.resolvedBy ? 'by ' + e.resolvedBy : 'unresolved'}`;
      break;
    case 'request':
      kind = `request ${e.via}`;
      details =
        e.via === 'http'
          ? `${e.method} ${e.host ?? '-'} ${e.target ?? ''} from ${e.ueIp}`
          : `${e.name ?? '-'} from ${e.ueIp}`;
      break;
  }
  return [cell(e.packet, 8), cell(time(e.ts), 26), cell(kind, 16), cell(e.msisdn, 16), cell(e.imsi, 16), details].join(
    ' ',
  );
}

function block(title: string, rows: [string, number | string][]): string {
  if (rows.length === 0) return '';
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${title}\n` + rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

function entries(o: unknown): [string, number][] {
  if (!o || typeof o !== 'object') return [];
  return Object.entries(o as Record<string, number>).filter(([, v]) => typeof v === 'number' && v > 0);
}

export function formatStats(s: StatsEvent, files: string[]): string {
  const st = s as Record<string, unknown>;
  const gtpc = counters(st.gtpc);
  const gtpcOf = counterGroups(st.gtpc);
  const gpdu = counters(st.gpdu);
  const sessions = counters(st.sessions);
  let out = `Capture: ${files.join(', ')}\n`;
  out += block('Packets', [
    ['packets', count(st.packets)],
    ...(count(st.filtered) ? ([['left out by --filter', count(st.filtered)]] as [string, number][]) : []),
    ['bytes', count(st.bytes)],
    ['IP packets', count(st.ipPackets)],
    ['non-IP frames', count(st.nonIp)],
    ['fragmented datagrams reassembled', counters(st.fragments).reassembled ?? 0],
  ]);
  out += block('GTPv1-C messages', entries(gtpcOf.v1));
  out += block('GTPv2-C messages', entries(gtpcOf.v2));
  out += block('GTP-U messages', entries(st.gtpu));
  out += block('G-PDUs', [
    ['resolved by TEID', gpdu.byTeid ?? 0],
    ['resolved by UE address', gpdu.byUeIp ?? 0],
    ['unresolved', gpdu.unresolved ?? 0],
    ['downlink', gpdu.downlink ?? 0],
    ['direction undecided (unknown tunnel)', gpdu.undecided ?? 0],
  ]);
  out += block('Sessions', [
    ['created', sessions.created ?? 0],
    ['updated', sessions.updated ?? 0],
    ['deleted', sessions.deleted ?? 0],
    ['active at end', sessions.active ?? 0],
    ['evicted', sessions.evicted ?? 0],
    ['rejected responses', gtpc.rejected ?? 0],
  ]);
  out += block('Token sightings', [
    ['sightings', count(st.sightings)],
    ['unresolved subscriber', count(st.unresolvedSightings)],
  ]);
  const an = entries(st.anomalies);
  out += an.length ? block('Anomalies', an) : 'Anomalies\n  none\n';
  return out;
}

// ---------------------------------------------------------------- CSV / TSV / selected fields

/** Columns of CSV/TSV output when no --fields are given: every event key, in contract order. */
export function defaultColumns(table: Record<string, { key: string }[]>): string[] {
  const out: string[] = [];
  for (const block of ['session', 'sighting', 'hello', 'request'])
    for (const f of table[block] ?? []) if (!out.includes(f.key)) out.push(f.key);
  return out;
}

/** A value as one cell: null/absent empty, tunnels as in the table output, objects as JSON. */
function cellText(key: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (key === 'tunnels' && Array.isArray(v))
    return (v as { plane: string; dir: string; addr: string; teid: number | string; bearer?: number }[])
      .map(
        (x) =>
          `${x.plane === 'control' ? 'c' : 'u'}-${x.dir === 'uplink' ? 'up' : 'down'} ${x.addr}/${teidText(x.teid)}${x.bearer !== undefined ? ` bearer ${x.bearer}` : ''}`,
      )
      .join(', ');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    return String(v);
  return JSON.stringify(v) ?? '';
}

function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** One line of CSV (RFC 4180) or TSV (tabs and line breaks inside a value become spaces). */
export function delimitedRow(cells: string[], format: 'csv' | 'tsv'): string {
  return format === 'csv' ? cells.map(csvQuote).join(',') : cells.map((c) => c.replace(/[\t\r\n]/g, ' ')).join('\t');
}

export function delimitedEvent(e: DecodeEvent, columns: string[], format: 'csv' | 'tsv'): string {
  const o = e as unknown as Record<string, unknown>;
  return delimitedRow(
    columns.map((k) => cellText(k, o[k])),
    format,
  );
}

/** The event with only `fields`, in that order (keys an event does not have are null). */
export function pickFields(e: DecodeEvent, fields: string[]): Record<string, unknown> {
  const o = e as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of fields) out[k] = o[k] === undefined ? null : o[k];
  return out;
}
