// source -> associate: consumes batches of decode events (any
// AsyncIterable<DecodeEvent[]>: the native engine, or synthetic batches in
// tests) and processes the sightings of each batch in one transaction,
// yielding to the event loop between batches. A sighting is never dropped
// because the database cannot be written: a replay waits, a live capture
// spools (StoreOutage).
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { DecodeEvent, HelloEvent, SightingEvent } from '../native/types';
import type { Store } from '../store';
import type { PerMsisdnLimits, SightingResult } from '../store/associate';
import { commitLazily, isStorageError } from '../store/db';
import { SIGHTING_OUTCOMES, type SightingOutcome } from '../store/types';

export interface PipelineDeps {
  store: Store;
  /** identifies the source for replay deduplication ("live", or the files) */
  sourceId: string;
  limits: () => PerMsisdnLimits;
  /** the pay host(s): legacy carriers count only on requests to them */
  payHosts?: () => readonly string[];
  metrics?: Metrics;
  log?: Logger;
  /** a batch associated at least one order (the payment worker is woken) */
  onAssociated?: () => void;
  /** a batch was committed (webhooks of the changes are due) */
  onCommitted?: (results: { outcome: SightingOutcome; orderId: string | null }[]) => void;
  /** every batch, before its sightings */
  onBatch?: (batch: DecodeEvent[]) => void;
  /** a batch's sightings were stored: one result each, in order (null: it could not be processed) */
  onStored?: (sightings: SightingEvent[], results: readonly (SightingResult | null)[]) => void;
  /** what to do while the database cannot be written (without: the error is thrown) */
  outage?: StoreOutage;
}

export interface PipelineStats {
  batches: number;
  events: number;
  sightings: number;
  /** sightings processed before (replay after a restart): nothing changed */
  replayed: number;
  /** sightings that could not be processed (logged, skipped) */
  failed: number;
  /** sightings kept in the spool while the database could not be written (live) */
  spooled: number;
  /** sightings lost: the database could not be written and the spool was full */
  lost: number;
  /** sightings not stored because the replay was stopped while the database could not be written */
  unstored: number;
  /** ClientHellos to the pay host by outcome (bound: stored for the pay page) */
  hellos: Record<string, number>;
  outcomes: Record<SightingOutcome, number>;
}

export function emptyStats(): PipelineStats {
  return {
    batches: 0,
    events: 0,
    sightings: 0,
    replayed: 0,
    failed: 0,
    spooled: 0,
    lost: 0,
    unstored: 0,
    hellos: {},
    outcomes: Object.fromEntries(SIGHTING_OUTCOMES.map((o) => [o, 0])) as Record<SightingOutcome, number>,
  };
}

/** The database could not take a write (disk full, I/O error, locked, read-only): nothing was skipped, the batch can be tried again. */
export class StoreUnavailableError extends Error {
  constructor(override readonly cause: Error) {
    super(`the database cannot be written: ${cause.message}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Where sightings go when the database cannot take them. A replay waits
 * (back-pressure: the next batch is not read until this one is stored); a
 * live capture cannot wait, so its batches go to a durable spool and are
 * stored from there, in order, once the database takes writes again.
 */
export interface StoreOutage {
  /** the database failed a write: readiness false, metric, loud log */
  down(err: Error): void;
  /** a write went through again */
  up(): void;
  /** live: keep the batch in the spool (false when it is full: the sightings are lost, counted) */
  spool?(sightings: SightingEvent[], now: number): boolean;
  /** live: sightings are waiting in the spool (new ones queue behind them) */
  spooled?(): boolean;
}

/** Runs until the source ends or `signal` aborts (between batches). */
export async function runPipeline(
  source: AsyncIterable<DecodeEvent[]>,
  deps: PipelineDeps,
  signal?: AbortSignal,
  stats = emptyStats(),
): Promise<PipelineStats> {
  for await (const batch of source) {
    await storeBatch(batch, deps, stats, signal);
    if (signal?.aborted) break;
    // timers, I/O and signals get their turn between batches: a replay never starves the event loop
    await new Promise((r) => setImmediate(r));
  }
  return stats;
}

/** Stores a batch, waiting (replay) or spooling (live) while the database cannot be written; never drops it silently. */
async function storeBatch(
  batch: DecodeEvent[],
  deps: PipelineDeps,
  stats: PipelineStats,
  signal?: AbortSignal,
): Promise<void> {
  const outage = deps.outage;
  const sightings = countBatch(batch, deps, stats);
  if (sightings.length === 0) return;
  const now = deps.store.clock();
  if (outage?.spooled?.()) {
    // keep the order: behind what waits in the spool
    spoolOrLose(sightings, now, deps, stats);
    return;
  }
  let wait = 100;
  for (;;) {
    try {
      storeSightings(sightings, deps, stats, now);
      outage?.up();
      return;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      outage?.down(err.cause);
      if (outage?.spool) {
        spoolOrLose(sightings, now, deps, stats);
        return;
      }
      if (!outage) throw err;
      if (signal?.aborted) {
        // stopped while the database could not be written: these sightings were not stored
        stats.unstored += sightings.length;
        deps.log?.error(
          { sightings: sightings.length },
          'stopped while the database could not be written: sightings not stored (run the replay again)',
        );
        return;
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, wait);
        signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
      });
      wait = Math.min(wait * 2, 5000);
    }
  }
}

function spoolOrLose(sightings: SightingEvent[], now: number, deps: PipelineDeps, stats: PipelineStats): void {
  if (deps.outage!.spool!(sightings, now)) {
    stats.spooled += sightings.length;
    deps.metrics?.sightingsSpooled.inc(sightings.length);
    return;
  }
  stats.lost += sightings.length;
  deps.metrics?.sightingsLost.inc(sightings.length);
  deps.log?.error(
    { sightings: sightings.length },
    'SIGHTINGS LOST: the database cannot be written and the spool is full',
  );
}

function countBatch(batch: DecodeEvent[], deps: PipelineDeps, stats: PipelineStats): SightingEvent[] {
  deps.onBatch?.(batch);
  stats.batches++;
  stats.events += batch.length;
  const hellos = batch.filter((e): e is HelloEvent => e.type === 'hello');
  if (hellos.length) recordHellos(hellos, deps, stats);
  return batch.filter((e): e is SightingEvent => e.type === 'sighting');
}

/**
 * Processes the sightings of a batch in one transaction (`now`: when they
 * arrived). Throws StoreUnavailableError, having skipped nothing, when the
 * database cannot be written; a sighting that fails for any other reason is
 * logged, counted as lost and skipped.
 */
export function processBatch(
  batch: DecodeEvent[],
  deps: PipelineDeps,
  stats: PipelineStats = emptyStats(),
  now = deps.store.clock(),
): PipelineStats {
  const sightings = countBatch(batch, deps, stats);
  if (sightings.length > 0) storeSightings(sightings, deps, stats, now);
  return stats;
}

export function storeSightings(
  sightings: SightingEvent[],
  deps: PipelineDeps,
  stats: PipelineStats,
  now: number,
): void {
  const ctx = { now, sourceId: deps.sourceId, limits: deps.limits(), payHosts: deps.payHosts?.() ?? [] };
  // one result per sighting, in order (null: it could not be processed)
  let results: Array<SightingResult | null>;
  try {
    results = deps.store.associator.process(sightings, ctx);
  } catch (err) {
    if (isStorageError(err)) throw new StoreUnavailableError(err as Error);
    // one bad sighting must not stop the pipeline: the batch again, one sighting per transaction
    deps.log?.error({ err }, 'batch failed, retrying its sightings one by one');
    results = [];
    for (const s of sightings) {
      try {
        results.push(...deps.store.associator.process([s], ctx));
      } catch (e) {
        if (isStorageError(e)) throw new StoreUnavailableError(e as Error);
        deps.log?.error({ err: e, packet: s.packet }, 'sighting failed, skipped');
        deps.metrics?.sightings.inc({ carrier: s.carrier, via: s.via, outcome: 'error' });
        deps.metrics?.sightingsLost.inc();
        stats.failed++;
        results.push(null);
      }
    }
  }
  deps.metrics?.batches.inc();
  deps.onStored?.(sightings, results);
  let associated = false;
  const done: SightingResult[] = [];
  // the batch's sightings by carrier, via and outcome: one metric update per kind
  const counted = new Map<string, { carrier: string; via: string; outcome: SightingOutcome; n: number }>();
  results.forEach((r, i) => {
    if (r === null) return;
    done.push(r);
    stats.sightings++;
    if (r.replayed) {
      stats.replayed++;
      return;
    }
    const s = sightings[i];
    if (!s) return;
    stats.outcomes[r.outcome]++;
    const kind = `${s.carrier}|${s.via}|${r.outcome}`;
    const c = counted.get(kind);
    if (c) c.n++;
    else counted.set(kind, { carrier: s.carrier, via: s.via, outcome: r.outcome, n: 1 });
    if (r.outcome === 'associated') {
      associated = true;
      // the audit line of a binding: which subscriber the network says sent the order's token (personal data redacted as configured)
      deps.log?.info(
        {
          orderId: r.orderId,
          msisdn: s.msisdn,
          imsi: s.imsi,
          apn: s.apn,
          teid: s.teid,
          ueIp: s.ueIp,
          carrier: s.carrier,
          via: s.via,
          host: s.host,
          resolvedBy: s.resolvedBy,
          packet: s.packet,
          ts: s.ts,
        },
        'order associated',
      );
    } else
      deps.log?.debug(
        { orderId: r.orderId, outcome: r.outcome, carrier: s.carrier, via: s.via, packet: s.packet },
        'sighting',
      );
  });
  for (const { n, ...labels } of counted.values()) deps.metrics?.sightings.inc(labels, n);
  if (associated) deps.onAssociated?.();
  deps.onCommitted?.(done);
}
// per tunnel: ClientHellos to the pay host a tunnel may report per second (token bucket), and the burst
const HELLO_RATE = 20;
const HELLO_BURST = 100;
const helloBuckets = new WeakMap<Store, Map<string, { tokens: number; at: number }>>();

function helloAllowed(store: Store, h: HelloEvent, now: number): boolean {
  let m = helloBuckets.get(store);
  if (!m) helloBuckets.set(store, (m = new Map<string, { tokens: number; at: number }>()));
  const key = `${h.gsnDst}|${h.teid}`;
  let b = m.get(key);
  if (!b) {
    if (m.size >= 100_000) m.clear();
    m.set(key, (b = { tokens: HELLO_BURST, at: now }));
  }
  b.tokens = Math.min(HELLO_BURST, b.tokens + ((now - b.at) / 1000) * HELLO_RATE);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

/**
 * Stores the probe's ClientHello reports (the pay listener looks them up) and
 * wakes waiting lookups. Committed without fsync (commitLazily): a binding a
 * power cut loses only makes the pay page of that connection ask for the link
 * to be opened again, and the batch's sightings, committed next with fsync,
 * make these rows durable too (the log is written in order).
 */
function recordHellos(hellos: HelloEvent[], deps: PipelineDeps, stats: PipelineStats): void {
  const store = deps.store;
  const now = store.clock();
  let outcomes: string[] = [];
  try {
    outcomes = commitLazily(store.db, () =>
      hellos.map((h) => (helloAllowed(store, h, now) ? store.bindings.record(h, now) : 'ratelimited')),
    );
  } catch (err) {
    // the page of such a connection says to open the link again; nothing is charged on a missing binding
    deps.log?.error({ err: { message: (err as Error).message } }, 'ClientHello reports could not be stored');
    outcomes = hellos.map(() => 'error');
  }
  const counted: Record<string, number> = {};
  for (const o of outcomes) counted[o] = (counted[o] ?? 0) + 1;
  for (const [o, n] of Object.entries(counted)) {
    stats.hellos[o] = (stats.hellos[o] ?? 0) + n;
    deps.metrics?.hellos.inc({ outcome: o }, n);
  }
  if (outcomes.includes('bound')) store.bindings.notify();
}
