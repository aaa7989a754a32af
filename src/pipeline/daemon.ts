// The daemon: source -> decode -> associate -> charge -> notify, and the SP
// API, over one database. Started by `gnpay run` (and `gnpay demo`). This file
// wires the services of src/daemon/ and owns the start, stop and exit policy.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { EXIT_FAILURE, EXIT_OK } from '../cli/common'; // the process's exit codes: one table
import { payHosts, storeOptions, type Config, type ConfigInput } from '../config';
import { CaptureService, type EventSource, type SourceFactory } from '../daemon/capture';
import type { DaemonContext } from '../daemon/context';
import { finalCode, sourceFailureCode } from '../daemon/exit-codes';
import { Housekeeping } from '../daemon/housekeeping';
import { Listeners } from '../daemon/listeners';
import type { OpenedReplay } from '../daemon/replay-source';
import { Outbox } from '../daemon/outbox';
import { reloadConfig } from '../daemon/reload';
import { installSignals } from '../daemon/signals';
import { StoreHealth } from '../daemon/store-health';
import { createLogger } from '../log';
import { createMetrics, initSightings, type Metrics } from '../metrics';
import type { LiveInterfaceStats } from '../native';
import { SystemdNotifier } from '../ops/sd-notify';
import { Store } from '../store';
import { lockDatabase, type DbLock } from '../store/lock';
import { activeCarriers } from './carriers';
import { emptyStats, type PipelineDeps, type PipelineStats } from './pipeline';

export type { EventSource, SourceFactory };

export interface DaemonOptions {
  config: Config;
  /** the file and flags the config came from (reloaded on SIGHUP) */
  configFile?: string | null;
  flags?: ConfigInput;
  /** capture files to replay through the pipeline */
  read?: string[];
  /** those files, already opened and decoding (src/daemon/replay-source.ts: the CLI opens them before it loads the daemon) */
  replay?: OpenedReplay;
  /** after the replay: exit once every association is charged and notified */
  exitWhenDone?: boolean;
  openSource?: SourceFactory;
  logger?: Logger;
  /** install SIGTERM / SIGINT / SIGHUP handlers (the CLI does) */
  signals?: boolean;
  clock?: () => number;
  version?: string;
}

/** libpcap's version for gnpay_build_info ("unknown" when the addon cannot load). */
function libpcapVersion(): string {
  try {
    return (require('../native') as typeof import('../native')).libpcapVersion();
  } catch {
    return 'unknown';
  }
}

export class Daemon {
  readonly store: Store;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly done: Promise<number>;
  readonly pipeline: PipelineStats = emptyStats();
  config: Config;
  private readonly ctx: DaemonContext;
  private readonly notifier: SystemdNotifier;
  private readonly health: StoreHealth;
  private readonly housekeeping: Housekeeping;
  private readonly capture: CaptureService;
  private readonly listeners = new Listeners();
  private outbox: Outbox | null = null;
  /** the API accepts requests (false while starting and draining) */
  private ready = false;
  private stopping: Promise<number> | null = null;
  private resolveDone!: (code: number) => void;
  private uninstallSignals: (() => void) | null = null;

  private constructor(
    private readonly o: DaemonOptions,
    private readonly lock: DbLock,
  ) {
    this.config = o.config;
    this.log = o.logger ?? createLogger({ ...o.config.log });
    this.done = new Promise((r) => (this.resolveDone = r));
    // a damaged file is refused here (DatabaseDamagedError), before anything is served from it
    this.store = Store.open(o.config.db!, { clock: o.clock, quickCheck: true, ...storeOptions(o.config) });
    // prom-client's process and Node.js collectors only where /metrics is served (neither key is reloaded)
    const served = o.config.opsListen !== null || o.config.api.metrics;
    this.metrics = createMetrics({ defaultMetrics: served, version: o.version, libpcap: libpcapVersion() });
    this.ctx = {
      store: this.store,
      metrics: this.metrics,
      log: this.log,
      config: () => this.config,
      stopping: () => this.stopping !== null,
    };
    this.notifier = new SystemdNotifier({ onError: (err) => this.log.warn({ err }, 'cannot notify systemd') });
    this.health = new StoreHealth(this.ctx, (id) => this.pipelineDeps(id), this.pipeline);
    this.housekeeping = new Housekeeping(this.ctx, () => {
      this.ready = false;
      void this.shutdown('database damaged', EXIT_FAILURE);
    });
    this.capture = new CaptureService({
      ctx: this.ctx,
      health: this.health,
      stats: this.pipeline,
      pipelineDeps: (id) => this.pipelineDeps(id),
      onOpen: (what) => this.notifier.status(`serving ${this.url}, capturing ${what}`),
      onAllLost: (why) => void this.captureFailed(why, EXIT_FAILURE),
      openSource: o.openSource,
    });
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    if (!o.config.db) throw new Error('config: db is required (--db FILE)');
    if ((o.read?.length ?? 0) > 0 && o.config.capture.interfaces.length > 0)
      throw new Error('--read and live capture interfaces cannot be combined');
    const lock = lockDatabase(o.config.db);
    let d: Daemon;
    try {
      d = new Daemon(o, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
    try {
      await d.init();
    } catch (err) {
      d.log.fatal({ err }, 'start failed');
      await d.shutdown('start failed', EXIT_FAILURE);
      throw err;
    }
    return d;
  }

  /** the SP API's URL */
  get url(): string {
    return this.listeners.url('sp') ?? '';
  }
  /** the operations listener's URL when opsListen is set */
  get opsUrl(): string | null {
    return this.listeners.url('ops');
  }
  /** the pay page's URL when pay.listen is set */
  get payUrl(): string | null {
    return this.listeners.url('pay');
  }

  private async init(): Promise<void> {
    const { store, metrics, log, config } = this;
    // capture files are read and decoded from now on, while the rest starts
    // (bounded: the decoder waits when its queue is full); their batches are
    // stored once the daemon is up (startSource)
    this.capture.open(this.o.read ?? [], this.o.replay);
    const version = this.o.version ?? '0.0.0';
    const outbox = (this.outbox = new Outbox(this.ctx, version));
    const sealed = store.sealPlainSecrets();
    if (sealed.sps || sealed.sinkCredentials)
      log.info(sealed, 'webhook secrets and sink credentials stored in plain text encrypted');
    metrics.ordersByStatus = () =>
      Object.fromEntries(
        (
          store.db.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status').all() as Array<{
            status: string;
            n: number;
          }>
        ).map((r) => [r.status, r.n]),
      );
    initSightings(metrics, activeCarriers(config));
    store.transitions.listeners.push((_from, to) => {
      this.health.up(); // a transition was committed: the database takes writes
      metrics.orderTransitions.inc({ to });
      outbox.notify();
    });
    outbox.start();
    // sightings a crashed live capture left in its spool are stored before anything else
    if (existsSync(`${config.db}.spool`)) this.health.openSpool();
    this.housekeeping.start();
    await this.listeners.start({
      ctx: this.ctx,
      version,
      ready: () => this.ready && this.health.writable,
      readiness: () => this.readiness(),
      onStorageError: (err) => this.health.down(err),
      onConfirmed: () => outbox.payments.wake(),
      onChange: () => {
        outbox.payments.wake();
        outbox.sinks.wake();
      },
      refundsSupported: () => outbox.payments.refundsSupported,
    });
    for (const sp of store.sps.oneStep()) {
      log.warn(
        { spId: sp.id, name: sp.name },
        'SP in one-step mode (confirmation none): a sighting of its token charges without the pay page; safe only when the SP proves consent itself',
      );
    }
    if (this.o.signals)
      this.uninstallSignals = installSignals({
        stop: (sig) => void this.shutdown(sig),
        reload: () => void this.reload(),
      });
    this.ready = true;
    log.info(
      {
        url: this.url,
        opsUrl: this.opsUrl,
        payUrl: this.payUrl,
        payHosts: payHosts(config),
        db: config.db,
        carriers: activeCarriers(config),
        driver: config.payments.driver,
      },
      'gnpay listening',
    );
    if (config.opsListen === null && !config.api.metrics)
      log.warn('metrics are not served: set opsListen (--ops-listen) to scrape /metrics');
    this.startSource();
    const r = this.readiness();
    if (!r.ready) log.warn({ reason: r.reason }, 'not ready: /readyz answers 503');
    this.notifier.ready(r.ready ? `serving ${this.url}` : `serving ${this.url}, not ready: ${r.reason}`);
    this.notifier.startWatchdog(() => !this.stopping && this.store.db.open);
  }

  /**
   * Whether the probe does its job, for /readyz and systemd's STATUS: the API
   * serves, the database is open, and a capture source runs (a daemon that
   * sees no traffic cannot charge anyone; live, at least one interface must
   * be captured).
   */
  readiness(): { ready: boolean; reason: string | null; capture: string } {
    const files = (this.o.read?.length ?? 0) > 0;
    const live = this.config.capture.interfaces.length > 0 && !files;
    const capture = this.capture.state(live, files);
    let reason: string | null = null;
    if (!this.ready) reason = this.stopping ? 'stopping' : 'starting';
    else if (!this.store.db.open) reason = 'database closed';
    else if (!this.health.writable) reason = 'the database cannot be written (disk full?)';
    else if (capture === 'none') reason = 'no capture source (capture.interfaces or --read)';
    else if (capture === 'down') reason = 'no interface is captured';
    else if (capture === 'starting') reason = 'capture starting';
    return { ready: reason === null, reason, capture };
  }

  /** Deletes the sightings that matched no order once older than audit.retentionDays. */
  pruneSightings(now = this.store.clock()): number {
    return this.housekeeping.pruneSightings(now);
  }

  /** PRAGMA quick_check in a worker thread; damage stops the daemon (exit 1). */
  checkIntegrity(): Promise<boolean> {
    return this.housekeeping.checkIntegrity();
  }

  /** Stores what waits in the spool, in order; true when it is empty. */
  drainSpool(): boolean {
    return this.health.drain();
  }

  /** Live: an interface whose capture stopped is reported; none left stops the daemon (exit 1). */
  watchCapture(capture: { captureStats(): LiveInterfaceStats[] }): void {
    this.capture.watch(capture);
  }

  /** Writes the tunnel table into the database (live capture only). */
  saveCheckpoint(): void {
    this.capture.saveCheckpoint();
  }

  /** Runs capture files (or, with none, the live interfaces) through the pipeline. */
  replay(read: string[]): Promise<PipelineStats> {
    return this.capture.run(read);
  }

  /** Sightings this run could not store: unprocessable, lost with a full spool, or not stored when stopped. */
  lostSightings(): number {
    return this.pipeline.failed + this.pipeline.lost + this.pipeline.unstored;
  }

  /** True when no payment and no webhook is pending. */
  settled(): boolean {
    return this.store.payments.pendingCount() === 0 && this.store.webhooks.pendingCount() === 0;
  }

  private pipelineDeps(sourceId: string): PipelineDeps {
    return {
      store: this.store,
      sourceId,
      metrics: this.metrics,
      log: this.log,
      limits: () => this.config.limits.perMsisdn,
      payHosts: () => payHosts(this.config),
      onAssociated: () => this.outbox?.payments.wake(),
    };
  }

  private startSource(): void {
    const files = this.o.read ?? [];
    if (files.length === 0 && this.config.capture.interfaces.length === 0) return; // API only: not ready
    this.capture.run(files).then(
      async () => {
        if (this.o.exitWhenDone) await this.drainThenExit(EXIT_OK);
      },
      async (err: Error) => {
        if (this.stopping) return;
        this.log.error({ err }, 'source failed');
        // A live capture that cannot run (no such device, no permission, a filter
        // libpcap rejects) stops the daemon with an error instead of leaving an
        // API that looks healthy and sees nothing; a replay without
        // --exit-when-done keeps serving what it recorded up to the damage.
        if (this.o.exitWhenDone || files.length === 0) {
          await new Promise((r) => setImmediate(r)); // after the CLI's "listening on" line, not before it
          await this.captureFailed(err.message, sourceFailureCode(err));
        }
      },
    );
  }

  /**
   * The one way out when the capture fails: says why on stderr, then, for a
   * replay with --exit-when-done, exits once what it recorded is charged and
   * notified; live, shuts down at once (bounded by shutdown.timeoutMs): a
   * webhook owed to an SP that does not answer must not hold the exit for hours.
   */
  private captureFailed(why: string, code: number): Promise<unknown> {
    process.stderr.write(`gnpay: capture failed: ${why}\n`);
    return this.o.exitWhenDone ? this.drainThenExit(code) : this.shutdown('capture failed', code);
  }

  /**
   * Waits until the replay's own orders are charged (or in doubt after every
   * attempt owed) and notified, then shuts down with `code` (1 when a payment
   * stays in doubt or a sighting could not be stored).
   */
  private async drainThenExit(code: number): Promise<void> {
    const work = this.capture.replayWork;
    while (!this.stopping && !(work ? work.check() === 0 : this.settled())) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (this.stopping) return;
    const doubt = work?.inDoubt() ?? [];
    if (doubt.length) {
      this.log.error(
        { inDoubt: doubt.length, orders: doubt.slice(0, 20) },
        'payments in doubt: the platform has not said whether they were charged',
      );
      process.stderr.write(
        `gnpay: ${doubt.length} payment(s) in doubt: the platform has not said whether they were charged; the next gnpay run asks again (gnpay payments doubt)\n`,
      );
    } else if (this.lostSightings() === 0)
      this.log.info({ orders: work?.orders }, 'every association charged and notified');
    await this.shutdown('done', finalCode(code, { sightings: 0, inDoubt: doubt.length }));
  }

  /** Re-reads the config file (carriers, limits, rate limits, TTLs, pay URL, log level); keeps the old one when invalid. */
  reload(): boolean {
    this.notifier.reloading();
    const r = reloadConfig(this.config, this.o.configFile ?? null, this.o.flags ?? {}, this.log);
    if (r instanceof Error) {
      this.notifier.ready(`serving ${this.url}; the last reload failed: ${r.message}`);
      return false;
    }
    this.config = r.config;
    if (r.carriersChanged) this.capture.setCarriers(activeCarriers(r.config));
    this.notifier.ready(`serving ${this.url}, configuration reloaded`);
    return true;
  }

  /** Stops once: sources, API, workers drained within shutdown.timeoutMs; resolves with the exit code. */
  shutdown(reason: string, code = EXIT_OK): Promise<number> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.ready = false;
      this.log.info({ reason }, 'shutting down');
      this.notifier.stopping(`stopping: ${reason}`);
      const budget = this.config.shutdown.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const hard = new Promise<number>((r) => {
        timer = setTimeout(() => r(EXIT_FAILURE), budget);
      });
      const graceful = this.drain(budget).then(() => code);
      let result = await Promise.race([graceful, hard]);
      clearTimeout(timer);
      if (result !== code) {
        this.log.error({ timeoutMs: budget }, 'shutdown timed out');
        // what did not drain in time is cut off
        this.listeners.cutOff();
        void this.outbox?.stop(0);
      }
      this.uninstallSignals?.();
      this.health.close();
      const lost = this.lostSightings();
      if (lost > 0)
        process.stderr.write(
          `gnpay: ${lost} sighting(s) could not be stored (see the log); a replay can be run again\n`,
        );
      result = finalCode(result, { sightings: lost });
      this.store.close();
      this.lock.release();
      this.log.info({ code }, 'stopped');
      this.resolveDone(result);
      return result;
    })();
    return this.stopping;
  }

  private async drain(budget: number): Promise<void> {
    this.housekeeping.stop();
    await this.capture.close(); // the capture threads have stopped: a consistent table is checkpointed
    await this.listeners.close();
    await this.outbox?.stop(budget);
  }
}
