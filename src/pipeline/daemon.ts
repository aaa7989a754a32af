// The daemon: source -> decode -> associate -> charge -> notify, and the SP
// API, over one database. Started by `gnpay run` (and `gnpay demo`).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, buildOpsApp } from '../api/app';
import { readFileSync } from 'node:fs';
import { applyReload, loadConfig, parseListen, payHosts, readSecret, storeOptions, type Config, type ConfigInput } from '../config';
import { PayServer } from '../paypage/server';
import { createLogger } from '../log';
import { createMetrics, initPayments, initSightings, type Metrics } from '../metrics';
import { SystemdNotifier } from '../ops/sd-notify';
import { ProgressLog } from '../progress';
import { errorCode, NATIVE_ERROR_CODES } from '../native/errors';
import type { CaptureOptions, DecodeEvent } from '../native/types';
import { HttpDriver } from '../payments/http';
import { LedgerDriver } from '../payments/ledger';
import type { PaymentDriver } from '../payments/types';
import { PaymentWorker } from '../payments/worker';
import { Store } from '../store';
import { lockDatabase, type DbLock } from '../store/lock';
import { quickCheckInWorker } from '../store/backup';
import { DatabaseDamagedError } from '../store/db';
import { WebhookWorker } from '../webhooks/worker';
import { CaptureMetrics } from '../capture/metrics';
import { CheckpointStore, restoreCheckpoint, saveCheckpoint } from '../capture/checkpoint';
import { EXIT_CAPTURE, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ListenError } from '../cli/common'; // the process's exit codes: one table
import { ProgressBar } from '../progress';
import { activeCarriers } from './carriers';
import { emptyStats, runPipeline, storeSightings, StoreUnavailableError, type PipelineDeps, type PipelineStats, type StoreOutage } from './pipeline';
import { ReplayWork } from './replay-work';
import { Spool } from './spool';

/** A running source of decode events (the native capture, or anything iterable in tests). */
export type EventSource = AsyncIterable<DecodeEvent[]> & {
  close?(): Promise<void>;
  /** the native capture's engine: carriers change on reload */
  engine?: { setCarriers(carriers: string[]): void };
};

export type SourceFactory = (opts: CaptureOptions & { live?: { bufferBytes?: number; snaplen?: number; filter?: string } }) => EventSource;

export interface DaemonOptions {
  config: Config;
  /** the file and flags the config came from (reloaded on SIGHUP) */
  configFile?: string | null;
  flags?: ConfigInput;
  /** capture files to replay through the pipeline */
  read?: string[];
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
  url = '';
  /** the operations listener's URL when opsListen is set */
  opsUrl: string | null = null;
  config: Config;
  private app!: FastifyInstance;
  private opsApp: FastifyInstance | null = null;
  private pay: PayServer | null = null;
  /** the pay page's URL when pay.listen is set */
  payUrl: string | null = null;
  private payments!: PaymentWorker;
  private webhooks!: WebhookWorker;
  private source: EventSource | null = null;
  /** the native engine when the daemon made it (checkpointed in live mode) */
  private engine: import('../native').Engine | null = null;
  private liveCapture = false;
  /** the source ran to its end (a replay finished) */
  private sourceDone = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private captureWatch: NodeJS.Timeout | null = null;
  private readonly lostInterfaces = new Set<string>();
  readonly checkpoints: CheckpointStore;
  readonly captureMetrics: CaptureMetrics;
  private readonly abort = new AbortController();
  private sweeper: NodeJS.Timeout | null = null;
  private integrityTimer: NodeJS.Timeout | null = null;
  /** the API accepts requests (false while starting and draining) */
  private ready = false;
  /** why the probe is not ready, in /readyz and STATUS= (null: ready) */
  private notReady: string | null = 'starting';
  /** the running source (capture files or interfaces) is open */
  private sourceOpen = false;
  private readonly notifier: SystemdNotifier;
  /** false while the database refuses writes (disk full, I/O errors): not ready, replay paused, live spooled */
  private writable = true;
  private downSince: number | null = null;
  private lastOutageLog = 0;
  private spool: Spool | null = null;
  private spoolTimer: NodeJS.Timeout | null = null;
  /** a replay's own orders, for --exit-when-done */
  private replayWork: ReplayWork | null = null;
  private stopping: Promise<number> | null = null;
  private resolveDone!: (code: number) => void;
  private readonly signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  private constructor(
    private readonly o: DaemonOptions,
    private readonly lock: DbLock,
  ) {
    this.config = o.config;
    this.log = o.logger ?? createLogger({ ...o.config.log });
    this.done = new Promise((r) => (this.resolveDone = r));
    // a damaged file is refused here (DatabaseDamagedError), before anything is served from it
    this.store = Store.open(o.config.db!, { clock: o.clock, quickCheck: true, ...storeOptions(o.config) });
    this.metrics = createMetrics({ defaultMetrics: true, version: o.version, libpcap: libpcapVersion() });
    this.metrics.dbIntegrityOk.set(1);
    this.metrics.dbIntegrityCheckedAt.set(Math.floor(Date.now() / 1000));
    this.checkpoints = new CheckpointStore(this.store.db);
    this.captureMetrics = new CaptureMetrics(this.metrics.registry);
    this.notifier = new SystemdNotifier({ onError: (err) => this.log.warn({ err }, 'cannot notify systemd') });
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    if (!o.config.db) throw new Error('config: db is required (--db FILE)');
    if ((o.read?.length ?? 0) > 0 && o.config.capture.interfaces.length > 0) throw new Error('--read and live capture interfaces cannot be combined');
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

  private async init(): Promise<void> {
    const { store, metrics, log, config } = this;
    const version = this.o.version ?? '0.0.0';
    // the database lock is ours: leases held by a process that died are void
    const payments = store.payments.releaseAll();
    const webhooks = store.webhooks.releaseAll();
    if (payments) log.warn({ payments }, 'charges under way when the previous process stopped: in doubt until the platform answers again');
    if (webhooks) log.warn({ webhooks }, 'released webhook leases of a previous process');
    const doubt = store.payments.doubtSummary();
    if (doubt.count) log.warn({ inDoubt: doubt.count, since: new Date(doubt.oldestSince!).toISOString() }, 'payments in doubt: asked again until a definite answer (gnpay payments doubt)');
    metrics.paymentsDoubt = () => store.payments.doubtSummary();
    const sealed = store.sps.sealPlainSecrets();
    if (sealed) log.info({ sps: sealed }, 'webhook secrets stored in plain text encrypted');
    metrics.ordersByStatus = () =>
      Object.fromEntries((store.db.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status').all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
    metrics.outboxes = () => ({
      payments: { pending: store.payments.pendingCount(), oldestAt: store.payments.oldestPendingAt() },
      webhooks: { pending: store.webhooks.pendingCount(), oldestAt: store.webhooks.oldestPendingAt() },
    });
    initSightings(metrics, activeCarriers(config));
    initPayments(metrics, config.payments.driver);

    this.webhooks = new WebhookWorker(
      store,
      { ...config.webhooks, backoff: config.webhooks.retry, userAgent: `gnpay/${version}` }, // per SP, breakers, destination policy
      { metrics, log },
    );
    this.payments = new PaymentWorker(
      store,
      {
        driver: this.driver(version),
        concurrency: config.payments.concurrency,
        maxAttempts: config.payments.http.maxAttempts,
        backoff: config.payments.retry,
        leaseMs: Math.max(30_000, config.payments.http.timeoutMs * 3),
      },
      { metrics, log },
    );
    metrics.storeWritable.set(1);
    store.transitions.listeners.push((_from, to) => {
      this.storeUp(); // a transition was committed: the database takes writes
      metrics.orderTransitions.inc({ to });
      this.webhooks.wake();
    });
    this.payments.start();
    this.webhooks.start();
    // sightings a crashed live capture left in its spool are stored before anything else
    if (existsSync(`${config.db}.spool`)) this.openSpool();
    let nextPrune = 0;
    this.sweeper = setInterval(() => {
      try {
        store.orders.expireDue();
      } catch (err) {
        log.error({ err }, 'expiry sweep failed');
      }
      const now = store.clock();
      try {
        store.bindings.pruneBefore(now - this.config.pay.bindingTtlSeconds * 1000);
      } catch (err) {
        log.error({ err }, 'ClientHello reports prune failed');
      }
      if (now >= nextPrune) {
        // a backlog (more than one round's worth) is worked off a round per second
        nextPrune = now + (this.pruneSightings(now) >= PRUNE_CHUNK * PRUNE_MAX_ROUNDS ? 1000 : PRUNE_INTERVAL_MS);
      }
    }, 1000);
    this.sweeper.unref();
    const every = config.integrity.intervalMinutes;
    if (every !== null) {
      this.integrityTimer = setInterval(() => void this.checkIntegrity(), every * 60_000);
      this.integrityTimer.unref();
    }

    this.app = buildApp({
      store,
      metrics,
      logger: log,
      version,
      bodyLimitBytes: config.api.bodyLimitBytes,
      serveMetrics: config.api.metrics,
      limits: config.listeners,
      ready: () => this.ready && this.writable,
      readiness: () => this.readiness(),
      onStorageError: (err) => this.storeDown(err),
      settings: () => ({
        payUrlTemplate: this.config.payUrlTemplate,
        defaultTtlSeconds: this.config.orders.defaultTtlSeconds,
        maxTtlSeconds: this.config.orders.maxTtlSeconds,
        ordersPerMinute: this.config.rateLimit.ordersPerMinute,
      }),
    });
    await listen(this.app, 'SP API, listen', config.listen);
    this.url = urlOf(this.app);
    if (config.opsListen !== null) {
      this.opsApp = buildOpsApp({ store, metrics, ready: () => this.ready && this.writable, readiness: () => this.readiness(), limits: config.listeners });
      await listen(this.opsApp, 'operations, opsListen', config.opsListen);
      this.opsUrl = urlOf(this.opsApp);
    }
    if (config.pay.listen !== null) {
      const tls = config.pay.insecureHttp ? null : { cert: readFileSync(config.pay.tls.cert!), key: readFileSync(config.pay.tls.key!) };
      if (!tls) log.warn('the pay page is served over plain HTTP (pay.insecureHttp): no connection can be bound, nothing can be confirmed; for labs only');
      this.pay = new PayServer({
        store,
        payUrlTemplate: () => this.config.payUrlTemplate,
        limits: () => this.config.limits.perMsisdn,
        tls,
        bindTimeoutMs: config.pay.bindTimeoutMs,
        listenerLimits: config.listeners,
        metrics,
        log,
        onConfirmed: () => this.payments.wake(),
      });
      const l = parseListen(config.pay.listen);
      this.payUrl = await this.pay.listen(l.host, l.port);
    }
    for (const sp of store.sps.oneStep()) {
      log.warn({ spId: sp.id, name: sp.name }, 'SP in one-step mode (confirmation none): a sighting of its token charges without the pay page; safe only when the SP proves consent itself');
    }
    if (this.o.signals) this.installSignals();
    this.ready = true;
    log.info(
      { url: this.url, opsUrl: this.opsUrl, payUrl: this.payUrl, payHosts: payHosts(config), db: config.db, carriers: activeCarriers(config), driver: config.payments.driver },
      'gnpay listening',
    );
    if (config.opsListen === null && !config.api.metrics) log.warn('metrics are not served: set opsListen (--ops-listen) to scrape /metrics');
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
    const live = this.config.capture.interfaces.length > 0 && (this.o.read?.length ?? 0) === 0;
    const files = (this.o.read?.length ?? 0) > 0;
    let capture: string;
    if (!live && !files) capture = 'none';
    else if (!this.sourceOpen) capture = this.sourceDone ? 'finished' : 'starting';
    else if (live && this.engine && !this.captureMetrics.anyUp()) capture = 'down';
    else capture = 'up';
    let reason: string | null = null;
    if (!this.ready) reason = this.stopping ? 'stopping' : 'starting';
    else if (!this.store.db.open) reason = 'database closed';
    else if (!this.writable) reason = 'the database cannot be written (disk full?)';
    else if (capture === 'none') reason = 'no capture source (capture.interfaces or --read)';
    else if (capture === 'down') reason = 'no interface is captured';
    else if (capture === 'starting') reason = 'capture starting';
    return { ready: reason === null, reason, capture };
  }

  /** Deletes the sightings that matched no order once older than audit.retentionDays, in small transactions. */
  pruneSightings(now = this.store.clock()): number {
    const days = this.config.audit.retentionDays;
    if (days === null) return 0;
    const before = now - days * 86_400_000;
    let total = 0;
    try {
      for (let i = 0; i < PRUNE_MAX_ROUNDS; i++) {
        const n = this.store.associator.pruneUnlinked(before, PRUNE_CHUNK);
        total += n;
        if (n < PRUNE_CHUNK) break;
      }
    } catch (err) {
      this.log.error({ err }, 'sightings prune failed');
    }
    if (total > 0) {
      this.metrics.sightingsPruned.inc(total);
      this.log.info({ deleted: total, retentionDays: days }, 'old sightings of unknown tokens deleted');
    }
    return total;
  }

  /**
   * PRAGMA quick_check in a worker thread. Damage found while running stops the
   * daemon (exit 1): writing on into a damaged file spreads the damage, and a
   * restart refuses the file with the same message until it is restored.
   */
  async checkIntegrity(): Promise<boolean> {
    if (this.stopping) return true;
    const t0 = performance.now();
    let r: { findings: string[]; error?: boolean; code?: string };
    try {
      r = await quickCheckInWorker(this.config.db!);
    } catch (err) {
      this.log.warn({ err }, 'database integrity check could not run');
      return true;
    }
    if (r.error && !/^SQLITE_(CORRUPT|NOTADB)/.test(r.code ?? '')) {
      this.log.warn({ error: r.findings[0], code: r.code }, 'database integrity check could not run');
      return true;
    }
    this.metrics.dbIntegrityCheckedAt.set(Math.floor(Date.now() / 1000));
    if (r.findings.length === 0) {
      this.metrics.dbIntegrityOk.set(1);
      this.log.debug({ ms: Math.round(performance.now() - t0) }, 'database integrity checked');
      return true;
    }
    this.metrics.dbIntegrityOk.set(0);
    this.ready = false;
    const err = new DatabaseDamagedError(this.config.db!, r.findings);
    this.log.fatal({ findings: r.findings.slice(0, 20) }, 'database damaged: stopping');
    process.stderr.write(`gnpay: ${err.message}\n`);
    void this.shutdown('database damaged', EXIT_FAILURE);
    return false;
  }

  private driver(version: string): PaymentDriver {
    const p = this.config.payments;
    if (p.driver === 'ledger') return new LedgerDriver(this.store.ledger);
    return new HttpDriver({
      url: p.http.url!,
      secret: readSecret(p.http.secret, p.http.secretFile, 'payments.http.secret')!,
      timeoutMs: p.http.timeoutMs,
      statusUrl: p.http.statusUrl,
      userAgent: `gnpay/${version}`,
    });
  }

  private startSource(): void {
    const files = this.o.read ?? [];
    if (files.length === 0 && this.config.capture.interfaces.length === 0) return; // API only: not ready
    this.replay(files).then(
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
          const c = errorCode(err);
          const code = c === NATIVE_ERROR_CODES.captureFile ? EXIT_CAPTURE : c === NATIVE_ERROR_CODES.badFilter ? EXIT_USAGE : EXIT_FAILURE;
          await new Promise((r) => setImmediate(r)); // after the CLI's "listening on" line, not before it
          await this.captureFailed(err.message, code);
        }
      },
    );
  }

  /**
   * Runs capture files (or, with none, the configured live interfaces) through
   * the pipeline; resolves when the source ends (its associations are committed,
   * their charges and webhooks may still be under way: see settled()).
   */
  async replay(read: string[]): Promise<PipelineStats> {
    const files = read.map((f) => resolve(f));
    const c = this.config.capture;
    const sourceId = files.length ? `files:${files.join('|')}` : 'live';
    const opts = {
      files: files.length ? files : undefined,
      filter: files.length ? c.filter ?? undefined : undefined,
      interfaces: files.length ? undefined : c.interfaces,
      carriers: activeCarriers(this.config),
      payHosts: payHosts(this.config),
      limits: this.config.decode.limits,
      live: { bufferBytes: c.bufferMiB ? c.bufferMiB * 1024 * 1024 : undefined, snaplen: c.snaplen ?? undefined, filter: c.filter ?? undefined },
    };
    let source: EventSource;
    let bar: ProgressBar | null = null;
    let progress: ProgressLog | null = null;
    if (this.o.openSource) {
      source = this.o.openSource(opts);
    } else {
      // the native engine is the daemon's own: its tunnel table is checkpointed in live mode
      const native = require('../native') as typeof import('../native');
      const { resolveInterface } = require('../capture/devices') as typeof import('../capture/devices');
      if (opts.interfaces) {
        opts.interfaces = opts.interfaces.map(resolveInterface);
        this.captureMetrics.declareInterfaces(opts.interfaces);
      }
      this.captureMetrics.declareAnomalies(native.anomalyNames());
      const engine = new native.Engine({ carriers: opts.carriers, payHosts: opts.payHosts, limits: opts.limits });
      this.engine = engine;
      this.liveCapture = files.length === 0;
      if (this.liveCapture) {
        const cp = this.config.checkpoint;
        const r = restoreCheckpoint(this.checkpoints, engine, cp.maxAgeHours * 3600_000);
        if (r.error) this.log.warn({ error: r.error }, 'tunnel-table checkpoint ignored');
        else if (r.savedAt !== null) {
          this.log.info({ restored: r.restored, savedAt: new Date(r.savedAt).toISOString() }, 'tunnel table restored from the checkpoint');
          this.captureMetrics.checkpointed(r.savedAt);
        }
        this.checkpointTimer = setInterval(() => this.saveCheckpoint(), cp.intervalSeconds * 1000);
        this.checkpointTimer.unref();
      }
      let capture: import('../native').Capture;
      try {
        capture = native.openCapture(opts, engine);
      } catch (err) {
        this.engine = null;
        engine.close();
        throw err;
      }
      this.captureMetrics.attach(capture);
      if (this.liveCapture) {
        const live = capture;
        this.captureWatch = setInterval(() => this.watchCapture(live), 1000);
        this.captureWatch.unref();
      }
      if (files.length && process.stderr.isTTY) bar = new ProgressBar(() => capture.progress()).start();
      // not on a terminal (systemd, a pipe): a progress line in the log instead, every log.progressSeconds
      else if (files.length && this.config.log.progressSeconds !== null) progress = new ProgressLog(() => capture.progress(), this.log, this.config.log.progressSeconds * 1000).start();
      source = capture;
    }
    this.source = source;
    this.sourceOpen = true;
    this.notifier.status(`serving ${this.url}, capturing ${files.length ? `${files.length} file(s)` : (opts.interfaces ?? []).join(', ')}`);
    if (files.length === 0) this.openSpool();
    const work = files.length ? (this.replayWork = new ReplayWork(this.store, this.config.payments.http.maxAttempts)) : null;
    const deps: PipelineDeps = { ...this.pipelineDeps(sourceId), onBatch: work ? (b) => work.note(b) : undefined, outage: this.outage(files.length === 0) };
    try {
      await runPipeline(source, deps, this.abort.signal, this.pipeline);
    } finally {
      if (this.captureWatch) clearInterval(this.captureWatch);
      this.captureWatch = null;
      bar?.stop();
      progress?.stop();
      this.sourceOpen = false;
      this.sourceDone = true;
      await source.close?.();
      if (!this.stopping) this.closeEngine();
      // live: what each interface delivered and dropped over the whole run
      const totals = (source as { captureStats?: () => import('../native').LiveInterfaceStats[] }).captureStats?.();
      if (totals && totals.length) this.log.info({ interfaces: totals }, 'capture stopped');
    }
    this.log.info({ ...this.pipeline }, 'source finished');
    return this.pipeline;
  }

  private pipelineDeps(sourceId: string): PipelineDeps {
    return {
      store: this.store,
      sourceId,
      metrics: this.metrics,
      log: this.log,
      limits: () => this.config.limits.perMsisdn,
      payHosts: () => payHosts(this.config),
      onAssociated: () => this.payments.wake(),
    };
  }

  // ---- the database refusing writes (disk full, I/O errors): never a dropped sighting ----

  /** A replay waits for the database (back-pressure); a live capture spools. */
  private outage(live: boolean): StoreOutage {
    return {
      down: (err) => this.storeDown(err),
      up: () => this.storeUp(),
      ...(live
        ? {
            spool: (sightings, now) => this.spoolAppend(sightings, now),
            spooled: () => (this.spool?.pending ?? 0) > 0,
          }
        : {}),
    };
  }

  private storeDown(err: Error): void {
    this.metrics.storeWriteFailures.inc();
    const now = Date.now();
    const why = { message: err.message, code: (err as { code?: string }).code };
    if (this.writable) {
      this.writable = false;
      this.downSince = this.lastOutageLog = now;
      this.metrics.storeWritable.set(0);
      this.log.error({ err: why }, 'DATABASE CANNOT BE WRITTEN (disk full?): not ready; a replay waits and a live capture spools its sightings until it can');
    } else if (now - this.lastOutageLog >= 30_000) {
      this.lastOutageLog = now;
      this.log.error({ err: why, downMs: now - this.downSince! }, 'the database still cannot be written');
    }
  }

  private storeUp(): void {
    if (this.writable) return;
    this.writable = true;
    this.metrics.storeWritable.set(1);
    this.log.warn({ downMs: Date.now() - (this.downSince ?? Date.now()) }, 'the database takes writes again');
    this.downSince = null;
  }

  /** The spool of a live capture, set aside now (when the disk still has room); drained first if a crash left records in it. */
  private openSpool(): void {
    const mib = this.config.spool.sizeMiB;
    if (mib === null || this.spool) return;
    try {
      this.spool = Spool.open(`${this.config.db}.spool`, mib * 1024 * 1024);
    } catch (err) {
      this.log.error({ err }, 'no spool: while the database cannot be written, live sightings would be lost');
      return;
    }
    this.metrics.spoolPending.set(this.spool.pending);
    if (this.spool.pending) this.drainSpool();
    this.spoolTimer = setInterval(() => this.drainSpool(), 1000);
    this.spoolTimer.unref();
  }

  private spoolAppend(sightings: import('../native/types').SightingEvent[], now: number): boolean {
    if (!this.spool) return false;
    let ok = false;
    try {
      ok = this.spool.append({ sourceId: 'live', now, sightings });
    } catch (err) {
      this.log.error({ err }, 'the spool cannot be written');
    }
    this.metrics.spoolPending.set(this.spool.pending);
    return ok;
  }

  /** Stores what waits in the spool, in order; true when it is empty. */
  drainSpool(): boolean {
    const spool = this.spool;
    if (!spool || spool.pending === 0) return true;
    const records = spool.read();
    let sightings = 0;
    try {
      for (const r of records) {
        storeSightings(r.sightings, this.pipelineDeps(r.sourceId), this.pipeline, r.now);
        sightings += r.sightings.length;
      }
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      this.storeDown(err.cause);
      return false;
    }
    spool.reset();
    this.metrics.spoolPending.set(0);
    this.storeUp();
    this.log.warn({ batches: records.length, sightings }, 'spooled sightings stored');
    return true;
  }

  /** Sightings this run could not store: unprocessable, lost with a full spool, or not stored when stopped. */
  lostSightings(): number {
    return this.pipeline.failed + this.pipeline.lost + this.pipeline.unstored;
  }

  /**
   * Live: an interface whose capture stopped with an error (it disappeared, the
   * driver failed) is logged once and shows as gnpay_capture_up 0; the others
   * go on. When no interface captures any more the daemon stops with exit 1,
   * so that the service manager restarts it (and it opens the interfaces again)
   * rather than serving an API that sees nothing.
   */
  watchCapture(capture: { captureStats(): import('../native').LiveInterfaceStats[] }): void {
    if (this.stopping) return;
    let stats: import('../native').LiveInterfaceStats[];
    try {
      stats = capture.captureStats();
    } catch {
      return; // closed meanwhile
    }
    for (const st of stats) {
      if (st.error === null || this.lostInterfaces.has(st.interface)) continue;
      this.lostInterfaces.add(st.interface);
      this.log.error({ interface: st.interface, error: st.error, packets: st.packets }, 'capture stopped on an interface');
    }
    if (stats.length > 0 && stats.every((st) => st.error !== null)) {
      const why = stats.map((st) => `${st.interface}: ${st.error}`).join('; ');
      this.log.error({ interfaces: stats.map((st) => st.interface) }, 'no interface is captured any more: stopping');
      void this.captureFailed(why, EXIT_FAILURE);
    }
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

  /** Writes the tunnel table into the database (live capture only). */
  saveCheckpoint(): void {
    if (!this.engine || !this.liveCapture) return;
    try {
      const sessions = saveCheckpoint(this.checkpoints, this.engine);
      this.captureMetrics.checkpointed();
      this.log.debug({ sessions }, 'tunnel table checkpointed');
    } catch (err) {
      this.log.error({ err }, 'tunnel-table checkpoint failed');
    }
  }

  /** Final checkpoint, then the engine goes (once the capture threads stopped). */
  private closeEngine(): void {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.checkpointTimer = null;
    if (!this.engine) return;
    this.saveCheckpoint();
    this.captureMetrics.collect();
    this.captureMetrics.attach(null);
    this.engine.close();
    this.engine = null;
  }

  /** True when no payment and no webhook is pending. */
  settled(): boolean {
    return this.store.payments.pendingCount() === 0 && this.store.webhooks.pendingCount() === 0;
  }

  /**
   * Waits until the replay's own orders are charged (or in doubt after every
   * attempt owed) and notified, then shuts down with `code` (1 when a payment
   * stays in doubt or a sighting could not be stored).
   */
  private async drainThenExit(code: number): Promise<void> {
    const work = this.replayWork;
    while (!this.stopping && !(work ? work.check() === 0 : this.settled())) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (this.stopping) return;
    const doubt = work?.inDoubt() ?? [];
    if (doubt.length) {
      this.log.error({ inDoubt: doubt.length, orders: doubt.slice(0, 20) }, 'payments in doubt: the platform has not said whether they were charged');
      process.stderr.write(`gnpay: ${doubt.length} payment(s) in doubt: the platform has not said whether they were charged; the next gnpay run asks again (gnpay payments doubt)\n`);
    } else if (this.lostSightings() === 0) this.log.info({ orders: work?.orders }, 'every association charged and notified');
    await this.shutdown('done', doubt.length ? Math.max(code, EXIT_FAILURE) : code);
  }

  private installSignals(): void {
    const on = (sig: NodeJS.Signals, fn: () => void) => {
      process.on(sig, fn);
      this.signalHandlers.push([sig, fn]);
    };
    on('SIGTERM', () => void this.shutdown('SIGTERM'));
    on('SIGINT', () => void this.shutdown('SIGINT'));
    on('SIGHUP', () => void this.reload());
  }

  /** Re-reads the config file (carriers, limits, rate limits, TTLs, pay URL, log level); keeps the old one when invalid. */
  reload(): boolean {
    this.notifier.reloading();
    let next: Config;
    try {
      next = loadConfig(this.o.configFile ?? null, this.o.flags ?? {});
    } catch (err) {
      this.log.error({ err }, 'reload failed: keeping the running configuration');
      this.notifier.ready(`serving ${this.url}; the last reload failed: ${(err as Error).message}`);
      return false;
    }
    const before = JSON.stringify(activeCarriers(this.config));
    // keys the schema does not mark reloadable keep their running values until a restart
    const { config: applied, kept } = applyReload(this.config, next);
    if (kept.length) this.log.warn({ keys: kept }, 'these settings change only on restart: the running values are kept');
    next = applied;
    this.config = next;
    this.log.level = next.log.level;
    const carriers = activeCarriers(next);
    if (JSON.stringify(carriers) !== before) this.source?.engine?.setCarriers(carriers);
    this.log.info({ carriers }, 'configuration reloaded');
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
        this.app?.server.closeAllConnections();
        this.app?.server.close();
        this.opsApp?.server.closeAllConnections();
        this.opsApp?.server.close();
        this.pay?.server.closeAllConnections();
        this.pay?.server.close();
        void this.payments?.stop(0);
        void this.webhooks?.stop(0);
      }
      for (const [sig, fn] of this.signalHandlers) process.off(sig, fn);
      if (this.spoolTimer) clearInterval(this.spoolTimer);
      if (this.spool) {
        if (this.store.db.open) this.drainSpool();
        if (this.spool.pending) this.log.warn({ batches: this.spool.pending }, 'sightings stay in the spool: stored at the next start');
        this.spool.close();
      }
      const lost = this.lostSightings();
      if (lost > 0) {
        process.stderr.write(`gnpay: ${lost} sighting(s) could not be stored (see the log); a replay can be run again\n`);
        if (result === EXIT_OK) result = EXIT_FAILURE;
      }
      this.store.close();
      this.lock.release();
      this.log.info({ code }, 'stopped');
      this.resolveDone(result);
      return result;
    })();
    return this.stopping;
  }

  private async drain(budget: number): Promise<void> {
    this.abort.abort();
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.integrityTimer) clearInterval(this.integrityTimer);
    await this.source?.close?.();
    this.closeEngine(); // the capture threads have stopped: checkpoint a consistent table
    await this.app?.close();
    await this.opsApp?.close();
    await this.pay?.close();
    await Promise.all([this.payments?.stop(budget), this.webhooks?.stop(budget)]);
  }
}

/** app.listen, with an address that cannot be bound reported as a ListenError (exit 4) naming the listener. */
async function listen(app: FastifyInstance, name: string, address: string): Promise<void> {
  try {
    await app.listen(parseListen(address));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new ListenError(name, address, code, err as Error);
    throw err;
  }
}

function urlOf(app: FastifyInstance): string {
  const addr = app.server.address() as { address: string; port: number };
  return `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
}

/** sightings retention: checked once a minute (every second while behind), at most PRUNE_MAX_ROUNDS x PRUNE_CHUNK rows a time */
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_CHUNK = 5000;
const PRUNE_MAX_ROUNDS = 4;
