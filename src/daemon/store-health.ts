// The database refusing writes (disk full, I/O errors): never a dropped
// sighting. While it is down the probe is not ready, a replay waits
// (back-pressure) and a live capture appends its sightings to a spool file
// next to the database, stored in order once writes succeed again.
import type { SightingEvent } from '../native/types';
import {
  storeSightings,
  StoreUnavailableError,
  type PipelineDeps,
  type PipelineStats,
  type StoreOutage,
} from '../pipeline/pipeline';
import { Spool } from '../pipeline/spool';
import type { DaemonContext } from './context';

export class StoreHealth {
  /** false while the database refuses writes */
  writable = true;
  private downSince: number | null = null;
  private lastOutageLog = 0;
  private spool: Spool | null = null;
  private spoolTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: DaemonContext,
    /** the pipeline's dependencies for spooled sightings of a source */
    private readonly deps: (sourceId: string) => PipelineDeps,
    private readonly stats: PipelineStats,
  ) {
    ctx.metrics.storeWritable.set(1);
  }

  /** A replay waits for the database (back-pressure); a live capture spools. */
  outage(live: boolean): StoreOutage {
    return {
      down: (err) => this.down(err),
      up: () => this.up(),
      ...(live
        ? {
            spool: (sightings, now) => this.append(sightings, now),
            spooled: () => (this.spool?.pending ?? 0) > 0,
          }
        : {}),
    };
  }

  down(err: Error): void {
    const { metrics, log } = this.ctx;
    metrics.storeWriteFailures.inc();
    const now = Date.now();
    const why = { message: err.message, code: (err as { code?: string }).code };
    if (this.writable) {
      this.writable = false;
      this.downSince = this.lastOutageLog = now;
      metrics.storeWritable.set(0);
      log.error(
        { err: why },
        'DATABASE CANNOT BE WRITTEN (disk full?): not ready; a replay waits and a live capture spools its sightings until it can',
      );
    } else if (now - this.lastOutageLog >= 30_000) {
      this.lastOutageLog = now;
      log.error({ err: why, downMs: now - this.downSince! }, 'the database still cannot be written');
    }
  }

  up(): void {
    if (this.writable) return;
    this.writable = true;
    this.ctx.metrics.storeWritable.set(1);
    this.ctx.log.warn({ downMs: Date.now() - (this.downSince ?? Date.now()) }, 'the database takes writes again');
    this.downSince = null;
  }

  /** The spool of a live capture, set aside now (when the disk still has room); drained first if a crash left records in it. */
  openSpool(): void {
    const config = this.ctx.config();
    const mib = config.spool.sizeMiB;
    if (mib === null || this.spool) return;
    try {
      this.spool = Spool.open(`${config.db}.spool`, mib * 1024 * 1024);
    } catch (err) {
      this.ctx.log.error({ err }, 'no spool: while the database cannot be written, live sightings would be lost');
      return;
    }
    this.ctx.metrics.spoolPending.set(this.spool.pending);
    if (this.spool.pending) this.drain();
    this.spoolTimer = setInterval(() => this.drain(), 1000);
    this.spoolTimer.unref();
  }

  private append(sightings: SightingEvent[], now: number): boolean {
    if (!this.spool) return false;
    let ok = false;
    try {
      ok = this.spool.append({ sourceId: 'live', now, sightings });
    } catch (err) {
      this.ctx.log.error({ err }, 'the spool cannot be written');
    }
    this.ctx.metrics.spoolPending.set(this.spool.pending);
    return ok;
  }

  /** Stores what waits in the spool, in order; true when it is empty. */
  drain(): boolean {
    const spool = this.spool;
    if (!spool || spool.pending === 0) return true;
    const records = spool.read();
    let sightings = 0;
    try {
      for (const r of records) {
        storeSightings(r.sightings, this.deps(r.sourceId), this.stats, r.now);
        sightings += r.sightings.length;
      }
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      this.down(err.cause);
      return false;
    }
    spool.reset();
    this.ctx.metrics.spoolPending.set(0);
    this.up();
    this.ctx.log.warn({ batches: records.length, sightings }, 'spooled sightings stored');
    return true;
  }

  /** At shutdown: a last drain while the database is open; what stays is stored at the next start. */
  close(): void {
    if (this.spoolTimer) clearInterval(this.spoolTimer);
    this.spoolTimer = null;
    if (!this.spool) return;
    if (this.ctx.store.db.open) this.drain();
    if (this.spool.pending)
      this.ctx.log.warn({ batches: this.spool.pending }, 'sightings stay in the spool: stored at the next start');
    this.spool.close();
    this.spool = null;
  }
}
