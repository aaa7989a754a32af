// Prometheus metrics of the capture side, registered on the daemon's registry:
// packets, bytes and drops per interface (kernel / interface / shed), GTP-C
// messages by type and responses by cause, G-PDUs by resolution, sessions,
// token sightings by carrier, decoder anomalies by name. The engine keeps
// running totals; each scrape turns them into counter increments.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LiveInterfaceStats } from '../native';

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface CaptureStatsSource {
  stats(): Record<string, any>;
  captureStats(): LiveInterfaceStats[];
}

export class CaptureMetrics {
  private source: CaptureStatsSource | null = null;
  private readonly last = new Map<string, number>();
  private readonly packets: Counter<'interface'>;
  private readonly bytes: Counter<'interface'>;
  private readonly drops: Counter<'interface' | 'where'>;
  private readonly gtpc: Counter<'version' | 'type'>;
  private readonly causes: Counter<'version' | 'cause'>;
  private readonly gtpu: Counter<'type'>;
  private readonly gpdu: Counter<'resolution'>;
  private readonly sessionEvents: Counter<'event'>;
  private readonly anomalies: Counter<'name'>;
  private readonly decoded: Counter<never>;
  readonly sightingsByCarrier: Counter<'carrier' | 'via' | 'resolved'>;
  private readonly active: Gauge<never>;
  private readonly tables: Gauge<'table'>;
  private readonly checkpointAge: Gauge<never>;
  private readonly up: Gauge<'interface'>;
  private checkpointAt = 0;

  constructor(registry: Registry, prefix = 'gnpay_') {
    const registers = [registry];
    const collect = () => this.collect();
    // the first metric of this set pulls the engine totals for all of them at scrape time
    this.packets = new Counter({ name: `${prefix}capture_packets_total`, help: 'Packets captured, by interface', labelNames: ['interface'], registers, collect });
    this.bytes = new Counter({ name: `${prefix}capture_bytes_total`, help: 'Bytes captured (on the wire), by interface', labelNames: ['interface'], registers });
    this.drops = new Counter({
      name: `${prefix}capture_drops_total`,
      help: 'Packets lost: where="kernel" (socket/ring, pcap_stats ps_drop), "interface" (ps_ifdrop), events "shed" when JavaScript fell behind',
      labelNames: ['interface', 'where'],
      registers,
    });
    this.decoded = new Counter({ name: `${prefix}decode_packets_total`, help: 'Packets through the decode engine (files and interfaces)', registers });
    this.gtpc = new Counter({ name: `${prefix}gtpc_messages_total`, help: 'GTP-C messages by version and type', labelNames: ['version', 'type'], registers });
    this.causes = new Counter({ name: `${prefix}gtpc_responses_total`, help: 'GTP-C Create/Update/Delete responses by cause value', labelNames: ['version', 'cause'], registers });
    this.gtpu = new Counter({ name: `${prefix}gtpu_messages_total`, help: 'GTP-U messages by type', labelNames: ['type'], registers });
    this.gpdu = new Counter({ name: `${prefix}gpdu_total`, help: 'G-PDUs by how their subscriber was found (teid, ue_ip, unresolved) or downlink', labelNames: ['resolution'], registers });
    this.sessionEvents = new Counter({ name: `${prefix}session_events_total`, help: 'Subscriber contexts created, updated, deleted, evicted', labelNames: ['event'], registers });
    this.anomalies = new Counter({ name: `${prefix}decode_anomalies_total`, help: 'Decoder anomalies (truncated, malformed, unsupported, evicted) by stable name', labelNames: ['name'], registers });
    this.sightingsByCarrier = new Counter({
      name: `${prefix}token_sightings_total`,
      help: 'Token sightings by carrier, protocol and whether the subscriber was resolved',
      labelNames: ['carrier', 'via', 'resolved'],
      registers,
    });
    this.active = new Gauge({ name: `${prefix}sessions_active`, help: 'Subscriber contexts in the tunnel table', registers });
    this.tables = new Gauge({ name: `${prefix}decode_table_entries`, help: 'Entries held by the bounded decoder tables', labelNames: ['table'], registers });
    this.up = new Gauge({ name: `${prefix}capture_up`, help: '1 while the interface is captured, 0 once its capture stopped with an error (e.g. the interface disappeared)', labelNames: ['interface'], registers });
    this.checkpointAge = new Gauge({ name: `${prefix}checkpoint_age_seconds`, help: 'Seconds since the tunnel table was last checkpointed (0: never)', registers });
  }

  attach(source: CaptureStatsSource | null): void {
    if (this.source && source !== this.source) this.collect(); // keep the last totals of the old source
    this.source = source;
    this.last.clear();
  }

  checkpointed(at = Date.now()): void {
    this.checkpointAt = at;
  }

  private inc(key: string, total: number, counter: Counter<any>, labels: Record<string, string>): void {
    const prev = this.last.get(key) ?? 0;
    if (total > prev) counter.inc(labels, total - prev);
    this.last.set(key, total);
  }

  /** Pulls the engine and capture totals into the metrics (called at scrape time). */
  collect(): void {
    this.checkpointAge.set(this.checkpointAt ? (Date.now() - this.checkpointAt) / 1000 : 0);
    const src = this.source;
    if (!src) return;
    let s: Record<string, any>;
    try {
      s = src.stats();
    } catch {
      return; // engine closed between scrapes
    }
    this.active.set(s.sessions?.active ?? 0);
    this.inc('decoded', s.packets ?? 0, this.decoded, {});
    for (const v of ['v1', 'v2'])
      for (const [type, n] of Object.entries((s.gtpc?.[v] ?? {}) as Record<string, number>))
        this.inc(`gtpc:${v}:${type}`, n, this.gtpc, { version: v, type });
    for (const [v, key] of [['v1', 'causesV1'], ['v2', 'causesV2']])
      for (const [cause, n] of Object.entries((s.gtpc?.[key] ?? {}) as Record<string, number>))
        this.inc(`cause:${v}:${cause}`, n, this.causes, { version: v, cause });
    for (const [type, n] of Object.entries((s.gtpu ?? {}) as Record<string, number>)) this.inc(`gtpu:${type}`, n, this.gtpu, { type });
    const g = s.gpdu ?? {};
    this.inc('gpdu:teid', g.byTeid ?? 0, this.gpdu, { resolution: 'teid' });
    this.inc('gpdu:ue_ip', g.byUeIp ?? 0, this.gpdu, { resolution: 'ue_ip' });
    this.inc('gpdu:unresolved', g.unresolved ?? 0, this.gpdu, { resolution: 'unresolved' });
    this.inc('gpdu:downlink', g.downlink ?? 0, this.gpdu, { resolution: 'downlink' });
    for (const ev of ['created', 'updated', 'deleted', 'evicted']) this.inc(`sess:${ev}`, s.sessions?.[ev] ?? 0, this.sessionEvents, { event: ev });
    for (const [name, n] of Object.entries((s.anomalies ?? {}) as Record<string, number>)) this.inc(`an:${name}`, n, this.anomalies, { name });
    for (const [table, n] of Object.entries((s.tables ?? {}) as Record<string, number>))
      if (!/^max|Bytes$/.test(table)) this.tables.set({ table }, n);
    for (const st of src.captureStats()) {
      const i = st.interface;
      this.inc(`pk:${i}`, st.packets, this.packets, { interface: i });
      this.inc(`by:${i}`, st.bytes, this.bytes, { interface: i });
      this.inc(`dk:${i}`, st.kernelDropped, this.drops, { interface: i, where: 'kernel' });
      this.inc(`di:${i}`, st.interfaceDropped, this.drops, { interface: i, where: 'interface' });
      this.inc(`ds:${i}`, st.shedEvents, this.drops, { interface: i, where: 'shed' });
      this.up.set({ interface: i }, st.error === null ? 1 : 0);
    }
  }
}
