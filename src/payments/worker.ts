// The payment worker: charges leased orders through the driver, exactly once
// per order (idempotency key = order id, outcome settled with the outbox row
// in one transaction), retrying with bounded backoff.
//
// Only a definite answer is final. An attempt that may have charged (timeout,
// reset, 5xx, an answer that cannot be read, a process killed or stopped during
// it) puts the order in doubt: it stays unsettled (its order keeps its state),
// is retried with the same key (the platform answers a repeat with the first
// outcome) or, when the driver can ask, resolved by a status call, for as long
// as it takes. `failed` (PAYMENT_FAILED) is reserved for an order none of whose
// `maxAttempts` attempts can have charged (the platform could not be reached).
// Orders in doubt are counted (gnpay_payments_in_doubt), logged and listed by
// `gnpay payments doubt`. Sandbox orders (of a test SP) are settled as their
// simulation says, without a call to the driver.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import type { LeasedPayment } from '../store/payment-outbox';
import type { OrderRow } from '../store/types';
import { backoffMs, type BackoffOptions } from './backoff';
import { WorkLoop } from './loop';
import type { LeasedRefund } from '../store/refunds';
import { sandboxAnswer } from '../store/sandbox';
import type { ChargeRequest, ChargeResult, PaymentDriver, RefundRequest, StatusResult } from './types';

export interface PaymentWorkerOptions {
  driver: PaymentDriver;
  concurrency: number;
  /** attempts, none of which can have charged, before the order ends `failed` */
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
  private readonly abort = new AbortController();
  /** refunds, with the same driver and rules (null when the driver takes no refunds) */
  private readonly refunds: WorkLoop<LeasedRefund> | null;

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
            const settled = store.payments.processInTransaction(
              this.owner,
              o.batchSize ?? 256,
              (order, attempt, doubtSince) => this.settleSync(inTx, order, attempt, doubtSince),
            );
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
    this.refunds = o.driver.refund
      ? new WorkLoop<LeasedRefund>({
          concurrency: inTx ? 1 : o.concurrency,
          pollMs: o.pollMs ?? 1000,
          clock: store.clock,
          lease: (max) => store.refunds.lease(this.owner, max, o.leaseMs),
          nextDueAt: () => store.refunds.nextDueAt(),
          handle: (r) => this.refund(r),
          onError: (err) => deps.log?.error({ err }, 'refund worker error'),
        })
      : null;
  }

  /** Whether the driver gives money back. */
  get refundsSupported(): boolean {
    return this.refunds !== null;
  }

  private async refund(p: LeasedRefund): Promise<void> {
    const { refund, order } = p;
    const req: RefundRequest = {
      idempotencyKey: refund.id,
      orderId: order.id,
      msisdn: order.msisdn!,
      amount: refund.amount,
      currency: refund.currency,
      reason: refund.reason,
    };
    const t0 = performance.now();
    let r: ChargeResult;
    try {
      // a sandbox order's refund never reaches the platform
      r = order.sandbox !== null ? { outcome: 'succeeded' } : await this.o.driver.refund!(req, this.abort.signal);
    } catch (err) {
      r = { outcome: 'unknown', error: err instanceof Error ? err.message : String(err) };
    }
    r = unlessUnderWay(r, p.doubtSince !== null);
    this.deps.metrics?.paymentSeconds.observe(
      { driver: this.o.driver.name, outcome: `refund-${r.outcome}` },
      (performance.now() - t0) / 1000,
    );
    const log = {
      refundId: refund.id,
      orderId: order.id,
      amount: refund.amount,
      currency: refund.currency,
      attempt: p.attempt,
    };
    const lost = () =>
      this.deps.log?.[r.outcome === 'succeeded' ? 'error' : 'warn'](
        { ...log, outcome: r.outcome },
        'refund outcome not recorded: this attempt no longer holds the refund (its lease ran out and the attempt that took it asks the platform under the same key)',
      );
    if (r.outcome === 'succeeded') {
      const o = this.store.refunds.settle(refund.id, this.owner, { status: 'succeeded' }, null, p.attempt);
      if (!o) return void lost();
      this.deps.log?.info({ ...log, status: o.status }, 'refund done');
      this.deps.onSettled?.(o);
    } else if (r.outcome === 'declined') {
      const o = this.store.refunds.settle(
        refund.id,
        this.owner,
        { status: 'failed', failure: r.detail ?? r.reason },
        r.detail ?? null,
        p.attempt,
      );
      if (!o) return void lost();
      this.deps.log?.warn({ ...log, reason: r.reason }, 'refund declined by the platform');
    } else if (r.outcome === 'retry' && p.attempt >= this.o.maxAttempts && p.doubtSince === null) {
      const o = this.store.refunds.settle(
        refund.id,
        this.owner,
        { status: 'failed', failure: 'the payment platform could not be reached' },
        r.error,
        p.attempt,
      );
      if (!o) return void lost();
      this.deps.log?.warn({ ...log, error: r.error }, 'refund failed');
    } else {
      const unknown = r.outcome === 'unknown';
      const delay = backoffMs(p.attempt, this.o.backoff, this.deps.random);
      if (!this.store.refunds.retry(refund.id, this.owner, this.store.clock() + delay, r.error, unknown, p.attempt))
        return void lost();
      this.deps.log?.warn(
        { ...log, error: r.error, retryInMs: delay, inDoubt: unknown || p.doubtSince !== null },
        'refund not done, will retry with the same key',
      );
    }
  }

  private settleSync(
    charge: (r: ChargeRequest) => ChargeResult,
    order: OrderRow,
    attempt: number,
    doubtSince: number | null,
  ) {
    const t0 = performance.now();
    let r: ChargeResult;
    if (order.sandbox !== null) {
      const a = sandboxAnswer(order);
      return a.outcome === 'succeeded'
        ? { settlement: { status: 'paid' as const } }
        : { settlement: { status: 'declined' as const, reason: a.reason }, lastError: a.detail };
    }
    try {
      r = charge(request(order));
    } catch (err) {
      // in the caller's transaction: what threw was rolled back with its savepoint
      r = { outcome: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    this.observe(r.outcome, t0);
    if (r.outcome === 'succeeded') return { settlement: { status: 'paid' as const } };
    if (r.outcome === 'declined')
      return { settlement: { status: 'declined' as const, reason: r.reason }, lastError: r.detail };
    if (r.outcome === 'retry' && attempt >= this.o.maxAttempts && doubtSince === null)
      return { settlement: { status: 'failed' as const, reason: 'PAYMENT_FAILED' as const }, lastError: r.error };
    return { retryAt: this.store.clock() + backoffMs(attempt, this.o.backoff, this.deps.random), lastError: r.error };
  }

  private observe(outcome: string, t0: number): void {
    const driver = this.o.driver.name;
    this.deps.metrics?.paymentAttempts.inc({ driver, outcome });
    this.deps.metrics?.paymentSeconds.observe({ driver, outcome }, (performance.now() - t0) / 1000);
  }

  private settled(o: OrderRow, attempt: number): void {
    // the audit line of a charge (the MSISDN redacted as configured)
    this.deps.log?.info(
      {
        orderId: o.id,
        spId: o.sp_id,
        status: o.status,
        reason: o.reason,
        amount: o.amount,
        currency: o.currency,
        msisdn: o.msisdn,
        driver: this.o.driver.name,
        attempt,
      },
      'order settled',
    );
    this.deps.onSettled?.(o);
  }

  start(): void {
    this.loop.start();
    this.refunds?.start();
  }

  wake(): void {
    this.loop.wake();
    this.refunds?.wake();
  }

  /** Stops; charges still in flight late in `timeoutMs` are aborted (their orders are then in doubt, resolved at the next start). */
  async stop(timeoutMs: number): Promise<boolean> {
    const [a, b] = await Promise.all([
      this.loop.stop(timeoutMs, () => this.abort.abort()),
      this.refunds?.stop(timeoutMs, () => this.abort.abort()) ?? true,
    ]);
    return a && b;
  }

  /**
   * An attempt's outcome that could not be recorded: its lease ran out and the
   * payment was leased again (that attempt is in doubt and asks the platform
   * with the same key), or it was settled by an operator meanwhile.
   */
  private leaseLost(orderId: string, attempt: number, outcome: string): void {
    this.deps.log?.[outcome === 'succeeded' ? 'error' : 'warn'](
      { orderId, attempt, outcome },
      'charge outcome not recorded: this attempt no longer holds the payment (its lease ran out and the attempt that took it asks the platform under the same key, or an operator settled it: check that against this outcome)',
    );
  }

  private async ask(req: ChargeRequest): Promise<StatusResult> {
    const t0 = performance.now();
    let s: StatusResult;
    try {
      s = await this.o.driver.status!(req, this.abort.signal);
    } catch (err) {
      s = { outcome: 'unknown', error: err instanceof Error ? err.message : String(err) };
    }
    this.deps.metrics?.paymentStatusCalls.inc({ outcome: s.outcome });
    this.deps.metrics?.paymentSeconds.observe(
      { driver: this.o.driver.name, outcome: `status-${s.outcome}` },
      (performance.now() - t0) / 1000,
    );
    return s;
  }

  private async charge(p: LeasedPayment): Promise<void> {
    const { order } = p;
    const req = request(order);
    let r: ChargeResult | StatusResult | null = null;
    // in doubt: ask the platform first when it can say; "absent" means the key holds no charge: send it (again)
    if (order.sandbox === null && p.doubtSince !== null && this.o.driver.status) {
      const s = await this.ask(req);
      if (s.outcome !== 'absent') r = s;
    }
    // a sandbox order is settled as the simulation said, without a call to the platform
    if (order.sandbox !== null) r = sandboxAnswer(order);
    if (r === null) {
      const t0 = performance.now();
      try {
        r = await this.o.driver.charge(req, this.abort.signal);
      } catch (err) {
        // a driver that throws may have sent the request first
        r = { outcome: 'unknown', error: err instanceof Error ? err.message : String(err) };
      }
      r = unlessUnderWay(r, p.doubtSince !== null);
      this.observe(r.outcome, t0);
    }
    let settled: OrderRow | null = null;
    if (r.outcome === 'succeeded') {
      settled = this.store.payments.settle(order.id, this.owner, { status: 'paid' }, null, p.attempt);
    } else if (r.outcome === 'declined') {
      settled = this.store.payments.settle(
        order.id,
        this.owner,
        { status: 'declined', reason: r.reason },
        r.detail ?? null,
        p.attempt,
      );
    } else if (r.outcome === 'retry' && p.attempt >= this.o.maxAttempts && p.doubtSince === null) {
      // no attempt can have charged: a definite failure
      settled = this.store.payments.settle(
        order.id,
        this.owner,
        { status: 'failed', reason: 'PAYMENT_FAILED' },
        r.error,
        p.attempt,
      );
    } else {
      const unknown = r.outcome === 'unknown';
      const inDoubt = unknown || p.doubtSince !== null;
      const delay = backoffMs(p.attempt, this.o.backoff, this.deps.random);
      if (!this.store.payments.retry(order.id, this.owner, this.store.clock() + delay, r.error, unknown, p.attempt)) {
        this.leaseLost(order.id, p.attempt, r.outcome);
        return;
      }
      const log = { orderId: order.id, attempt: p.attempt, error: r.error, retryInMs: delay, inDoubt };
      if (inDoubt && p.attempt === this.o.maxAttempts) {
        this.deps.log?.error(
          log,
          'charge outcome still unknown: the order stays in doubt, asked again until a definite answer (gnpay payments doubt)',
        );
      } else this.deps.log?.warn(log, inDoubt ? 'charge outcome unknown, will ask again' : 'charge failed, will retry');
      return;
    }
    if (!settled) {
      this.leaseLost(order.id, p.attempt, r.outcome);
      return;
    }
    if (p.doubtSince !== null)
      this.deps.log?.info(
        { orderId: order.id, status: settled.status, attempt: p.attempt, doubtMs: this.store.clock() - p.doubtSince },
        'payment in doubt resolved',
      );
    this.settled(settled, p.attempt);
  }
}

/**
 * The answer to a request sent again with the same key while an earlier
 * request's outcome is unknown (`mayBeUnderWay`): a refusal because the key is
 * held by another request (HTTP 409) says that earlier one may still be under
 * way, and may charge: the outcome is still unknown. Any other answer is the
 * key's outcome (the platform answers a repeat with the first outcome).
 */
function unlessUnderWay(r: ChargeResult, mayBeUnderWay: boolean): ChargeResult {
  if (!mayBeUnderWay || r.outcome !== 'declined' || !r.keyHeld) return r;
  return {
    outcome: 'unknown',
    error: `${r.detail ?? 'HTTP 409'}: the key is held by an earlier request, still under way`,
  };
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
