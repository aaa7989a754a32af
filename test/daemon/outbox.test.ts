import t from 'tap';
import { Outbox, paymentDriver } from '../../src/daemon/outbox';
import { HttpDriver } from '../../src/payments/drivers/http';
import { LedgerDriver } from '../../src/payments/drivers/ledger';
import { testContext } from './context';

t.test('the configured payment driver', async (t) => {
  const ledger = testContext(t);
  t.type(paymentDriver(ledger, '1'), LedgerDriver);
  const http = testContext(t, {
    payments: { driver: 'http', http: { url: 'http://127.0.0.1:9/charge', secret: 's3cret-s3cret-s3cret' } },
  });
  t.type(paymentDriver(http, '1'), HttpDriver);
});

t.test('the two workers start and stop together; outbox metrics are wired', async (t) => {
  const ctx = testContext(t);
  const outbox = new Outbox(ctx, '1');
  outbox.start();
  outbox.payments.wake();
  outbox.webhooks.wake();
  t.same(ctx.metrics.outboxes?.(), {
    payments: { pending: 0, oldestAt: null },
    webhooks: { pending: 0, oldestAt: null },
  });
  t.equal(ctx.metrics.paymentsDoubt?.().count, 0);
  await outbox.stop(1000);
});
