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
  /**
   * final: the subscriber was not charged. `keyHeld`: the platform refused the
   * request because another one with the same key holds it (HTTP 409): final
   * for a first request, not for one sent again while an earlier one's outcome
   * is unknown (that one may still charge)
   */
  | { outcome: 'declined'; reason: OrderReason; detail?: string; keyHeld?: boolean }
  /** not done: this attempt certainly charged nothing (never sent, or refused before processing); try again later */
  | { outcome: 'retry'; error: string }
  /** not known: this attempt may have charged (timeout, reset, 5xx); only a definite answer to the same key settles it */
  | { outcome: 'unknown'; error: string };

/** What the platform says of an idempotency key it was sent before. */
export type StatusResult =
  | { outcome: 'succeeded' }
  | { outcome: 'declined'; reason: OrderReason; detail?: string }
  /** the platform holds no charge under this key (none arrived, or none yet) */
  | { outcome: 'absent' }
  /** no answer to go by */
  | { outcome: 'unknown'; error: string };

export interface RefundRequest {
  /** the refund id: the platform must refund at most once per key */
  idempotencyKey: string;
  /** the order whose charge is refunded (the charge's idempotency key) */
  orderId: string;
  /** international format, digits only (no "+") */
  msisdn: string;
  /** minor units to give back */
  amount: number;
  currency: string;
  reason: string | null;
}

export interface PaymentDriver {
  readonly name: string;
  /** `signal` aborts the attempt (shutdown): its outcome is then unknown */
  charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** asks the platform about a key whose outcome is in doubt (when the platform offers it) */
  status?(req: ChargeRequest, signal?: AbortSignal): Promise<StatusResult>;
  /**
   * For a driver whose money lives in the gnpay database (the ledger): the
   * charge as part of the caller's transaction, so the debit and the order's
   * final state commit together and a batch of orders costs one commit.
   */
  chargeInTransaction?(req: ChargeRequest): ChargeResult;
  /** gives money back (absent: the platform takes no refunds); outcomes as for a charge */
  refund?(req: RefundRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** the refund inside the caller's transaction (the ledger) */
  refundInTransaction?(req: RefundRequest): ChargeResult;
}
