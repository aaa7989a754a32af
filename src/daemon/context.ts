// What every daemon service is given: the database, the metrics, the log, and
// the running configuration (a getter: SIGHUP replaces it).
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { Store } from '../store';

export interface DaemonContext {
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** the running configuration (replaced on reload) */
  config(): Config;
  /** true once the daemon began to stop */
  stopping(): boolean;
}
