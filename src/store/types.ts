// Rows and domain types of the store.
import type { OrderReason, OrderStatus } from '../client/types';

export type { OrderReason, OrderStatus };

export const SCOPES = ['msisdn:read'] as const;
export type Scope = (typeof SCOPES)[number];

/** How an SP's orders are confirmed: on gnpay's pay page (default), or by a sighting alone (the SP proves consent itself). */
export type Confirmation = 'page' | 'none';

export interface Sp {
  id: string;
  name: string;
  confirmation: Confirmation;
  /** origins (scheme://host[:port]) an order's returnUrl may point to */
  returnOrigins: string[];
  webhookUrl: string | null;
  keyHint: string;
  scopes: Scope[];
  createdAt: number;
  revokedAt: number | null;
  /** a sandbox SP: its orders never reach a subscriber or the payment platform (POST /v1/test/orders/{id}/simulate) */
  test: boolean;
}

export interface OrderRow {
  seq: number;
  id: string;
  sp_id: string;
  token: string;
  pay_url: string;
  amount: number;
  currency: string;
  reference: string;
  description: string;
  status: OrderStatus;
  reason: OrderReason | null;
  msisdn: string | null;
  imsi: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
  identified_at: number | null;
  confirmed_at: number | null;
  completed_at: number | null;
  idempotency_key: string | null;
  request_hash: string | null;
  return_url: string | null;
  /** 1: the subscriber's confirmation reserves; the SP's confirmation (captured_at) charges (CAMARA two-step) */
  hold: number;
  /** when the SP confirmed a held order (its charge was queued) */
  captured_at: number | null;
  /** the number the SP named (digits): another confirming number is declined */
  requested_msisdn: string | null;
  /** minor units given back by succeeded refunds */
  refunded_amount: number;
  /** null: a live order; else a sandbox order: 'open' until simulated, then what the simulated platform answers ('paid' | 'declined') */
  sandbox: SandboxState | null;
}

export type SandboxState = 'open' | 'paid' | 'declined';

/** What an event stores of the order at that moment (rendered per SP at read time). */
export type OrderSnapshot = Omit<
  OrderRow,
  | 'seq'
  | 'idempotency_key'
  | 'request_hash'
  | 'imsi'
  | 'hold'
  | 'captured_at'
  | 'requested_msisdn'
  | 'refunded_amount'
  | 'sandbox'
> & {
  /** absent in snapshots written before refunds (0) */
  refunded_amount?: number;
};

export interface EventRow {
  seq: number;
  id: string;
  sp_id: string;
  order_id: string;
  status: OrderStatus;
  previous_status: OrderStatus | null;
  time: number;
  snapshot: string;
}

export type SightingOutcome =
  | 'associated'
  | 'consent'
  | 'ignored'
  | 'ratelimited'
  | 'declined'
  | 'duplicate'
  | 'conflict'
  | 'used'
  | 'expired'
  | 'cancelled'
  | 'unknown'
  | 'unresolved';

export const SIGHTING_OUTCOMES: readonly SightingOutcome[] = [
  'associated',
  'consent',
  'ignored',
  'ratelimited',
  'declined',
  'duplicate',
  'conflict',
  'used',
  'expired',
  'cancelled',
  'unknown',
  'unresolved',
];

export type Clock = () => number;
