// The daemon's capture source: capture files replayed, or the configured live
// interfaces, run through the pipeline. Live, the native engine's tunnel table
// is checkpointed into the database (and restored at start), and an interface
// whose capture stops is reported; when none captures any more the daemon is told.
import { resolve } from 'node:path';
import { CheckpointStore, restoreCheckpoint, saveCheckpoint } from '../capture/checkpoint';
import { CaptureMetrics } from '../capture/metrics';
import type { CaptureOptions, DecodeEvent } from '../native/types';
import { runPipeline, type PipelineDeps, type PipelineStats } from '../pipeline/pipeline';
import { ReplayWork } from '../pipeline/replay-work';
import { ProgressBar, ProgressLog } from '../progress';
import type { DaemonContext } from './context';
import { closeReplay, openReplay, sourceOptions, type OpenedReplay } from './replay-source';
import type { StoreHealth } from './store-health';

/** A running source of decode events (the native capture, or anything iterable in tests). */
export type EventSource = AsyncIterable<DecodeEvent[]> & {
  close?(): Promise<void>;
  /** the native capture's engine: carriers change on reload */
  engine?: { setCarriers(carriers: string[]): void };
};

export type SourceFactory = (
  opts: CaptureOptions & { live?: { bufferBytes?: number; snaplen?: number; filter?: string } },
) => EventSource;

type LiveInterfaceStats = import('../native').LiveInterfaceStats;

export { PIPELINE_EVENT_TYPES } from './replay-source';

export interface CaptureDeps {
  ctx: DaemonContext;
  health: StoreHealth;
  stats: PipelineStats;
  pipelineDeps(sourceId: string): PipelineDeps;
  /** the source is open: what it captures, for systemd's STATUS */
  onOpen(what: string): void;
  /** no interface captures any more */
  onAllLost(why: string): void;
  /** a source other than the native capture (tests, the demo, benchmarks) */
  openSource?: SourceFactory;
}

function sameFiles(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

export class CaptureService {
  readonly checkpoints: CheckpointStore;
  readonly metrics: CaptureMetrics;
  /** a replay's own orders, for --exit-when-done */
  replayWork: ReplayWork | null = null;
  private source: EventSource | null = null;
  /** the native engine when the daemon made it (checkpointed in live mode) */
  private engine: import('../native').Engine | null = null;
  private liveCapture = false;
  /** the running source (capture files or interfaces) is open */
  private sourceOpen = false;
  /** the source ran to its end (a replay finished) */
  private sourceDone = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private captureWatch: NodeJS.Timeout | null = null;
  private readonly lostInterfaces = new Set<string>();
  private readonly abort = new AbortController();
  /** the live interfaces captured (resolved names) */
  private interfaces: string[] = [];
  /** capture files opened ahead of run() (or why they could not be) */
  private opened: { read: string[]; source: EventSource } | { read: string[]; error: unknown } | null = null;

  constructor(private readonly d: CaptureDeps) {
    this.checkpoints = new CheckpointStore(d.ctx.store.db);
    this.metrics = new CaptureMetrics(d.ctx.metrics.registry);
  }

  /** The capture's part of /readyz: none, starting, up, down or finished. */
  state(live: boolean, files: boolean): string {
    if (!live && !files) return 'none';
    if (!this.sourceOpen) return this.sourceDone ? 'finished' : 'starting';
    if (live && this.engine && !this.metrics.anyUp()) return 'down';
    return 'up';
  }

  /** The carriers changed on reload. */
  setCarriers(carriers: string[]): void {
    this.source?.engine?.setCarriers(carriers);
  }

  /**
   * Opens capture files ahead of run(): the native threads start reading and
   * decoding at once, into their bounded queue, while the rest of the daemon
   * starts; run() then takes the batches in order. An error opening them is
   * thrown by run(), as when run() opens them itself. Live interfaces are
   * opened by run() only. `early`: the same files already opened by the CLI
   * (src/daemon/replay-source.ts), adopted as they are.
   */
  open(read: string[], early?: OpenedReplay): void {
    if (read.length === 0 || this.opened) return;
    if (early && sameFiles(early.read, read) && !this.d.openSource) {
      this.opened = early.ok ? { read, source: this.adopt(early) } : { read, error: early.error };
      return;
    }
    if (early) void closeReplay(early); // not these files: the daemon opens its own
    try {
      this.opened = { read, source: this.openSource(read) };
    } catch (err) {
      this.opened = { read, error: err };
    }
  }

  /**
   * Runs capture files (or, with none, the configured live interfaces) through
   * the pipeline; resolves when the source ends (its associations are committed,
   * their charges and webhooks may still be under way).
   */
  async run(read: string[]): Promise<PipelineStats> {
    const { ctx, stats } = this.d;
    const config = ctx.config();
    const files = read.map((f) => resolve(f));
    const sourceId = files.length ? `files:${files.join('|')}` : 'live';
    const opened = this.opened && sameFiles(this.opened.read, read) ? this.opened : null;
    this.opened = null;
    if (opened && 'error' in opened) throw opened.error;
    const source = opened ? opened.source : this.openSource(read);
    const capture = this.engine ? (source as import('../native').Capture) : null;
    let bar: ProgressBar | null = null;
    let progress: ProgressLog | null = null;
    if (capture && files.length && process.stderr.isTTY) bar = new ProgressBar(() => capture.progress()).start();
    // not on a terminal (systemd, a pipe): a progress line in the log instead, every log.progressSeconds
    else if (capture && files.length && config.log.progressSeconds !== null)
      progress = new ProgressLog(() => capture.progress(), ctx.log, config.log.progressSeconds * 1000).start();
    this.sourceOpen = true;
    this.d.onOpen(files.length ? `${files.length} file(s)` : this.interfaces.join(', '));
    if (files.length === 0) this.d.health.openSpool();
    const work = files.length ? (this.replayWork = new ReplayWork(ctx.store, config.payments.http.maxAttempts)) : null;
    const deps: PipelineDeps = {
      ...this.d.pipelineDeps(sourceId),
      onStored: work ? (s, r) => work.note(s, r) : undefined,
      outage: this.d.health.outage(files.length === 0),
    };
    try {
      await runPipeline(source, deps, this.abort.signal, stats);
    } finally {
      if (this.captureWatch) clearInterval(this.captureWatch);
      this.captureWatch = null;
      bar?.stop();
      progress?.stop();
      this.sourceOpen = false;
      this.sourceDone = true;
      await source.close?.();
      if (!ctx.stopping()) this.closeEngine();
      // live: what each interface delivered and dropped over the whole run
      const totals = (source as { captureStats?: () => LiveInterfaceStats[] }).captureStats?.();
      if (totals && totals.length) ctx.log.info({ interfaces: totals }, 'capture stopped');
    }
    ctx.log.info({ ...stats }, 'source finished');
    return stats;
  }

  /** Capture files opened on their own engine (by the CLI before the daemon loaded, or by openSource): the daemon's from now on. */
  private adopt(r: Extract<OpenedReplay, { ok: true }>): EventSource {
    const native = require('../native') as typeof import('../native');
    this.interfaces = [];
    this.metrics.declareAnomalies(native.anomalyNames());
    this.engine = r.engine;
    this.liveCapture = false;
    this.metrics.attach(r.capture);
    return (this.source = r.capture);
  }

  /** Opens the source of run(): capture files, or the configured live interfaces (the tunnel table restored). */
  private openSource(read: string[]): EventSource {
    const files = read.map((f) => resolve(f));
    const opts = sourceOptions(this.d.ctx.config(), read);
    this.interfaces = opts.interfaces ?? [];
    if (this.d.openSource) return (this.source = this.d.openSource(opts));
    if (files.length) {
      // capture files: opened as the CLI opens them ahead of the daemon, then adopted
      const r = openReplay(this.d.ctx.config(), read);
      if (!r.ok) throw r.error;
      return this.adopt(r);
    }
    // live: the native engine is the daemon's own, its tunnel table restored and checkpointed
    const native = require('../native') as typeof import('../native');
    const { resolveInterface } = require('../capture/devices') as typeof import('../capture/devices');
    if (opts.interfaces) {
      opts.interfaces = this.interfaces = opts.interfaces.map(resolveInterface);
      this.metrics.declareInterfaces(opts.interfaces);
    }
    this.metrics.declareAnomalies(native.anomalyNames());
    const engine = new native.Engine({ carriers: opts.carriers, payHosts: opts.payHosts, limits: opts.limits });
    this.engine = engine;
    this.liveCapture = true;
    this.restore(engine);
    let capture: import('../native').Capture;
    try {
      capture = native.openCapture(opts, engine);
    } catch (err) {
      this.engine = null;
      engine.close();
      throw err;
    }
    this.metrics.attach(capture);
    this.captureWatch = setInterval(() => this.watch(capture), 1000);
    this.captureWatch.unref();
    return (this.source = capture);
  }

  /** The tunnel table of the last run, when recent enough; then checkpointed every checkpoint.intervalSeconds. */
  private restore(engine: import('../native').Engine): void {
    const { log } = this.d.ctx;
    const cp = this.d.ctx.config().checkpoint;
    const r = restoreCheckpoint(this.checkpoints, engine, cp.maxAgeHours * 3600_000);
    if (r.error) log.warn({ error: r.error }, 'tunnel-table checkpoint ignored');
    else if (r.savedAt !== null) {
      log.info(
        { restored: r.restored, savedAt: new Date(r.savedAt).toISOString() },
        'tunnel table restored from the checkpoint',
      );
      this.metrics.checkpointed(r.savedAt);
    }
    this.checkpointTimer = setInterval(() => this.saveCheckpoint(), cp.intervalSeconds * 1000);
    this.checkpointTimer.unref();
  }

  /**
   * Live: an interface whose capture stopped with an error (it disappeared, the
   * driver failed) is logged once and shows as gnpay_capture_up 0; the others
   * go on. When no interface captures any more onAllLost is called.
   */
  watch(capture: { captureStats(): LiveInterfaceStats[] }): void {
    const { ctx } = this.d;
    if (ctx.stopping()) return;
    let stats: LiveInterfaceStats[];
    try {
      stats = capture.captureStats();
    } catch {
      return; // closed meanwhile
    }
    for (const st of stats) {
      if (st.error === null || this.lostInterfaces.has(st.interface)) continue;
      this.lostInterfaces.add(st.interface);
      ctx.log.error(
        { interface: st.interface, error: st.error, packets: st.packets },
        'capture stopped on an interface',
      );
    }
    if (stats.length > 0 && stats.every((st) => st.error !== null)) {
      const why = stats.map((st) => `${st.interface}: ${st.error}`).join('; ');
      ctx.log.error({ interfaces: stats.map((st) => st.interface) }, 'no interface is captured any more: stopping');
      this.d.onAllLost(why);
    }
  }

  /** Writes the tunnel table into the database (live capture only). */
  saveCheckpoint(): void {
    if (!this.engine || !this.liveCapture) return;
    try {
      const sessions = saveCheckpoint(this.checkpoints, this.engine);
      this.metrics.checkpointed();
      this.d.ctx.log.debug({ sessions }, 'tunnel table checkpointed');
    } catch (err) {
      this.d.ctx.log.error({ err }, 'tunnel-table checkpoint failed');
    }
  }

  /** Stops the source and the engine (a final checkpoint once the capture threads stopped). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.source?.close?.();
    this.closeEngine();
  }

  private closeEngine(): void {
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.checkpointTimer = null;
    if (!this.engine) return;
    this.saveCheckpoint();
    this.metrics.collect();
    this.metrics.attach(null);
    this.engine.close();
    this.engine = null;
  }
}
