// Prometheus metrics of the capture side, registered on the daemon's registry:
// packets, bytes, drops and shed events per interface, whether each configured
// interface is captured, GTP-C messages by type and responses by cause, G-PDUs
// by resolution, sessions, decoder anomalies by name, the tunnel-table
// checkpoint. The engine keeps running totals; each scrape turns them into
// counter increments. Every series the engine reports exists from the first
// scrape (0 until something happens).
import { Counter, Gauge, type Registry } from '../prom';
import type { LiveInterfaceStats } from '../native';
import { count, counterGroups, counters } from '../native/stats';

export interface CaptureStatsSource {
  /** the engine's stats event (docs/events.md): nested objects of counters */
  stats(): Record<string, unknown>;
  captureStats(): LiveInterfaceStats[];
}

export class CaptureMetrics {
  private source: CaptureStatsSource | null = null;
  private readonly last = new Map<string, number>();
  private readonly packets: Counter<'interface'>;
  private readonly bytes: Counter<'interface'>;
  private readonly drops: Counter<'interface' | 'where'>;
  private readonly shedEvents: Counter<'interface'>;
  private readonly shedBatches: Counter<'interface'>;
  private readonly gtpc: Counter<'version' | 'type'>;
  private readonly causes: Counter<'version' | 'cause'>;
  private readonly gtpu: Counter<'type'>;
  private readonly gpdu: Counter<'resolution'>;
  private readonly sessionEvents: Counter<'event'>;
  private readonly anomalies: Counter<'name' | 'kind'>;
  private readonly anomalyKinds = new Map<string, string>();
  private readonly decoded: Counter<never>;
  private readonly active: Gauge<never>;
  private readonly tables: Gauge<'table'>;
  private readonly checkpointAt: Gauge<never>;
  private readonly up: Gauge<'interface'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const collect = () => this.collect();
    const p = 'gnpay_';
    // the first metric of this set pulls the engine totals for all of them at scrape time
    this.up = new Gauge({
      name: `${p}capture_up`,
      help: '1 while a configured interface is captured; 0 before its capture started and once it stopped with an error (e.g. the interface disappeared)',
      labelNames: ['interface'],
      registers,
      collect,
    });
    this.packets = new Counter({
      name: `${p}capture_packets_total`,
      help: 'Packets captured, by interface',
      labelNames: ['interface'],
      registers,
    });
    this.bytes = new Counter({
      name: `${p}capture_bytes_total`,
      help: 'Bytes captured (on the wire), by interface',
      labelNames: ['interface'],
      registers,
    });
    this.drops = new Counter({
      name: `${p}capture_dropped_packets_total`,
      help: 'Packets lost before gnpay saw them, by interface and where: kernel (socket buffer / ring full, pcap_stats ps_drop) or interface (NIC / driver, ps_ifdrop)',
      labelNames: ['interface', 'where'],
      registers,
    });
    this.shedEvents = new Counter({
      name: `${p}capture_shed_events_total`,
      help: 'Decode events (sessions, sightings) discarded because JavaScript fell behind the capture thread, by interface',
      labelNames: ['interface'],
      registers,
    });
    this.shedBatches = new Counter({
      name: `${p}capture_shed_batches_total`,
      help: 'Batches of decode events discarded because JavaScript fell behind the capture thread, by interface',
      labelNames: ['interface'],
      registers,
    });
    this.decoded = new Counter({
      name: `${p}decode_packets_total`,
      help: 'Packets through the decode engine (files and interfaces)',
      registers,
    });
    this.gtpc = new Counter({
      name: `${p}gtpc_messages_total`,
      help: 'GTP-C messages, by version and message type',
      labelNames: ['version', 'type'],
      registers,
    });
    this.causes = new Counter({
      name: `${p}gtpc_responses_total`,
      help: 'GTP-C Create/Update/Delete responses, by version and cause value',
      labelNames: ['version', 'cause'],
      registers,
    });
    this.gtpu = new Counter({
      name: `${p}gtpu_messages_total`,
      help: 'GTP-U messages, by message type',
      labelNames: ['type'],
      registers,
    });
    this.gpdu = new Counter({
      name: `${p}gpdus_total`,
      help: 'G-PDUs, by how their subscriber was found (teid, ue_ip, unresolved) or downlink (not looked up)',
      labelNames: ['resolution'],
      registers,
    });
    this.sessionEvents = new Counter({
      name: `${p}session_events_total`,
      help: 'Subscriber contexts created, updated, deleted, evicted',
      labelNames: ['event'],
      registers,
    });
    this.anomalies = new Counter({
      name: `${p}decode_anomalies_total`,
      help: 'Decoder anomalies, by stable name (native/decode/status.h) and kind (truncated, malformed, unsupported, evicted)',
      labelNames: ['name', 'kind'],
      registers,
    });
    this.active = new Gauge({
      name: `${p}sessions_active`,
      help: 'Subscriber contexts in the tunnel table',
      registers,
    });
    this.tables = new Gauge({
      name: `${p}decode_table_entries`,
      help: 'Entries held by the bounded decoder tables, by table',
      labelNames: ['table'],
      registers,
    });
    this.checkpointAt = new Gauge({
      name: `${p}checkpoint_last_success_timestamp_seconds`,
      help: 'When the tunnel table was last checkpointed into the database (Unix time); absent until the first checkpoint (live capture only)',
      registers,
    });
    this.checkpointAt.remove(); // no sample at all until there is a checkpoint: never is not "1970"
  }

  /** The configured interfaces: their series exist (capture_up 0) before their capture starts. */
  declareInterfaces(names: readonly string[]): void {
    for (const i of names) {
      this.up.set({ interface: i }, 0);
      this.packets.inc({ interface: i }, 0);
      this.bytes.inc({ interface: i }, 0);
      for (const where of ['kernel', 'interface']) this.drops.inc({ interface: i, where }, 0);
      this.shedEvents.inc({ interface: i }, 0);
      this.shedBatches.inc({ interface: i }, 0);
    }
  }

  /** The anomaly series exist from the start (0), one per stable name. */
  declareAnomalies(anomalies: ReadonlyArray<{ name: string; kind: string }>): void {
    for (const { name, kind } of anomalies) {
      this.anomalyKinds.set(name, kind);
      this.anomalies.inc({ name, kind }, 0);
    }
  }

  attach(source: CaptureStatsSource | null): void {
    if (this.source && source !== this.source) this.collect(); // keep the last totals of the old source
    this.source = source;
    this.last.clear();
  }

  /** A checkpoint was written (or restored) at `at` (ms since the epoch). */
  checkpointed(at = Date.now()): void {
    this.checkpointAt.set(Math.floor(at / 1000));
  }

  private inc(key: string, total: number, counter: Counter<string>, labels: Record<string, string>): void {
    const prev = this.last.get(key) ?? 0;
    counter.inc(labels, total > prev ? total - prev : 0);
    this.last.set(key, total);
  }

  /** Pulls the engine and capture totals into the metrics (called at scrape time). */
  collect(): void {
    const src = this.source;
    if (!src) return;
    let s: Record<string, unknown>;
    try {
      s = src.stats();
    } catch {
      return; // engine closed between scrapes
    }
    const sessions = counters(s.sessions);
    const gtpc = counterGroups(s.gtpc);
    this.active.set(sessions.active ?? 0);
    this.inc('decoded', count(s.packets), this.decoded, {});
    for (const v of ['v1', 'v2'])
      for (const [type, n] of Object.entries(gtpc[v] ?? {}))
        this.inc(`gtpc:${v}:${type}`, n, this.gtpc, { version: v, type });
    for (const [v, key] of [
      ['v1', 'causesV1'],
      ['v2', 'causesV2'],
    ] as const)
      for (const [cause, n] of Object.entries(gtpc[key] ?? {}))
        this.inc(`cause:${v}:${cause}`, n, this.causes, { version: v, cause });
    for (const [type, n] of Object.entries(counters(s.gtpu))) this.inc(`gtpu:${type}`, n, this.gtpu, { type });
    const g = counters(s.gpdu);
    this.inc('gpdu:teid', g.byTeid ?? 0, this.gpdu, { resolution: 'teid' });
    this.inc('gpdu:ue_ip', g.byUeIp ?? 0, this.gpdu, { resolution: 'ue_ip' });
    this.inc('gpdu:unresolved', g.unresolved ?? 0, this.gpdu, { resolution: 'unresolved' });
    this.inc('gpdu:downlink', g.downlink ?? 0, this.gpdu, { resolution: 'downlink' });
    for (const ev of ['created', 'updated', 'deleted', 'evicted'])
      this.inc(`sess:${ev}`, sessions[ev] ?? 0, this.sessionEvents, { event: ev });
    for (const [name, n] of Object.entries(counters(s.anomalies)))
      this.inc(`an:${name}`, n, this.anomalies, { name, kind: this.anomalyKinds.get(name) ?? 'unknown' });
    for (const [table, n] of Object.entries(counters(s.tables)))
      if (!/^max|Bytes$/.test(table)) this.tables.set({ table }, n);
    for (const st of src.captureStats()) {
      const i = st.interface;
      this.inc(`pk:${i}`, st.packets, this.packets, { interface: i });
      this.inc(`by:${i}`, st.bytes, this.bytes, { interface: i });
      this.inc(`dk:${i}`, st.kernelDropped, this.drops, { interface: i, where: 'kernel' });
      this.inc(`di:${i}`, st.interfaceDropped, this.drops, { interface: i, where: 'interface' });
      this.inc(`se:${i}`, st.shedEvents, this.shedEvents, { interface: i });
      this.inc(`sb:${i}`, st.shedBatches, this.shedBatches, { interface: i });
      this.up.set({ interface: i }, st.error === null ? 1 : 0);
    }
  }

  /** Whether any configured interface is captured now (for readiness). */
  anyUp(): boolean {
    const src = this.source;
    if (!src) return false;
    try {
      const st = src.captureStats();
      return st.some((x) => x.error === null);
    } catch {
      return false;
    }
  }
}
