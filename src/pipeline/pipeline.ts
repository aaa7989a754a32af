// source -> associate: consumes batches of decode events (any
// AsyncIterable<DecodeEvent[]>: the native engine, or synthetic batches in
// tests) and processes the sightings of each batch in one transaction.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { DecodeEvent, HelloEvent, SightingEvent } from '../native/types';
import type { Store } from '../store';
import type { PerMsisdnLimits } from '../store/associate';
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
  /** every batch, before its sightings (hook for the tunnel-table checkpoint, session metrics) */
  onBatch?: (batch: DecodeEvent[]) => void;
}

export interface PipelineStats {
  batches: number;
  events: number;
  sightings: number;
  /** sightings processed before (replay after a restart): nothing changed */
  replayed: number;
  /** sightings that could not be processed (logged, skipped) */
  failed: number;
  /** ClientHellos to the pay host by outcome (bound: stored for the pay page) */
  hellos: Record<string, number>;
  outcomes: Record<SightingOutcome, number>;
}

export function emptyStats(): PipelineStats {
  return { batches: 0, events: 0, sightings: 0, replayed: 0, failed: 0, hellos: {}, outcomes: Object.fromEntries(SIGHTING_OUTCOMES.map((o) => [o, 0])) as Record<SightingOutcome, number> };
}

/** Runs until the source ends or `signal` aborts (between batches). */
export async function runPipeline(source: AsyncIterable<DecodeEvent[]>, deps: PipelineDeps, signal?: AbortSignal, stats = emptyStats()): Promise<PipelineStats> {
  for await (const batch of source) {
    processBatch(batch, deps, stats);
    if (signal?.aborted) break;
  }
  return stats;
}

export function processBatch(batch: DecodeEvent[], deps: PipelineDeps, stats: PipelineStats = emptyStats()): PipelineStats {
  deps.onBatch?.(batch);
  stats.batches++;
  stats.events += batch.length;
  const hellos = batch.filter((e): e is HelloEvent => e.type === 'hello');
  if (hellos.length) recordHellos(hellos, deps, stats);
  const sightings = batch.filter((e): e is SightingEvent => e.type === 'sighting');
  if (sightings.length === 0) return stats;
  const ctx = { now: deps.store.clock(), sourceId: deps.sourceId, limits: deps.limits(), payHosts: deps.payHosts?.() ?? [] };
  let results: ReturnType<Store['associator']['process']>;
  try {
    results = deps.store.associator.process(sightings, ctx);
  } catch (err) {
    // one bad sighting must not stop the pipeline: the batch again, one sighting per transaction
    deps.log?.error({ err: { message: (err as Error).message } }, 'batch failed, retrying its sightings one by one');
    results = [];
    for (const s of sightings) {
      try {
        results.push(...deps.store.associator.process([s], ctx));
      } catch (e) {
        deps.log?.error({ err: { message: (e as Error).message }, packet: s.packet }, 'sighting failed, skipped');
        deps.metrics?.sightings.inc({ outcome: 'error' });
        stats.failed++;
      }
    }
  }
  deps.metrics?.batches.inc();
  let associated = false;
  for (const r of results) {
    stats.sightings++;
    if (r.replayed) {
      stats.replayed++;
      continue;
    }
    stats.outcomes[r.outcome]++;
    deps.metrics?.sightings.inc({ outcome: r.outcome });
    if (r.outcome === 'associated') associated = true;
  }
  if (associated) deps.onAssociated?.();
  deps.onCommitted?.(results);
  return stats;
}

// per tunnel: ClientHellos to the pay host a tunnel may report per second (token bucket), and the burst
const HELLO_RATE = 20;
const HELLO_BURST = 100;
const helloBuckets = new WeakMap<Store, Map<string, { tokens: number; at: number }>>();

function helloAllowed(store: Store, h: HelloEvent, now: number): boolean {
  let m = helloBuckets.get(store);
  if (!m) helloBuckets.set(store, (m = new Map()));
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

/** Stores the probe's ClientHello reports (the pay listener looks them up) and wakes waiting lookups. */
function recordHellos(hellos: HelloEvent[], deps: PipelineDeps, stats: PipelineStats): void {
  const store = deps.store;
  const now = store.clock();
  let outcomes: string[] = [];
  try {
    outcomes = store.transitions.tx(() => hellos.map((h) => (helloAllowed(store, h, now) ? store.bindings.record(h, now) : 'ratelimited')));
  } catch (err) {
    deps.log?.error({ err: { message: (err as Error).message } }, 'ClientHello reports could not be stored');
    outcomes = hellos.map(() => 'error');
  }
  for (const o of outcomes) {
    stats.hellos[o] = (stats.hellos[o] ?? 0) + 1;
    deps.metrics?.hellos.inc({ outcome: o });
  }
  if (outcomes.includes('bound')) store.bindings.notify();
}
