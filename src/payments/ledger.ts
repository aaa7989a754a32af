// The embedded driver: prepaid balances in the gnpay database (store/ledger.ts).
import type { Ledger } from '../store/ledger';
import type { ChargeRequest, ChargeResult, PaymentDriver } from './types';

export class LedgerDriver implements PaymentDriver {
  readonly name = 'ledger';

  constructor(private readonly ledger: Ledger) {}

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    return this.chargeInTransaction(req);
  }

  chargeInTransaction(req: ChargeRequest): ChargeResult {
    const r = this.ledger.debit(req.idempotencyKey, req.msisdn, req.amount, req.currency);
    return r.outcome === 'succeeded' ? { outcome: 'succeeded' } : { outcome: 'declined', reason: r.reason };
  }
}
