// The ledger payment driver (src/payments/drivers/ledger.ts).
import t from 'tap';
import { LedgerDriver } from '../../../src/payments/drivers/ledger';
import { openStore } from '../../e2e/harness';

const req = {
  idempotencyKey: 'ord_1',
  msisdn: '491511234567',
  amount: 250,
  currency: 'EUR',
  reference: 'r-1',
  description: 'd',
};

t.test('ledger driver', async (t) => {
  const store = openStore(t);
  const d = new LedgerDriver(store.ledger);
  t.equal(d.name, 'ledger');
  t.same(await d.charge(req), { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });
  store.ledger.credit(req.msisdn, 300, { currency: req.currency });
  t.same(await d.charge(req), { outcome: 'succeeded' });
  t.same(await d.charge(req), { outcome: 'succeeded' }, 'same key: no second debit');
  t.same(store.ledger.show(req.msisdn).balances, { [req.currency]: 50 });
});
