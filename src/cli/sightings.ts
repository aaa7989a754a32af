// gnpay sightings --order ID | --msisdn N: why a subscriber was charged (or
// not): every sighting of the order's token, or of a subscriber, with the
// tunnel it came through and what gnpay decided. Personal data (MSISDN, IMSI,
// IMEI) and tokens are masked unless --reveal. Each carries its inner flow and
// Community ID, to find the flow in Zeek, Suricata, Arkime or Wireshark.
import type { Command } from 'commander';
import { normalizeMsisdn } from '../store/associate';
import { findSightings, flowText, type SightingRow } from '../store/sightings';
import { maskMsisdn } from '../store/views';
import { parsePositiveInt, UsageError } from './common';
import { addDbOptions, print, withStore } from './run';

const maskDigits = (s: string | null) =>
  s === null
    ? null
    : s.length <= 6
      ? '*'.repeat(s.length)
      : `${s.slice(0, 5)}${'*'.repeat(s.length - 7)}${s.slice(-2)}`;

function view(r: SightingRow, reveal: boolean) {
  return {
    seenAt: new Date(r.seen_at).toISOString(),
    packetTime: r.ts,
    packet: r.packet,
    outcome: r.outcome,
    orderId: r.order_id,
    msisdn: r.msisdn === null ? null : reveal ? `+${r.msisdn}` : maskMsisdn(r.msisdn),
    imsi: reveal ? r.imsi : maskDigits(r.imsi),
    imei: reveal ? r.imei : maskDigits(r.imei),
    apn: r.apn,
    ueIp: r.ue_ip,
    teid: r.teid === null ? null : `0x${r.teid.toString(16).padStart(8, '0')}`,
    resolvedBy: r.resolved_by,
    carrier: r.carrier,
    via: r.via,
    token: reveal ? r.token : `${r.token.slice(0, 6)}…`,
    dst: r.dst,
    proto: r.proto,
    sport: r.sport,
    dport: r.dport,
    communityId: r.community_id,
    flow: flowText(r),
  };
}

export function registerSightings(program: Command): void {
  addDbOptions(
    program
      .command('sightings')
      .description(
        'the token sightings of an order or of a subscriber: which packet, tunnel, subscriber and inner flow (with its Community ID), and the outcome (why it was charged)',
      )
      .option('--order <id>', 'the sightings of this order')
      .option('--msisdn <number>', 'the sightings resolved to this subscriber, e.g. +491511234567')
      .option('--reveal', 'show MSISDN, IMSI, IMEI and tokens in full (personal data: for a dispute)')
      .option('--limit <n>', 'at most this many (default 100)', parsePositiveInt('--limit')),
  ).action(
    (o: {
      order?: string;
      msisdn?: string;
      reveal?: boolean;
      limit?: number;
      db?: string;
      config?: string;
      json?: boolean;
    }) =>
      withStore(o, (store) => {
        if ((o.order === undefined) === (o.msisdn === undefined))
          throw new UsageError('give --order ID or --msisdn NUMBER');
        let by: { orderId: string } | { msisdn: string };
        if (o.order !== undefined) by = { orderId: o.order };
        else {
          const d = normalizeMsisdn(o.msisdn!.trim());
          if (!/^[0-9]{5,15}$/.test(d))
            throw new UsageError(
              `--msisdn must be an international number (digits, optionally with "+"), got "${o.msisdn}"`,
            );
          by = { msisdn: d };
        }
        const rows = findSightings(store.db, by, o.limit ?? 100).map((r) => view(r, o.reveal === true));
        print(o.json, rows, () =>
          rows.length === 0
            ? '(no sightings)'
            : rows
                .map(
                  (r) =>
                    `${r.packetTime}  ${r.outcome.padEnd(10)}  order ${r.orderId ?? '-'}  msisdn ${r.msisdn ?? '-'}  imsi ${r.imsi ?? '-'}  apn ${r.apn ?? '-'}  teid ${r.teid ?? '-'}  ue ${r.ueIp ?? '-'}  ${r.carrier ?? '-'} via ${r.via ?? '-'}  packet ${r.packet}  token ${r.token}  flow ${r.flow ?? '-'}  community-id ${r.communityId ?? '-'}`,
                )
                .join('\n'),
        );
      }),
  );
}
