// source -> associate: consumes batches of decode events (any
// AsyncIterable<DecodeEvent[]>: the native engine, or synthetic batches in
// tests) and processes the sightings of each batch in one transaction.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { DecodeEvent, SightingEvent } from '../native/types';
import type { Store } from '../store';
import type { PerMsisdnLimits, SightingResult } from '../store/associate';
import { SIGHTING_OUTCOMES, type SightingOutcome } from '../store/types';

export interface PipelineDeps {
  store: Store;
  /** identifies the source for replay deduplication ("live", or the files) */
  sourceId: string;
  limits: () => PerMsisdnLimits;
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
  outcomes: Record<SightingOutcome, number>;
}

export function emptyStats(): PipelineStats {
  return { batches: 0, events: 0, sightings: 0, replayed: 0, failed: 0, outcomes: Object.fromEntries(SIGHTING_OUTCOMES.map((o) => [o, 0])) as Record<SightingOutcome, number> };
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
  const sightings = batch.filter((e): e is SightingEvent => e.type === 'sighting');
  if (sightings.length === 0) return stats;
  const ctx = { now: deps.store.clock(), sourceId: deps.sourceId, limits: deps.limits() };
  // one result per sighting, in order (null: it could not be processed)
  let results: Array<SightingResult | null>;
  try {
    results = deps.store.associator.process(sightings, ctx);
  } catch (err) {
    // one bad sighting must not stop the pipeline: the batch again, one sighting per transaction
    deps.log?.error({ err }, 'batch failed, retrying its sightings one by one');
    results = [];
    for (const s of sightings) {
      try {
        results.push(...deps.store.associator.process([s], ctx));
      } catch (e) {
        deps.log?.error({ err: e, packet: s.packet }, 'sighting failed, skipped');
        deps.metrics?.sightings.inc({ carrier: s.carrier, via: s.via, outcome: 'error' });
        stats.failed++;
        results.push(null);
      }
    }
  }
  deps.metrics?.batches.inc();
  let associated = false;
  const done: SightingResult[] = [];
  results.forEach((r, i) => {
    if (r === null) return;
    done.push(r);
    stats.sightings++;
    if (r.replayed) {
      stats.replayed++;
      return;
    }
    const s = sightings[i];
    stats.outcomes[r.outcome]++;
    deps.metrics?.sightings.inc({ carrier: s.carrier, via: s.via, outcome: r.outcome });
    if (r.outcome === 'associated') {
      associated = true;
      // the audit line of a binding: which subscriber the network says sent the order's token (personal data redacted as configured)
      deps.log?.info(
        { orderId: r.orderId, msisdn: s.msisdn, imsi: s.imsi, apn: s.apn, teid: s.teid, ueIp: s.ueIp, carrier: s.carrier, via: s.via, host: s.host, resolvedBy: s.resolvedBy, packet: s.packet, ts: s.ts },
        'order associated',
      );
    } else deps.log?.debug({ orderId: r.orderId, outcome: r.outcome, carrier: s.carrier, via: s.via, packet: s.packet }, 'sighting');
  });
  if (associated) deps.onAssociated?.();
  deps.onCommitted?.(done);
  return stats;
}
