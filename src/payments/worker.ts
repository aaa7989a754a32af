// The payment worker: charges leased orders through the driver, exactly once
// per order (idempotency key = order id, outcome settled with the outbox row
// in one transaction), retrying transient failures with bounded backoff.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import type { LeasedPayment } from '../store/payment-outbox';
import type { OrderRow } from '../store/types';
import { backoffMs, type BackoffOptions } from './backoff';
import { WorkLoop } from './loop';
import type { ChargeResult, PaymentDriver } from './types';

export interface PaymentWorkerOptions {
  driver: PaymentDriver;
  concurrency: number;
  /** attempts before the order ends `failed` */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** how long a lease holds (longer than a charge can take) */
  leaseMs: number;
  pollMs?: number;
}

export interface WorkerDeps {
  metrics?: Metrics;
  log?: Logger;
  random?: () => number;
  /** an order reached a final state */
  onSettled?: (order: OrderRow) => void;
}

export class PaymentWorker {
  readonly owner = `pay-${randomUUID()}`;
  private readonly loop: WorkLoop<LeasedPayment>;

  constructor(
    private readonly store: Store,
    private readonly o: PaymentWorkerOptions,
    private readonly deps: WorkerDeps = {},
  ) {
    this.loop = new WorkLoop({
      concurrency: o.concurrency,
      pollMs: o.pollMs ?? 1000,
      clock: store.clock,
      lease: (max) => store.payments.lease(this.owner, max, o.leaseMs),
      nextDueAt: () => store.payments.nextDueAt(),
      handle: (p) => this.charge(p),
      onError: (err) => deps.log?.error({ err }, 'payment worker error'),
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  stop(timeoutMs: number): Promise<boolean> {
    return this.loop.stop(timeoutMs);
  }

  private async charge(p: LeasedPayment): Promise<void> {
    const { order } = p;
    const driver = this.o.driver;
    const t0 = performance.now();
    let r: ChargeResult;
    try {
      r = await driver.charge({
        idempotencyKey: order.id,
        msisdn: order.msisdn!,
        amount: order.amount,
        currency: order.currency,
        reference: order.reference,
        description: order.description,
      });
    } catch (err) {
      r = { outcome: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    const seconds = (performance.now() - t0) / 1000;
    this.deps.metrics?.paymentAttempts.inc({ driver: driver.name, outcome: r.outcome });
    this.deps.metrics?.paymentSeconds.observe({ driver: driver.name, outcome: r.outcome }, seconds);
    let settled: OrderRow | null = null;
    if (r.outcome === 'succeeded') {
      settled = this.store.payments.settle(order.id, this.owner, { status: 'paid' });
    } else if (r.outcome === 'declined') {
      settled = this.store.payments.settle(order.id, this.owner, { status: 'declined', reason: r.reason }, r.detail ?? null);
    } else if (p.attempt >= this.o.maxAttempts) {
      settled = this.store.payments.settle(order.id, this.owner, { status: 'failed', reason: 'PAYMENT_FAILED' }, r.error);
    } else {
      const delay = backoffMs(p.attempt, this.o.backoff, this.deps.random);
      this.store.payments.retry(order.id, this.owner, this.store.clock() + delay, r.error);
      this.deps.log?.warn({ orderId: order.id, attempt: p.attempt, error: r.error, retryInMs: delay }, 'charge failed, will retry');
      return;
    }
    if (settled) {
      this.deps.log?.info({ orderId: order.id, status: settled.status, reason: settled.reason, attempt: p.attempt }, 'order settled');
      this.deps.onSettled?.(settled);
    }
  }
}
