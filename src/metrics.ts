// Prometheus metrics of the payment side (the capture side adds its own to the
// same registry). One registry per daemon, served at /metrics. Names follow
// the Prometheus conventions: counters end in _total, histograms name what
// they time and end in _seconds, gauges never end in _total; the standard
// process and Node.js metrics keep prom-client's unprefixed names so that
// stock dashboards match. docs/metrics.md is generated from these definitions
// (`npm run docs`); a test fails when it is stale.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from './prom';
import { ORDER_STATUSES } from './client/types';
import { SIGHTING_OUTCOMES } from './store/types';

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
  /** rows waiting in the payment and webhook outboxes, and the age of the oldest (read from the database at scrape time) */
  outboxPending: Gauge<'outbox'>;
  outboxOldestAge: Gauge<'outbox'>;
  /**
   * token sightings by carrier, protocol and outcome: associated, consent,
   * ignored, ratelimited, declined, duplicate, conflict, used, expired, cancelled, unknown, unresolved (no
   * subscriber), error (could not be processed)
   */
  sightings: Counter<'carrier' | 'via' | 'outcome'>;
  /** the probe's reports of ClientHellos to the pay host: bound (stored), unresolved (not by TEID: dropped), duplicate, conflict (the same random from two subscribers: bound to neither), ratelimited */
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
  httpRequests: Counter<'listener' | 'method' | 'route' | 'status'>;
  /** connections a listener closed at once because it held its maximum */
  connectionsDropped: Counter<'listener'>;
  httpSeconds: Histogram<'listener' | 'method' | 'route'>;
  /** 1, labelled with the version of gnpay, Node.js and libpcap */
  buildInfo: Gauge<'version' | 'nodejs' | 'libpcap'>;
  /** set by the daemon: counts of orders per status */
  ordersByStatus: (() => Record<string, number>) | null;
  /** set by the daemon: outbox depth and oldest pending row (ms since the epoch, null when empty) */
  outboxes: (() => Record<Outbox, { pending: number; oldestAt: number | null }>) | null;
}

export const OUTBOXES = ['payments', 'webhooks'] as const;
export type Outbox = (typeof OUTBOXES)[number];
export const PAYMENT_OUTCOMES = ['succeeded', 'declined', 'retry', 'unknown'] as const;
export const PAYMENT_STATUS_OUTCOMES = ['succeeded', 'declined', 'absent', 'unknown'] as const;
export const WEBHOOK_OUTCOMES = ['delivered', 'failed'] as const;
export const LISTENERS = ['api', 'ops', 'pay'] as const;
/** vias a carrier kind can be seen by: a host carrier also in DNS queries and TLS SNI */
const VIAS: Record<string, string[]> = { host: ['http', 'dns', 'tls-sni'] };

/** Latency buckets (seconds) of the request and attempt histograms. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(opts: { defaultMetrics?: boolean; version?: string; libpcap?: string } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const latency = LATENCY_BUCKETS;
  const p = 'gnpay_';
  const m: Metrics = {
    registry,
    ordersByStatus: null,
    outboxes: null,
    paymentsDoubt: null,
    buildInfo: new Gauge({
      name: `${p}build_info`,
      help: 'Always 1; the labels say which gnpay, Node.js and libpcap run',
      labelNames: ['version', 'nodejs', 'libpcap'],
      registers,
    }),
    orderTransitions: new Counter({
      name: `${p}order_transitions_total`,
      help: 'Order state changes, by the state entered',
      labelNames: ['to'],
      registers,
    }),
    orders: new Gauge({
      name: `${p}orders`,
      help: 'Orders in each state (counted in the database at scrape time)',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = m.ordersByStatus?.();
        if (!counts) return;
        for (const s of ORDER_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    }),
    outboxPending: new Gauge({
      name: `${p}outbox_pending`,
      help: 'Rows waiting in an outbox (payments: charges not settled; webhooks: deliveries not done), read at scrape time',
      labelNames: ['outbox'],
      registers,
      collect() {
        const o = m.outboxes?.();
        if (!o) return;
        const now = Date.now();
        for (const k of OUTBOXES) {
          this.set({ outbox: k }, o[k].pending);
          m.outboxOldestAge.set({ outbox: k }, o[k].oldestAt === null ? 0 : Math.max(0, (now - o[k].oldestAt) / 1000));
        }
      },
    }),
    outboxOldestAge: new Gauge({
      name: `${p}outbox_oldest_pending_age_seconds`,
      help: 'Age of the oldest row waiting in an outbox (0 when it is empty), read at scrape time',
      labelNames: ['outbox'],
      registers,
    }),
    paymentAttempts: new Counter({
      name: `${p}payment_attempts_total`,
      help: 'Charge attempts, by driver and outcome (succeeded, declined, retry; unknown: in doubt, asked again)',
      labelNames: ['driver', 'outcome'],
      registers,
    }),
    paymentSeconds: new Histogram({
      name: `${p}payment_attempt_duration_seconds`,
      help: 'Time one call to the payment driver took, to its answer: a charge (outcome succeeded, declined, retry, unknown) or a status call about a payment in doubt (outcome status-*)',
      labelNames: ['driver', 'outcome'],
      buckets: latency,
      registers,
    }),
    paymentStatusCalls: new Counter({
      name: `${p}payment_status_calls_total`,
      help: 'Status calls about payments in doubt, by answer',
      labelNames: ['outcome'],
      registers,
    }),
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
      help: 'How long the oldest payment in doubt has been in doubt (0 when none)',
      registers,
      collect() {
        const d = m.paymentsDoubt?.();
        if (d) this.set(d.oldestSince === null ? 0 : Math.max(0, (Date.now() - d.oldestSince) / 1000));
      },
    }),
    webhookAttempts: new Counter({
      name: `${p}webhook_attempts_total`,
      help: 'Webhook delivery attempts, by outcome (delivered, failed)',
      labelNames: ['outcome'],
      registers,
    }),
    webhookSeconds: new Histogram({
      name: `${p}webhook_attempt_duration_seconds`,
      help: "Time one webhook delivery attempt took, from the POST to the SP's answer (or the timeout)",
      labelNames: ['outcome'],
      buckets: latency,
      registers,
    }),
    webhooksInFlight: new Gauge({ name: `${p}webhooks_in_flight`, help: 'Webhook deliveries in flight', registers }),
    webhookEndpointsOpen: new Gauge({
      name: `${p}webhook_endpoints_open`,
      help: 'Webhook endpoints whose circuit breaker is open (deliveries paused)',
      registers,
    }),
    webhookBreakerOpened: new Counter({
      name: `${p}webhook_breaker_opened_total`,
      help: 'Times a webhook endpoint circuit breaker opened',
      registers,
    }),
    sightings: new Counter({
      name: `${p}sightings_total`,
      help: 'Token sightings through the pipeline, by carrier, protocol (via) and outcome (associated, unknown, unresolved: no subscriber, error, ...)',
      labelNames: ['carrier', 'via', 'outcome'],
      registers,
    }),
    hellos: new Counter({
      name: `${p}tls_hellos_total`,
      help: 'ClientHellos to the pay host reported by the probe, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    payPages: new Counter({
      name: `${p}pay_pages_total`,
      help: 'Pay-page responses by page',
      labelNames: ['page'],
      registers,
    }),
    payBindSeconds: new Histogram({
      name: `${p}pay_bind_seconds`,
      help: 'Time a pay-page connection waited for the probe to report its ClientHello',
      labelNames: ['outcome'],
      buckets: latency,
      registers,
    }),
    sightingsSpooled: new Counter({
      name: `${p}sightings_spooled_total`,
      help: 'Sightings kept in the spool while the database could not be written',
      registers,
    }),
    sightingsLost: new Counter({
      name: `${p}sightings_lost_total`,
      help: 'Sightings lost: unprocessable, or the database could not be written and the spool was full',
      registers,
    }),
    spoolPending: new Gauge({
      name: `${p}spool_records`,
      help: 'Batches of sightings waiting in the spool for the database',
      registers,
    }),
    storeWritable: new Gauge({
      name: `${p}db_writable`,
      help: 'Whether the database takes writes (0: disk full or I/O errors; readiness is false)',
      registers,
    }),
    storeWriteFailures: new Counter({
      name: `${p}db_write_failures_total`,
      help: 'Writes the database refused (disk full, I/O errors)',
      registers,
    }),
    batches: new Counter({
      name: `${p}pipeline_batches_total`,
      help: 'Batches of decode events committed to the database',
      registers,
    }),
    sightingsPruned: new Counter({
      name: `${p}sightings_pruned_total`,
      help: 'Sightings that matched no order, deleted after audit.retentionDays',
      registers,
    }),
    dbIntegrityOk: new Gauge({
      name: `${p}db_integrity_ok`,
      help: 'Whether the last PRAGMA quick_check of the database found it sound (1) or damaged (0)',
      registers,
    }),
    dbIntegrityCheckedAt: new Gauge({
      name: `${p}db_integrity_checked_timestamp_seconds`,
      help: 'When the database was last checked with PRAGMA quick_check (Unix time)',
      registers,
    }),
    httpRequests: new Counter({
      name: `${p}http_requests_total`,
      help: 'HTTP requests answered, by listener, method, route and status',
      labelNames: ['listener', 'method', 'route', 'status'],
      registers,
    }),
    connectionsDropped: new Counter({
      name: `${p}http_connections_dropped_total`,
      help: 'Connections closed at once because the listener held its maximum',
      labelNames: ['listener'],
      registers,
    }),
    httpSeconds: new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'Time from a request arriving to its response being sent, by listener, method and route',
      labelNames: ['listener', 'method', 'route'],
      buckets: latency,
      registers,
    }),
  };
  m.buildInfo.set(
    { version: opts.version ?? 'unknown', nodejs: process.versions.node, libpcap: opts.libpcap ?? 'unknown' },
    1,
  );
  // every series with a known, finite label set exists from the start (0), so that rate() and alerts see it
  for (const s of ORDER_STATUSES) m.orderTransitions.inc({ to: s }, 0);
  for (const o of WEBHOOK_OUTCOMES) {
    m.webhookAttempts.inc({ outcome: o }, 0);
    m.webhookSeconds.zero({ outcome: o });
  }
  for (const l of LISTENERS) m.connectionsDropped.inc({ listener: l }, 0);
  for (const o of PAYMENT_STATUS_OUTCOMES) m.paymentStatusCalls.inc({ outcome: o }, 0);
  return m;
}

/** The sighting series of these carriers exist from the start (0). */
export function initSightings(m: Metrics, carriers: readonly string[]): void {
  for (const carrier of carriers) {
    const kind = carrier.slice(0, carrier.indexOf(':'));
    for (const via of VIAS[kind] ?? ['http'])
      for (const outcome of [...SIGHTING_OUTCOMES, 'error']) m.sightings.inc({ carrier, via, outcome }, 0);
  }
}

/** The payment series of this driver exist from the start (0). */
export function initPayments(m: Metrics, driver: string): void {
  for (const outcome of PAYMENT_OUTCOMES) {
    m.paymentAttempts.inc({ driver, outcome }, 0);
    m.paymentSeconds.zero({ driver, outcome });
  }
}
