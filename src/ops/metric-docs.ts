// docs/metrics.md, generated from the metric definitions themselves (the
// registry the daemon builds): name, type, labels and help of every metric.
// `npm run docs` rewrites it; test/ops/docs.test.ts fails when it is stale.
import { CaptureMetrics } from '../capture/metrics';
import { createMetrics, LISTENERS, OUTBOXES, PAYMENT_OUTCOMES, WEBHOOK_OUTCOMES } from '../metrics';
import { ORDER_STATUSES } from '../client/types';
import { SIGHTING_OUTCOMES } from '../store/types';

export interface MetricDoc {
  name: string;
  type: string;
  help: string;
  labels: string[];
}

/** Every metric the daemon registers, in registration order. */
export function metricCatalogue(): MetricDoc[] {
  const m = createMetrics({ defaultMetrics: true });
  new CaptureMetrics(m.registry);
  return m.registry.getMetricsAsArray().map((x) => {
    const any = x as unknown as { name: string; help: string; type: string; labelNames?: string[] };
    return { name: any.name, type: String(any.type), help: any.help, labels: [...(any.labelNames ?? [])] };
  });
}

/** Values of the labels with a fixed set (the others: as seen). */
const LABEL_VALUES: Record<string, string> = {
  'gnpay_order_transitions_total/to': ORDER_STATUSES.join(', '),
  'gnpay_orders/status': ORDER_STATUSES.join(', '),
  'gnpay_outbox_pending/outbox': OUTBOXES.join(', '),
  'gnpay_outbox_oldest_pending_age_seconds/outbox': OUTBOXES.join(', '),
  'gnpay_payment_attempts_total/outcome': PAYMENT_OUTCOMES.join(', '),
  'gnpay_payment_attempt_duration_seconds/outcome': PAYMENT_OUTCOMES.join(', '),
  'gnpay_webhook_attempts_total/outcome': WEBHOOK_OUTCOMES.join(', '),
  'gnpay_webhook_attempt_duration_seconds/outcome': WEBHOOK_OUTCOMES.join(', '),
  'gnpay_sightings_total/outcome': [...SIGHTING_OUTCOMES, 'error'].join(', '),
  'gnpay_sightings_total/via': 'http, dns, tls-sni',
  'gnpay_http_requests_total/listener': LISTENERS.join(', '),
  'gnpay_http_request_duration_seconds/listener': LISTENERS.join(', '),
  'gnpay_http_connections_dropped_total/listener': LISTENERS.join(', '),
  'gnpay_capture_dropped_packets_total/where': 'kernel, interface',
  'gnpay_gpdus_total/resolution': 'teid, ue_ip, unresolved, downlink',
  'gnpay_session_events_total/event': 'created, updated, deleted, evicted',
  'gnpay_decode_anomalies_total/kind': 'truncated, malformed, unsupported, evicted',
  'gnpay_gtpc_messages_total/version': 'v1, v2',
  'gnpay_gtpc_responses_total/version': 'v1, v2',
};

export function renderMetricDocs(): string {
  const all = metricCatalogue();
  const ours = all.filter((m) => m.name.startsWith('gnpay_'));
  const std = all.filter((m) => !m.name.startsWith('gnpay_'));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '# Metrics',
    '',
    '<!-- Generated from src/metrics.ts and src/capture/metrics.ts by `npm run docs`; test/ops/docs.test.ts fails when it is stale. -->',
    '',
    "Served at `/metrics` on the operations listener (`opsListen`). Counters end in `_total`, histograms",
    'in `_seconds` and say what they time, gauges never end in `_total`. Every series whose labels come',
    'from a fixed set (below) exists from the start with 0; series labelled by what the traffic holds',
    '(GTP message types, causes, HTTP statuses) appear with their first occurrence.',
    '`gnpay_checkpoint_last_success_timestamp_seconds` has no sample until the first checkpoint.',
    'Alerts and recording rules: [ops/prometheus/gnpay-rules.yml](../ops/prometheus/gnpay-rules.yml);',
    'dashboard: [ops/grafana/dashboards/gnpay.json](../ops/grafana/dashboards/gnpay.json).',
    '',
    '| metric | type | labels | what it is |',
    '| --- | --- | --- | --- |',
    ...ours.map((m) => {
      const labels = m.labels.map((l) => (LABEL_VALUES[`${m.name}/${l}`] ? `\`${l}\` (${LABEL_VALUES[`${m.name}/${l}`]})` : `\`${l}\``)).join(', ');
      return `| \`${m.name}\` | ${m.type} | ${labels || '-'} | ${esc(m.help)} |`;
    }),
    '',
    '## Standard process and Node.js metrics',
    '',
    "prom-client's defaults, under their usual names (no `gnpay_` prefix) so that stock Node.js dashboards",
    'work: ' + std.map((m) => `\`${m.name}\``).join(', ') + '.',
    '',
  ];
  return lines.join('\n');
}
