// The outboxes' workers: charges and refunds (payments), notifications to the
// SPs (webhooks) and CAMARA notifications to each payment's sink (sinks).
// Each works its own leased table; this service starts, wakes and stops them
// together.
import { readSecret } from '../config';
import { initPayments } from '../metrics';
import { createDriver } from '../payments/drivers';
import type { PaymentDriver } from '../payments/types';
import { PaymentWorker } from '../payments/worker';
import { WebhookWorker } from '../webhooks/worker';
import { SinkWorker } from '../camara/sink-worker';
import type { DaemonContext } from './context';

export class Outbox {
  readonly payments: PaymentWorker;
  readonly webhooks: WebhookWorker;
  /** CAMARA notifications to each payment's sink (the webhook settings: timeout, backoff, destination policy) */
  readonly sinks: SinkWorker;

  constructor(ctx: DaemonContext, version: string) {
    const { store, metrics, log } = ctx;
    const config = ctx.config();
    // the database lock is ours: leases held by a process that died are void
    const payments = store.payments.releaseAll();
    const webhooks = store.webhooks.releaseAll();
    if (payments)
      log.warn(
        { payments },
        'charges under way when the previous process stopped: in doubt until the platform answers again',
      );
    if (webhooks) log.warn({ webhooks }, 'released webhook leases of a previous process');
    const refunds = store.refunds.releaseAll();
    if (refunds)
      log.warn({ refunds }, 'refunds under way when the previous process stopped: sent again under the same key');
    const doubt = store.payments.doubtSummary();
    if (doubt.count)
      log.warn(
        { inDoubt: doubt.count, since: new Date(doubt.oldestSince!).toISOString() },
        'payments in doubt: asked again until a definite answer (gnpay payments doubt)',
      );
    metrics.paymentsDoubt = () => store.payments.doubtSummary();
    metrics.outboxes = () => ({
      payments: { pending: store.payments.pendingCount(), oldestAt: store.payments.oldestPendingAt() },
      webhooks: { pending: store.webhooks.pendingCount(), oldestAt: store.webhooks.oldestPendingAt() },
    });
    initPayments(metrics, config.payments.driver);
    this.webhooks = new WebhookWorker(
      store,
      { ...config.webhooks, backoff: config.webhooks.retry, userAgent: `gnpay/${version}` }, // per SP, breakers, destination policy
      { metrics, log },
    );
    this.sinks = new SinkWorker(
      store,
      {
        timeoutMs: config.webhooks.timeoutMs,
        maxAttempts: 20,
        backoff: config.webhooks.retry,
        allowDestinations: config.webhooks.allowDestinations,
        userAgent: `gnpay/${version}`,
      },
      log,
    );
    this.payments = new PaymentWorker(
      store,
      {
        driver: paymentDriver(ctx, version),
        concurrency: config.payments.concurrency,
        maxAttempts: config.payments.http.maxAttempts,
        backoff: config.payments.retry,
        leaseMs: Math.max(30_000, config.payments.http.timeoutMs * 3),
      },
      { metrics, log },
    );
  }

  start(): void {
    this.payments.start();
    this.webhooks.start();
    this.sinks.start();
  }

  /** An order changed (a transition was committed): notifications may be owed. */
  notify(): void {
    this.webhooks.wake();
    this.sinks.wake();
  }

  /** Waits for what is in flight, at most `budget` ms. */
  async stop(budget: number): Promise<void> {
    await Promise.all([this.payments.stop(budget), this.webhooks.stop(budget), this.sinks.stop(budget)]);
  }
}

/** The configured payment driver (payments/drivers/). */
export function paymentDriver(ctx: Pick<DaemonContext, 'store' | 'config'>, version: string): PaymentDriver {
  return createDriver({ store: ctx.store, payments: ctx.config().payments, version, readSecret });
}
