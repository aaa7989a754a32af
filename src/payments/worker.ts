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
import type { ChargeRequest, ChargeResult, PaymentDriver } from './types';

export interface PaymentWorkerOptions {
  driver: PaymentDriver;
  concurrency: number;
  /** attempts before the order ends `failed` */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** how long a lease holds (longer than a charge can take) */
  leaseMs: number;
  pollMs?: number;
  /** orders charged per transaction by a driver that charges inside the database (default 256) */
  batchSize?: number;
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
  private readonly loop: WorkLoop<LeasedPayment> | WorkLoop<OrderRow[]>;

  constructor(
    private readonly store: Store,
    private readonly o: PaymentWorkerOptions,
    private readonly deps: WorkerDeps = {},
  ) {
    const inTx = o.driver.chargeInTransaction?.bind(o.driver);
    this.loop = inTx
      ? // money in our own database: charge and settle whole batches in one transaction
        new WorkLoop<OrderRow[]>({
          concurrency: 1,
          pollMs: o.pollMs ?? 1000,
          clock: store.clock,
          lease: () => {
            const settled = store.payments.processInTransaction(this.owner, o.batchSize ?? 256, (order, attempt) => this.settleSync(inTx, order, attempt));
            return settled.length ? [settled] : [];
          },
          nextDueAt: () => store.payments.nextDueAt(),
          handle: async (settled) => settled.forEach((s) => this.settled(s, 1)),
          onError: (err) => deps.log?.error({ err }, 'payment worker error'),
        })
      : new WorkLoop<LeasedPayment>({
          concurrency: o.concurrency,
          pollMs: o.pollMs ?? 1000,
          clock: store.clock,
          lease: (max) => store.payments.lease(this.owner, max, o.leaseMs),
          nextDueAt: () => store.payments.nextDueAt(),
          handle: (p) => this.charge(p),
          onError: (err) => deps.log?.error({ err }, 'payment worker error'),
        });
  }

  private settleSync(charge: (r: ChargeRequest) => ChargeResult, order: OrderRow, attempt: number) {
    const t0 = performance.now();
    let r: ChargeResult;
    try {
      r = charge(request(order));
    } catch (err) {
      r = { outcome: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    this.observe(r, t0);
    if (r.outcome === 'succeeded') return { settlement: { status: 'paid' as const } };
    if (r.outcome === 'declined') return { settlement: { status: 'declined' as const, reason: r.reason }, lastError: r.detail };
    if (attempt >= this.o.maxAttempts) return { settlement: { status: 'failed' as const, reason: 'PAYMENT_FAILED' as const }, lastError: r.error };
    return { retryAt: this.store.clock() + backoffMs(attempt, this.o.backoff, this.deps.random), lastError: r.error };
  }

  private observe(r: ChargeResult, t0: number): void {
    const driver = this.o.driver.name;
    this.deps.metrics?.paymentAttempts.inc({ driver, outcome: r.outcome });
    this.deps.metrics?.paymentSeconds.observe({ driver, outcome: r.outcome }, (performance.now() - t0) / 1000);
  }

  private settled(o: OrderRow, attempt: number): void {
    // the audit line of a charge (the MSISDN redacted as configured)
    this.deps.log?.info(
      { orderId: o.id, spId: o.sp_id, status: o.status, reason: o.reason, amount: o.amount, currency: o.currency, msisdn: o.msisdn, driver: this.o.driver.name, attempt },
      'order settled',
    );
    this.deps.onSettled?.(o);
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
    const t0 = performance.now();
    let r: ChargeResult;
    try {
      r = await this.o.driver.charge(request(order));
    } catch (err) {
      r = { outcome: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    this.observe(r, t0);
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
    if (settled) this.settled(settled, p.attempt);
  }
}

function request(order: OrderRow): ChargeRequest {
  return {
    idempotencyKey: order.id,
    msisdn: order.msisdn!,
    amount: order.amount,
    currency: order.currency,
    reference: order.reference,
    description: order.description,
  };
}
