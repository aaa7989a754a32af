// Delivery of CAMARA notifications: each CloudEvent in sink_outbox is POSTed
// to the payment's `sink` (application/cloudevents+json, `Authorization:
// Bearer <sinkCredential.accessToken>`, stored sealed like webhook secrets), through the same destination policy
// as webhooks (no loopback, private or metadata addresses unless the operator
// allows them). A 2xx delivers it; a 410 (the sink is gone) or the end of the
// retry window gives up; anything else is retried with backoff.
import type { Logger } from 'pino';
import { backoffMs, type BackoffOptions } from '../payments/backoff';
import { WorkLoop } from '../payments/loop';
import type { Store } from '../store';
import { DestinationPolicy, redactUrl, type LookupFn } from '../webhooks/destination';
import { keepAliveAgents, post } from '../webhooks/post';
import type { SinkDelivery } from './store';

export interface SinkWorkerOptions {
  timeoutMs: number;
  /** attempts before a notification is given up */
  maxAttempts: number;
  backoff: BackoffOptions;
  allowDestinations?: string[];
  concurrency?: number;
  pollMs?: number;
  userAgent?: string;
  lookup?: LookupFn;
}

export class SinkWorker {
  private readonly loop: WorkLoop<SinkDelivery>;
  private readonly policy: DestinationPolicy;
  private readonly agents = keepAliveAgents();
  private readonly abort = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly o: SinkWorkerOptions,
    private readonly log?: Logger,
  ) {
    this.policy = new DestinationPolicy(o.allowDestinations ?? [], o.lookup);
    this.loop = new WorkLoop<SinkDelivery>({
      concurrency: o.concurrency ?? 8,
      pollMs: o.pollMs ?? 1000,
      clock: store.clock,
      lease: (max) => store.camara.leaseNotifications(max, o.timeoutMs * 2 + 5000),
      nextDueAt: () => store.camara.nextNotificationAt(),
      handle: (d) => this.deliver(d),
      onError: (err) => log?.error({ err }, 'CAMARA sink worker error'),
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  async stop(timeoutMs = 5000): Promise<void> {
    await this.loop.stop(timeoutMs, () => this.abort.abort());
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async deliver(d: SinkDelivery): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/cloudevents+json',
      'user-agent': this.o.userAgent ?? 'gnpay',
      'x-correlator': (JSON.parse(d.body) as { id: string }).id,
    };
    let error: string;
    let gone = false;
    try {
      // sealed at rest; a token this key cannot open fails the attempt (retried, then given up)
      if (d.token) headers.authorization = `Bearer ${this.store.secrets.open(d.token)}`;
      const status = await post(d.sink, d.body, {
        headers,
        timeoutMs: this.o.timeoutMs,
        policy: this.policy,
        signal: this.abort.signal,
        agents: this.agents,
      });
      if (status >= 200 && status < 300) {
        this.store.camara.notificationDone(d.id);
        return;
      }
      error = `HTTP ${status}`;
      gone = status === 410;
    } catch (err) {
      error = (err as Error).message;
    }
    const attempt = d.attempts + 1;
    if (gone || attempt >= this.o.maxAttempts) {
      this.log?.warn(
        { orderId: d.order_id, spId: d.sp_id, sink: redactUrl(d.sink), error, attempts: attempt },
        'CAMARA notification given up',
      );
      this.store.camara.notificationDone(d.id, `given up: ${error}`);
      return;
    }
    this.store.camara.notificationRetry(d.id, this.store.clock() + backoffMs(attempt, this.o.backoff), error);
  }
}
