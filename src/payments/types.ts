// Payment platform drivers: charge a subscriber once per order.
import type { OrderReason } from '../client/types';

export interface ChargeRequest {
  /** the order id: the platform must charge at most once per key */
  idempotencyKey: string;
  /** international format, digits only (no "+") */
  msisdn: string;
  /** minor units */
  amount: number;
  currency: string;
  /** the SP's reference of the order */
  reference: string;
  description: string;
}

export type ChargeResult =
  /** final: the subscriber was charged */
  | { outcome: 'succeeded' }
  /** final: the subscriber was not charged */
  | { outcome: 'declined'; reason: OrderReason; detail?: string }
  /** not known or not done: try again later (same idempotency key) */
  | { outcome: 'retry'; error: string };

export interface PaymentDriver {
  readonly name: string;
  charge(req: ChargeRequest): Promise<ChargeResult>;
  /**
   * For a driver whose money lives in the gnpay database (the ledger): the
   * charge as part of the caller's transaction, so the debit and the order's
   * final state commit together and a batch of orders costs one commit.
   */
  chargeInTransaction?(req: ChargeRequest): ChargeResult;
}
