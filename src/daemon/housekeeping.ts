// Periodic upkeep of the database: orders past their TTL expire, old
// ClientHello reports and unmatched sightings are pruned (every second), and
// PRAGMA quick_check runs every integrity.intervalMinutes.
import { quickCheckInWorker } from '../store/backup';
import { DatabaseDamagedError } from '../store/db';
import type { DaemonContext } from './context';

/** sightings retention: checked once a minute (every second while behind), at most PRUNE_MAX_ROUNDS x PRUNE_CHUNK rows a time */
export const PRUNE_INTERVAL_MS = 60_000;
export const PRUNE_CHUNK = 5000;
export const PRUNE_MAX_ROUNDS = 4;

export class Housekeeping {
  private sweeper: NodeJS.Timeout | null = null;
  private integrityTimer: NodeJS.Timeout | null = null;
  private nextPrune = 0;

  constructor(
    private readonly ctx: DaemonContext,
    /** the integrity check found damage: the daemon stops */
    private readonly onDamaged: (err: DatabaseDamagedError) => void,
  ) {
    ctx.metrics.dbIntegrityOk.set(1);
    ctx.metrics.dbIntegrityCheckedAt.set(Math.floor(Date.now() / 1000));
  }

  start(): void {
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    const every = this.ctx.config().integrity.intervalMinutes;
    if (every !== null) {
      this.integrityTimer = setInterval(() => void this.checkIntegrity(), every * 60_000);
      this.integrityTimer.unref();
    }
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.integrityTimer) clearInterval(this.integrityTimer);
    this.sweeper = this.integrityTimer = null;
  }

  /** One round: expiry, ClientHello reports, and (when due) the sightings retention. */
  sweep(): void {
    const { store, log } = this.ctx;
    try {
      store.orders.expireDue();
    } catch (err) {
      log.error({ err }, 'expiry sweep failed');
    }
    const now = store.clock();
    try {
      store.bindings.pruneBefore(now - this.ctx.config().pay.bindingTtlSeconds * 1000);
    } catch (err) {
      log.error({ err }, 'ClientHello reports prune failed');
    }
    if (now >= this.nextPrune) {
      // a backlog (more than one round's worth) is worked off a round per second
      this.nextPrune = now + (this.pruneSightings(now) >= PRUNE_CHUNK * PRUNE_MAX_ROUNDS ? 1000 : PRUNE_INTERVAL_MS);
    }
  }

  /** Deletes the sightings that matched no order once older than audit.retentionDays, in small transactions. */
  pruneSightings(now = this.ctx.store.clock()): number {
    const { store, metrics, log } = this.ctx;
    const days = this.ctx.config().audit.retentionDays;
    if (days === null) return 0;
    const before = now - days * 86_400_000;
    let total = 0;
    try {
      for (let i = 0; i < PRUNE_MAX_ROUNDS; i++) {
        const n = store.associator.pruneUnlinked(before, PRUNE_CHUNK);
        total += n;
        if (n < PRUNE_CHUNK) break;
      }
    } catch (err) {
      log.error({ err }, 'sightings prune failed');
    }
    if (total > 0) {
      metrics.sightingsPruned.inc(total);
      log.info({ deleted: total, retentionDays: days }, 'old sightings of unknown tokens deleted');
    }
    return total;
  }

  /**
   * PRAGMA quick_check in a worker thread. Damage found while running stops the
   * daemon (exit 1): writing on into a damaged file spreads the damage, and a
   * restart refuses the file with the same message until it is restored.
   */
  async checkIntegrity(): Promise<boolean> {
    if (this.ctx.stopping()) return true;
    const { metrics, log } = this.ctx;
    const db = this.ctx.config().db!;
    const t0 = performance.now();
    let r: { findings: string[]; error?: boolean; code?: string };
    try {
      r = await quickCheckInWorker(db);
    } catch (err) {
      log.warn({ err }, 'database integrity check could not run');
      return true;
    }
    if (r.error && !/^SQLITE_(CORRUPT|NOTADB)/.test(r.code ?? '')) {
      log.warn({ error: r.findings[0], code: r.code }, 'database integrity check could not run');
      return true;
    }
    metrics.dbIntegrityCheckedAt.set(Math.floor(Date.now() / 1000));
    if (r.findings.length === 0) {
      metrics.dbIntegrityOk.set(1);
      log.debug({ ms: Math.round(performance.now() - t0) }, 'database integrity checked');
      return true;
    }
    metrics.dbIntegrityOk.set(0);
    const err = new DatabaseDamagedError(db, r.findings);
    log.fatal({ findings: r.findings.slice(0, 20) }, 'database damaged: stopping');
    process.stderr.write(`gnpay: ${err.message}\n`);
    this.onDamaged(err);
    return false;
  }
}
