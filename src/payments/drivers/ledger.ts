// The embedded driver: prepaid balances in the gnpay database (store/ledger.ts).
import type { Ledger } from '../../store/ledger';
import type { ChargeRequest, ChargeResult, PaymentDriver, RefundRequest } from '../types';
import { registerDriver } from './registry';

export class LedgerDriver implements PaymentDriver {
  readonly name = 'ledger';

  constructor(private readonly ledger: Ledger) {}

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    return this.chargeInTransaction(req);
  }

  async refund(req: RefundRequest): Promise<ChargeResult> {
    return this.refundInTransaction(req);
  }

  /** Credits the amount back to the subscriber's balance, once per refund id. */
  refundInTransaction(req: RefundRequest): ChargeResult {
    this.ledger.refund(req.idempotencyKey, req.orderId, req.msisdn, req.amount, req.currency);
    return { outcome: 'succeeded' };
  }

  chargeInTransaction(req: ChargeRequest): ChargeResult {
    const r = this.ledger.debit(req.idempotencyKey, req.msisdn, req.amount, req.currency);
    return r.outcome === 'succeeded' ? { outcome: 'succeeded' } : { outcome: 'declined', reason: r.reason };
  }
}

registerDriver({
  name: 'ledger',
  description: "prepaid balances in gnpay's database (gnpay ledger)",
  create: (ctx) => new LedgerDriver(ctx.store.ledger),
});
