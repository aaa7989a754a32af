// prom-client's metric classes, each from its own module: the package's index
// also loads the Pushgateway, the cluster aggregator and the default
// collectors (and with them @opentelemetry/api), about 30 ms of a daemon's
// start that a daemon serving no /metrics never uses. The default collectors
// are loaded when they are asked for. test/ops/prometheus.test.ts checks that
// these are the index's own classes.
import type * as Prom from 'prom-client';

export const Registry = require('prom-client/lib/registry') as typeof Prom.Registry;
export type Registry = Prom.Registry;
export const Counter = require('prom-client/lib/counter') as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = require('prom-client/lib/gauge') as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram = require('prom-client/lib/histogram') as typeof Prom.Histogram;
export type Histogram<T extends string = string> = Prom.Histogram<T>;

/** prom-client's collectDefaultMetrics (process and Node.js metrics), loaded on the first call. */
export function collectDefaultMetrics(
  config?: Prom.DefaultMetricsCollectorConfiguration<Prom.RegistryContentType>,
): void {
  (require('prom-client/lib/defaultMetrics') as typeof Prom.collectDefaultMetrics)(config);
}
