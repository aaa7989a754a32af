// gnpay orders create|show|list: orders straight in the database, printed as the API shows them.
import Ajv from 'ajv';
import type { Command } from 'commander';
import { validationMessage } from '../api/errors';
import { CreateOrderBody } from '../api/schemas';
import type { Order } from '../client/types';
import { ORDER_STATUSES } from '../client/types';
import type { Store } from '../store';
import type { Evidence } from '../store/consent';
import type { CreateOrderInput } from '../store/orders';
import type { OrderRow, OrderStatus } from '../store/types';
import { findSightings, flowText, type SightingRow } from '../store/sightings';
import { orderView, refundView } from '../store/views';
import type { Refund } from '../client/types';

function refundText(r: Refund): string {
  return `${r.id}  ${r.status.padEnd(9)}  ${String(r.amount).padStart(8)} ${r.currency}  ${r.createdAt}${r.reason ? `  ${r.reason}` : ''}${r.failure ? `  (${r.failure})` : ''}`;
}
import { CliError, parsePositiveInt, UsageError } from './common';
import { addDbOptions, print, withStore } from './run';

const validateBody = new Ajv({ coerceTypes: false }).compile(CreateOrderBody);

function view(store: Store, o: OrderRow): Order {
  return orderView(o, store.sps.get(o.sp_id)!.scopes);
}

function orderText(o: Order): string {
  return [
    `id          ${o.id}`,
    `status      ${o.status}${o.reason ? ` (${o.reason})` : ''}`,
    `amount      ${o.amount} ${o.currency} (minor units)`,
    `reference   ${o.reference}`,
    `description ${o.description}`,
    `pay URL     ${o.payUrl}`,
    `msisdn      ${o.msisdn ?? '-'}`,
    `created     ${o.createdAt}`,
    `expires     ${o.expiresAt}`,
    `identified  ${o.identifiedAt ?? '-'}`,
    `confirmed   ${o.confirmedAt ?? '-'}`,
    `completed   ${o.completedAt ?? '-'}`,
    ...(o.returnUrl ? [`return URL  ${o.returnUrl}`] : []),
    ...(o.refundedAmount ? [`refunded    ${o.refundedAmount} ${o.currency} (minor units)`] : []),
  ].join('\n');
}

/** An order's sightings as evidence: when, the outcome, the inner flow and its Community ID (to find it in Zeek, Arkime, Wireshark). */
export interface SightingFlow {
  ts: string;
  packet: number;
  outcome: string;
  flow: string | null;
  communityId: string | null;
}

export function sightingFlows(rows: SightingRow[]): SightingFlow[] {
  return rows.map((r) => ({
    ts: r.ts,
    packet: r.packet,
    outcome: r.outcome,
    flow: flowText(r),
    communityId: r.community_id,
  }));
}

function flowLines(flows: SightingFlow[]): string[] {
  return flows.map(
    (f) =>
      `  ${'sighting flow'.padEnd(18)} ${f.ts} packet ${f.packet} ${f.outcome}: ${f.flow ?? '-'} community-id ${f.communityId ?? '-'}`,
  );
}

/** What a dispute needs of a confirmation (gnpay orders show ID --evidence). */
export function evidenceText(e: Evidence | null, identifications: number, flows: SightingFlow[] = []): string {
  if (!e)
    return [`evidence: none (not confirmed; ${identifications} phone(s) identified)`, ...flowLines(flows)].join('\n');
  const rows: [string, string | number | null][] = [
    [
      'confirmed by',
      e.mode === 'page'
        ? 'the subscriber, on the pay page'
        : 'a sighting alone (the SP is in one-step mode: it proves consent itself)',
    ],
    ['msisdn', `+${e.msisdn}`],
    ['imsi', e.imsi],
    ['identified at', e.identifiedAt],
    ['page shown at', e.pageViewAt],
    ['confirmed at', e.confirmedAt],
    ['page digest', e.pageDigest ? `sha256:${e.pageDigest}` : null],
    ['ClientHello at', e.helloTs],
    ['SNI', e.sni],
    ['UE address', e.ueIp],
    ['TEID', e.teid],
    ['GSN addresses', e.gsnSrc || e.gsnDst ? `${e.gsnSrc ?? '-'} -> ${e.gsnDst ?? '-'}` : null],
    ['user agent', e.userAgent],
    ['sighting', e.sighting ? JSON.stringify(e.sighting) : null],
    ['phones identified', identifications],
  ];
  return ['evidence', ...rows.map(([k, v]) => `  ${k.padEnd(18)} ${v ?? '-'}`), ...flowLines(flows)].join('\n');
}

interface CreateFlags {
  sp: string;
  amount: string;
  currency: string;
  reference: string;
  description?: string;
  ttl?: number;
  idempotencyKey?: string;
  payUrl?: string;
  returnUrl?: string;
  db?: string;
  config?: string;
  json?: boolean;
}

export function registerOrders(program: Command): void {
  const orders = program.command('orders').description('orders: create, show, list');
  addDbOptions(
    orders
      .command('create')
      .description('create an order for an SP (as POST /v1/orders does)')
      .requiredOption('--sp <id>', 'the SP')
      .requiredOption('--amount <minor units>', 'integer amount in minor units (499 = 4.99 EUR)')
      .requiredOption('--currency <ISO 4217>', 'currency code')
      .requiredOption('--reference <ref>', "the SP's order id")
      .option('--description <text>', 'what is bought')
      .option('--ttl <seconds>', 'token validity', parsePositiveInt('--ttl'))
      .option('--idempotency-key <key>', 'the same key with the same order returns the same order')
      .option('--pay-url <template>', 'pay URL template (default from the config)')
      .option('--return-url <url>', 'where the pay page links back to (an origin registered for the SP)'),
  ).action((o: CreateFlags) =>
    withStore(
      o,
      (store, config) => {
        const sp = store.sps.get(o.sp);
        if (!sp || sp.revokedAt !== null) throw new CliError(`no active SP ${o.sp}`);
        if (!/^-?[0-9]+(\.[0-9]+)?$/.test(o.amount))
          throw new UsageError(`--amount must be an integer (minor units), got "${o.amount}"`);
        const input: CreateOrderInput = { amount: Number(o.amount), currency: o.currency, reference: o.reference };
        if (o.description !== undefined) input.description = o.description;
        if (o.ttl !== undefined) input.ttlSeconds = o.ttl;
        if (o.returnUrl !== undefined) input.returnUrl = o.returnUrl;
        if (!validateBody(input)) throw new UsageError(validationMessage('order', validateBody.errors as never));
        const { order } = store.orders.create(sp.id, input, {
          idempotencyKey: o.idempotencyKey,
          returnOrigins: sp.returnOrigins,
          payUrlTemplate: config.payUrlTemplate,
          defaultTtlSeconds: config.orders.defaultTtlSeconds,
          maxTtlSeconds: config.orders.maxTtlSeconds,
        });
        const v = view(store, order);
        print(o.json, v, () => orderText(v));
      },
      o.payUrl !== undefined ? { payUrlTemplate: o.payUrl } : {},
    ),
  );
  addDbOptions(
    orders
      .command('show')
      .description('show an order and its state changes')
      .argument('<id>', 'order id')
      .option(
        '--evidence',
        'also what a dispute needs: who confirmed, when, on which tunnel, the page digest, the inner flow and Community ID of each sighting (full MSISDN: for the operator only)',
      ),
  ).action((id: string, o: { db?: string; config?: string; json?: boolean; evidence?: boolean }) =>
    withStore(o, (store) => {
      const row = store.orders.find(id);
      if (!row) throw new CliError(`no order ${id}`);
      const v = view(store, store.orders.expireIfDue(row));
      const events = store.events.forOrder(id);
      const ev = o.evidence ? store.consent.evidence(id) : null;
      const n = o.evidence ? store.consent.identifications(id) : 0;
      const flows = o.evidence ? sightingFlows(findSightings(store.db, { orderId: id })) : [];
      const refunds = store.refunds.list(id).map(refundView);
      const value = {
        ...v,
        ...(refunds.length ? { refunds } : {}),
        ...(o.evidence ? { evidence: ev, identifications: n, sightings: flows } : {}),
      };
      print(o.json, value, () =>
        [
          orderText(v),
          '',
          events.map((e) => `${new Date(e.time).toISOString()}  ${e.previous_status ?? '-'} -> ${e.status}`).join('\n'),
          ...(refunds.length ? ['', ...refunds.map(refundText)] : []),
          ...(o.evidence ? ['', evidenceText(ev, n, flows)] : []),
        ].join('\n'),
      );
    }),
  );
  addDbOptions(
    orders
      .command('refund')
      .description(
        'give money of a paid order back: all that remains, or --amount; the running daemon sends it to the payment platform, exactly once',
      )
      .argument('<id>', 'order id')
      .option('--amount <minor>', 'minor units to give back (default: all that remains)', parsePositiveInt('--amount'))
      .option('--reason <text>', 'why (kept with the refund, sent to the platform)')
      .option('--key <key>', 'idempotency key: the same key again returns the same refund'),
  ).action(
    (id: string, o: { amount?: number; reason?: string; key?: string; db?: string; config?: string; json?: boolean }) =>
      withStore(o, (store) => {
        const row = store.orders.find(id);
        if (!row) throw new CliError(`no order ${id}`);
        let r;
        try {
          r = store.refunds.create(row.sp_id, id, {
            amount: o.amount,
            reason: o.reason,
            idempotencyKey: o.key === undefined ? undefined : `cli:${o.key}`,
          });
        } catch (err) {
          throw new CliError((err as Error).message);
        }
        const v = refundView(r.refund);
        print(
          o.json,
          v,
          () =>
            `${refundText(v)}${r.replayed ? ' (already asked for with this key)' : ''}\nremaining ${store.refunds.remaining(store.orders.find(id)!)} ${v.currency} (minor units)`,
        );
      }),
  );
  addDbOptions(
    orders
      .command('list')
      .description('list orders, oldest first')
      .option('--sp <id>', 'only this SP')
      .option('--status <status>', `only this status: ${ORDER_STATUSES.join(', ')}`)
      .option('--reference <ref>', 'only this reference')
      .option('--limit <n>', 'at most this many (default 50)', parsePositiveInt('--limit'))
      .option('--after <cursor>', 'the nextCursor of the previous page'),
  ).action(
    (o: {
      sp?: string;
      status?: string;
      reference?: string;
      limit?: number;
      after?: string;
      db?: string;
      config?: string;
      json?: boolean;
    }) =>
      withStore(o, (store) => {
        if (o.status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(o.status))
          throw new UsageError(`--status must be one of ${ORDER_STATUSES.join(', ')}`);
        if (o.after !== undefined && !/^[0-9]{1,15}$/.test(o.after))
          throw new UsageError('--after must be a cursor printed by a previous page');
        const page = store.orders.list(o.sp ?? null, {
          status: o.status as OrderStatus | undefined,
          reference: o.reference,
          limit: o.limit,
          after: o.after === undefined ? undefined : Number(o.after),
        });
        const out = {
          orders: page.orders.map((r) => view(store, r)),
          nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
        };
        print(o.json, out, () =>
          [
            ...out.orders.map(
              (v) =>
                `${v.id}  ${v.status.padEnd(10)}  ${String(v.amount).padStart(8)} ${v.currency}  ${v.reference}  ${v.msisdn ?? '-'}`,
            ),
            ...(out.nextCursor ? [`(more: --after ${out.nextCursor})`] : out.orders.length ? [] : ['(no orders)']),
          ].join('\n'),
        );
      }),
  );
}
