// Webhook delivery: every state change of an order, as a CloudEvents 1.0 JSON
// body signed with the SP's webhook secret, POSTed to the SP's URL; retried
// with bounded backoff until a 2xx or until `retryHours` have passed
// (at-least-once: receivers deduplicate by the event id).
import type { Logger } from 'pino';
import { EVENT_ID_HEADER, signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import type { Metrics } from '../metrics';
import { backoffMs, type BackoffOptions } from '../payments/backoff';
import { describeFetchError } from '../payments/http';
import { WorkLoop } from '../payments/loop';
import type { Store } from '../store';
import { eventView } from '../store/views';
import type { LeasedWebhook } from '../store/webhook-outbox';

export interface WebhookWorkerOptions {
  timeoutMs: number;
  retryHours: number;
  concurrency: number;
  backoff: BackoffOptions;
  pollMs?: number;
  userAgent?: string;
}

export interface WebhookDeps {
  metrics?: Metrics;
  log?: Logger;
  random?: () => number;
}

export class WebhookWorker {
  private readonly loop: WorkLoop<LeasedWebhook>;

  constructor(
    private readonly store: Store,
    private readonly o: WebhookWorkerOptions,
    private readonly deps: WebhookDeps = {},
  ) {
    this.loop = new WorkLoop({
      concurrency: o.concurrency,
      pollMs: o.pollMs ?? 1000,
      clock: store.clock,
      lease: (max) => store.webhooks.lease(max, o.timeoutMs * 2 + 5000),
      nextDueAt: () => store.webhooks.nextDueAt(),
      handle: (w) => this.deliver(w),
      onError: (err) => deps.log?.error({ err }, 'webhook worker error'),
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

  private async deliver(w: LeasedWebhook): Promise<void> {
    const { store } = this;
    if (w.sp.revoked || !w.sp.webhookUrl) {
      store.webhooks.markDead(w.id, w.sp.revoked ? 'SP revoked' : 'SP has no webhook URL');
      return;
    }
    const body = JSON.stringify(eventView(w.event, w.sp.scopes, store.cursors.encode('events', w.sp.id, w.event.seq)));
    const t = Math.floor(store.clock() / 1000);
    const t0 = performance.now();
    let error: string | null = null;
    try {
      const res = await fetch(w.sp.webhookUrl, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: {
          'content-type': 'application/cloudevents+json',
          [SIGNATURE_HEADER]: signatureHeader(store.sps.webhookSecrets(w.sp.id), t, body),
          [EVENT_ID_HEADER]: w.event.id,
          'user-agent': this.o.userAgent ?? 'gnpay',
        },
      });
      await res.arrayBuffer();
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = describeFetchError(err, this.o.timeoutMs);
    }
    const outcome = error ? 'failed' : 'delivered';
    this.deps.metrics?.webhookAttempts.inc({ outcome });
    this.deps.metrics?.webhookSeconds.observe({ outcome }, (performance.now() - t0) / 1000);
    if (!error) {
      store.webhooks.markDelivered(w.id);
      return;
    }
    const now = store.clock();
    if (now - w.createdAt >= this.o.retryHours * 3_600_000) {
      store.webhooks.markDead(w.id, error);
      this.deps.log?.error({ spId: w.sp.id, eventId: w.event.id, attempts: w.attempt, error }, 'webhook abandoned');
      return;
    }
    const delay = backoffMs(w.attempt, this.o.backoff, this.deps.random);
    store.webhooks.retry(w.id, now + delay, error);
    this.deps.log?.warn({ spId: w.sp.id, eventId: w.event.id, attempt: w.attempt, error, retryInMs: delay }, 'webhook failed, will retry');
  }
}
