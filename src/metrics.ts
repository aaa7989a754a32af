// Prometheus metrics of the payment side (the capture side adds its own to the
// same registry). One registry per daemon, served at /metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ORDER_STATUSES } from './client/types';

export interface Metrics {
  registry: Registry;
  /** state changes of orders, by the state entered */
  orderTransitions: Counter<'to'>;
  /** orders currently in each state (read from the database at scrape time) */
  orders: Gauge<'status'>;
  paymentAttempts: Counter<'driver' | 'outcome'>;
  paymentSeconds: Histogram<'driver' | 'outcome'>;
  /** status calls about payments in doubt, by answer */
  paymentStatusCalls: Counter<'outcome'>;
  /** payments whose outcome is unknown (never declared failed; alert when not 0 for long) */
  paymentsInDoubt: Gauge<never>;
  /** age of the oldest payment in doubt (seconds; 0 when none) */
  paymentsInDoubtOldest: Gauge<never>;
  /** set by the daemon: the payments in doubt, read at scrape time */
  paymentsDoubt: (() => { count: number; oldestSince: number | null }) | null;
  webhookAttempts: Counter<'outcome'>;
  webhookSeconds: Histogram<'outcome'>;
  /** webhook deliveries in flight */
  webhooksInFlight: Gauge<never>;
  /** webhook endpoints whose circuit is open (deliveries paused, probed now and then) */
  webhookEndpointsOpen: Gauge<never>;
  webhookBreakerOpened: Counter<never>;
  /** sightings by outcome: associated, consent, ignored, ratelimited, declined, duplicate, conflict, used, expired, cancelled, unknown, unresolved (error: could not be processed) */
  sightings: Counter<'outcome'>;
  /** the probe's reports of ClientHellos to the pay host: bound (stored), unresolved (not by TEID: dropped), duplicate, ratelimited */
  hellos: Counter<'outcome'>;
  /** pay-page requests by page (page, confirm, cancel, unbound, notfound, rejected) */
  payPages: Counter<'page'>;
  /** time a pay-page connection waited for its binding */
  payBindSeconds: Histogram<'outcome'>;
  /** sightings kept in the spool while the database could not be written (live capture) */
  sightingsSpooled: Counter<never>;
  /** sightings lost: skipped as unprocessable, or the database could not be written and the spool was full */
  sightingsLost: Counter<never>;
  /** sightings waiting in the spool */
  spoolPending: Gauge<never>;
  /** 1 while the database takes writes, 0 while it does not (disk full, I/O errors): not ready then */
  storeWritable: Gauge<never>;
  storeWriteFailures: Counter<never>;
  /** batches of decode events committed by the pipeline */
  batches: Counter<never>;
  /** sightings that matched no order, deleted after audit.retentionDays */
  sightingsPruned: Counter<never>;
  /** 1 when the last PRAGMA quick_check of the database found nothing, 0 when it found damage */
  dbIntegrityOk: Gauge<never>;
  /** when the database was last checked (Unix seconds) */
  dbIntegrityCheckedAt: Gauge<never>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  /** connections a listener closed at once because it held its maximum */
  connectionsDropped: Counter<'listener'>;
  httpSeconds: Histogram<'method' | 'route'>;
  /** set by the daemon: counts of orders per status */
  ordersByStatus: (() => Record<string, number>) | null;
}

export function createMetrics(opts: { defaultMetrics?: boolean; prefix?: string } = {}): Metrics {
  const registry = new Registry();
  const p = opts.prefix ?? 'gnpay_';
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  const latency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  const m: Metrics = {
    registry,
    ordersByStatus: null,
    paymentsDoubt: null,
    orderTransitions: new Counter({ name: `${p}order_transitions_total`, help: 'Order state changes by the state entered', labelNames: ['to'], registers }),
    orders: new Gauge({
      name: `${p}orders`,
      help: 'Orders in each state',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = m.ordersByStatus?.();
        if (!counts) return;
        for (const s of ORDER_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    }),
    paymentAttempts: new Counter({ name: `${p}payment_attempts_total`, help: 'Charge attempts by driver and outcome', labelNames: ['driver', 'outcome'], registers }),
    paymentSeconds: new Histogram({ name: `${p}payment_seconds`, help: 'Charge attempt latency', labelNames: ['driver', 'outcome'], buckets: latency, registers }),
    paymentStatusCalls: new Counter({ name: `${p}payment_status_calls_total`, help: 'Status calls about payments in doubt, by answer', labelNames: ['outcome'], registers }),
    paymentsInDoubt: new Gauge({
      name: `${p}payments_in_doubt`,
      help: 'Payments whose outcome is unknown: never declared failed, asked again until a definite answer (gnpay payments doubt)',
      registers,
      collect() {
        const d = m.paymentsDoubt?.();
        if (d) this.set(d.count);
      },
    }),
    paymentsInDoubtOldest: new Gauge({
      name: `${p}payments_in_doubt_oldest_seconds`,
      help: 'How long the oldest payment in doubt has been in doubt',
      registers,
      collect() {
        const d = m.paymentsDoubt?.();
        if (d) this.set(d.oldestSince === null ? 0 : Math.max(0, (Date.now() - d.oldestSince) / 1000));
      },
    }),
    webhookAttempts: new Counter({ name: `${p}webhook_attempts_total`, help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers }),
    webhookSeconds: new Histogram({ name: `${p}webhook_seconds`, help: 'Webhook delivery latency', labelNames: ['outcome'], buckets: latency, registers }),
    webhooksInFlight: new Gauge({ name: `${p}webhooks_in_flight`, help: 'Webhook deliveries in flight', registers }),
    webhookEndpointsOpen: new Gauge({ name: `${p}webhook_endpoints_open`, help: 'Webhook endpoints whose circuit breaker is open (deliveries paused)', registers }),
    webhookBreakerOpened: new Counter({ name: `${p}webhook_breaker_opened_total`, help: 'Times a webhook endpoint circuit breaker opened', registers }),
    sightings: new Counter({ name: `${p}sightings_total`, help: 'Token sightings by outcome', labelNames: ['outcome'], registers }),
    hellos: new Counter({ name: `${p}tls_hellos_total`, help: 'ClientHellos to the pay host reported by the probe, by outcome', labelNames: ['outcome'], registers }),
    payPages: new Counter({ name: `${p}pay_pages_total`, help: 'Pay-page responses by page', labelNames: ['page'], registers }),
    payBindSeconds: new Histogram({ name: `${p}pay_bind_seconds`, help: 'Time a pay-page connection waited for the probe to report its ClientHello', labelNames: ['outcome'], buckets: latency, registers }),
    sightingsSpooled: new Counter({ name: `${p}sightings_spooled_total`, help: 'Sightings kept in the spool while the database could not be written', registers }),
    sightingsLost: new Counter({ name: `${p}sightings_lost_total`, help: 'Sightings lost: unprocessable, or the database could not be written and the spool was full', registers }),
    spoolPending: new Gauge({ name: `${p}spool_records`, help: 'Batches of sightings waiting in the spool for the database', registers }),
    storeWritable: new Gauge({ name: `${p}db_writable`, help: 'Whether the database takes writes (0: disk full or I/O errors; readiness is false)', registers }),
    storeWriteFailures: new Counter({ name: `${p}db_write_failures_total`, help: 'Writes the database refused (disk full, I/O errors)', registers }),
    batches: new Counter({ name: `${p}pipeline_batches_total`, help: 'Batches of decode events committed', registers }),
    sightingsPruned: new Counter({ name: `${p}sightings_pruned_total`, help: 'Sightings that matched no order, deleted after audit.retentionDays', registers }),
    dbIntegrityOk: new Gauge({ name: `${p}db_integrity_ok`, help: 'Whether the last PRAGMA quick_check of the database found it sound (1) or damaged (0)', registers }),
    dbIntegrityCheckedAt: new Gauge({ name: `${p}db_integrity_checked_timestamp_seconds`, help: 'When the database was last checked with PRAGMA quick_check', registers }),
    httpRequests: new Counter({ name: `${p}http_requests_total`, help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers }),
    connectionsDropped: new Counter({ name: `${p}http_connections_dropped_total`, help: 'Connections closed at once because the listener held its maximum', labelNames: ['listener'], registers }),
    httpSeconds: new Histogram({ name: `${p}http_request_seconds`, help: 'API request latency', labelNames: ['method', 'route'], buckets: latency, registers }),
  };
  return m;
}
