// Webhook delivery: every state change of an order, as a CloudEvents 1.0 JSON
// body signed with the SP's webhook secret, POSTed to the SP's URL; retried
// with bounded backoff until a 2xx or until `retryHours` have passed
// (at-least-once: receivers deduplicate by the event id).
//
// One SP never holds up another: each SP has at most `perSpConcurrency`
// deliveries in flight (of `concurrency` in all), SPs are served in turn, and
// each endpoint has a circuit breaker, so an SP that hangs or fails ties up
// its own slots and a probe now and then, never the other SPs' webhooks.
// Destinations pass the destination policy (destination.ts) at connect time.
// At shutdown, deliveries still in flight are aborted and retried later.
import type { Logger } from 'pino';
import { EVENT_ID_HEADER, signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import type { Metrics } from '../metrics';
import { backoffMs, type BackoffOptions } from '../payments/backoff';
import type { Store } from '../store';
import { commitLazily } from '../store/db';
import { eventView } from '../store/views';
import type { LeasedWebhook } from '../store/webhook-outbox';
import { Breakers, endpointOf, type BreakerOptions } from './breaker';
import { DestinationPolicy, type LookupFn } from './destination';
import { keepAliveAgents, post, PostError } from './post';

export interface WebhookWorkerOptions {
  timeoutMs: number;
  retryHours: number;
  /** deliveries in flight, all SPs together */
  concurrency: number;
  /** deliveries in flight for one SP (default 8) */
  perSpConcurrency?: number;
  backoff: BackoffOptions;
  breaker?: BreakerOptions;
  /** CIDRs webhooks may reach although they are loopback, private, link-local... */
  allowDestinations?: string[];
  pollMs?: number;
  userAgent?: string;
}

export interface WebhookDeps {
  metrics?: Metrics;
  log?: Logger;
  random?: () => number;
  /** how webhook hosts are resolved (default: the system's resolver) */
  lookup?: LookupFn;
}

export const DEFAULT_BREAKER: BreakerOptions = { failures: 5, baseMs: 5000, maxMs: 300_000 };

export class WebhookWorker {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private kicked = false;
  private readonly inflight = new Set<Promise<void>>();
  private readonly perSp = new Map<string, number>();
  private turn = 0;
  private lastExpiry = 0;
  private readonly abort = new AbortController();
  private readonly breakers: Breakers;
  private readonly policy: DestinationPolicy;
  private readonly agents = keepAliveAgents();
  /** outcomes of deliveries, written together in one transaction per turn of the event loop */
  private outcomes: Array<() => void> = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly o: WebhookWorkerOptions,
    private readonly deps: WebhookDeps = {},
  ) {
    this.policy = new DestinationPolicy(o.allowDestinations ?? [], deps.lookup);
    this.breakers = new Breakers(o.breaker ?? DEFAULT_BREAKER, store.clock, (endpoint, event, openMs) => {
      deps.metrics?.webhookEndpointsOpen.set(this.breakers.openCount());
      if (event === 'opened') {
        deps.metrics?.webhookBreakerOpened.inc();
        deps.log?.warn(
          { endpoint: endpoint.replace(/^https?:\/\//, ''), openMs },
          'webhook endpoint failing: circuit open, deliveries to it paused',
        );
      } else
        deps.log?.info(
          { endpoint: endpoint.replace(/^https?:\/\//, '') },
          'webhook endpoint answers again: circuit closed',
        );
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.run();
  }

  /** There may be new work: look now. */
  wake(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  /**
   * Stops taking work; deliveries in flight get most of `timeoutMs` to finish,
   * then are aborted (retried at the next start). True when all finished.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.running = false;
    this.wake();
    await this.loopDone;
    const settle = (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
      return Promise.race([Promise.all([...this.inflight]).then(() => true as const), timeout]).finally(() =>
        clearTimeout(timer),
      );
    };
    let ok = await settle(Math.floor(timeoutMs * 0.6));
    if (!ok) {
      this.abort.abort();
      ok = await settle(Math.floor(timeoutMs * 0.3));
    }
    this.agents.http.destroy();
    this.agents.https.destroy();
    return ok;
  }

  /**
   * Records a delivery's outcome with the others that finished in the same
   * turn of the event loop: one commit for many (a crash before it only means
   * a webhook delivered again: at least once).
   */
  private record(write: () => void): Promise<void> {
    this.outcomes.push(write);
    this.flushing ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        const batch = this.outcomes;
        this.outcomes = [];
        this.flushing = null;
        try {
          // a delivery whose record a power cut loses is delivered again: no fsync needed
          commitLazily(this.store.db, () => batch.forEach((w) => w()));
        } catch (err) {
          // the rows stay leased until their lease ends, then are delivered again
          this.deps.log?.error(
            { err: { message: (err as Error).message }, webhooks: batch.length },
            'webhook outcomes could not be written',
          );
        }
        this.wake();
        resolve();
      }),
    );
    return this.flushing;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let next: number | null = null;
      try {
        next = this.round();
      } catch (err) {
        this.deps.log?.error({ err }, 'webhook worker error');
      }
      if (this.kicked) continue;
      const poll = this.o.pollMs ?? 1000;
      const delay = next === null ? poll : Math.min(poll, Math.max(5, next - this.store.clock()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  /** One scheduling round over the SPs, starting with a different one each time; returns when to look again. */
  private round(): number | null {
    const { store, o } = this;
    const now = store.clock();
    const windowMs = o.retryHours * 3_600_000;
    if (now - this.lastExpiry >= 1000) {
      this.lastExpiry = now;
      const n = store.webhooks.expireBefore(now - windowMs, 500);
      if (n > 0) this.deps.log?.error({ webhooks: n }, 'webhooks abandoned: retry window over');
    }
    const perSp = o.perSpConcurrency ?? 8;
    const leaseMs = o.timeoutMs * 2 + 5000;
    const sps = store.webhooks.sps();
    let next: number | null = this.breakers.nextProbeAt();
    const consider = (t: number | null) => {
      if (t !== null && (next === null || t < next)) next = t;
    };
    const start = sps.length ? this.turn++ % sps.length : 0;
    this.leaseRound(sps, start, now, perSp, leaseMs, consider);
    return next;
  }

  private leaseRound(
    sps: Array<{ id: string; webhookUrl: string | null }>,
    start: number,
    now: number,
    perSp: number,
    leaseMs: number,
    consider: (t: number | null) => void,
  ): void {
    const { store, o } = this;
    for (let i = 0; i < sps.length; i++) {
      const sp = sps[(start + i) % sps.length];
      if (!sp) continue;
      const busy = this.perSp.get(sp.id) ?? 0;
      const endpoint = sp.webhookUrl ? endpointOf(sp.webhookUrl) : null;
      const room = Math.min(
        o.concurrency - this.inflight.size,
        (endpoint ? this.breakers.capacity(endpoint, perSp) : perSp) - busy,
      );
      const due = store.webhooks.nextDueOf(sp.id);
      if (due === null) continue;
      if (room <= 0) {
        // at its limit (it is woken when one finishes), or its circuit is open (nextProbeAt)
        continue;
      }
      if (due > now) {
        consider(due);
        continue;
      }
      if (endpoint && this.breakers.isOpen(endpoint) && !this.breakers.allow(endpoint)) continue;
      const probing = endpoint !== null && this.breakers.isOpen(endpoint);
      const items = store.webhooks.leaseOf(sp.id, probing ? 1 : room, leaseMs);
      if (probing && items.length === 0) this.breakers.release(endpoint);
      for (const w of items) this.track(sp.id, w, endpoint);
      consider(store.webhooks.nextDueOf(sp.id));
    }
  }

  private track(spId: string, w: LeasedWebhook, endpoint: string | null): void {
    this.perSp.set(spId, (this.perSp.get(spId) ?? 0) + 1);
    const p: Promise<void> = this.deliver(w, endpoint)
      .catch((err) => this.deps.log?.error({ err }, 'webhook worker error'))
      .finally(() => {
        this.inflight.delete(p);
        const n = (this.perSp.get(spId) ?? 1) - 1;
        if (n > 0) this.perSp.set(spId, n);
        else this.perSp.delete(spId);
        this.deps.metrics?.webhooksInFlight.set(this.inflight.size);
        this.wake();
      });
    this.inflight.add(p);
    this.deps.metrics?.webhooksInFlight.set(this.inflight.size);
  }

  private async deliver(w: LeasedWebhook, endpoint: string | null): Promise<void> {
    const { store } = this;
    if (w.sp.revoked || !w.sp.webhookUrl) {
      await this.record(() =>
        store.webhooks.markDead(w.id, w.sp.revoked ? 'SP revoked' : 'SP has no webhook URL', false),
      );
      return;
    }
    const body = JSON.stringify(eventView(w.event, w.sp.scopes, store.cursors.encode('events', w.sp.id, w.event.seq)));
    const t = Math.floor(store.clock() / 1000);
    const t0 = performance.now();
    let error: string | null = null;
    let aborted = false;
    try {
      const status = await post(w.sp.webhookUrl, body, {
        timeoutMs: this.o.timeoutMs,
        policy: this.policy,
        signal: this.abort.signal,
        agents: this.agents,
        headers: {
          'content-type': 'application/cloudevents+json',
          [SIGNATURE_HEADER]: signatureHeader(store.sps.webhookSecrets(w.sp.id), t, body),
          [EVENT_ID_HEADER]: w.event.id,
          'user-agent': this.o.userAgent ?? 'gnpay',
        },
      });
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof PostError ? err.message : String((err as Error).message ?? err);
      aborted = err instanceof PostError && err.kind === 'aborted';
    }
    const now = store.clock();
    if (aborted) {
      // shutdown: not the endpoint's fault; delivered again at the next start
      if (endpoint) this.breakers.release(endpoint);
      await this.record(() => store.webhooks.retry(w.id, now, error!));
      return;
    }
    const outcome = error ? 'failed' : 'delivered';
    this.deps.metrics?.webhookAttempts.inc({ outcome });
    this.deps.metrics?.webhookSeconds.observe({ outcome }, (performance.now() - t0) / 1000);
    if (!error) {
      if (endpoint) this.breakers.success(endpoint);
      await this.record(() => store.webhooks.markDelivered(w.id));
      return;
    }
    if (endpoint) this.breakers.failure(endpoint);
    if (now - w.createdAt >= this.o.retryHours * 3_600_000) {
      await this.record(() => store.webhooks.markDead(w.id, error));
      this.deps.log?.error({ spId: w.sp.id, eventId: w.event.id, attempts: w.attempt, error }, 'webhook abandoned');
      return;
    }
    const delay = backoffMs(w.attempt, this.o.backoff, this.deps.random);
    await this.record(() => store.webhooks.retry(w.id, now + delay, error));
    this.deps.log?.warn(
      { spId: w.sp.id, eventId: w.event.id, attempt: w.attempt, error, retryInMs: delay },
      'webhook failed, will retry',
    );
  }
}
