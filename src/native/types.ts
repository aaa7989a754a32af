// The decode events as they reach JavaScript (docs/events.md is the contract).
// Produced by the native engine in batches; one JS call per batch, never per packet.

export type Carrier = 'query' | 'path' | 'host' | 'header' | 'cookie';
export type Via = 'http' | 'dns' | 'tls-sni';
export type ResolvedBy = 'teid' | 'ue-ip' | null;

export interface Tunnel {
  plane: 'control' | 'user';
  dir: 'uplink' | 'downlink';
  addr: string;
  teid: number;
  bearer?: number; // user plane only
}

export interface SessionEvent {
  type: 'session';
  event: 'create' | 'update' | 'delete';
  ts: string; // ISO-8601 UTC with microseconds, from the capture
  packet: number; // 1-based packet index in its capture file
  gtp: 1 | 2;
  imsi: string | null;
  msisdn: string | null;
  imei: string | null;
  apn: string | null;
  ueIp: string | null;
  ueIpv6: string | null;
  bearer: number | null;
  linkedBearer: number | null;
  tunnels: Tunnel[];
}

export interface SightingEvent {
  type: 'sighting';
  ts: string;
  packet: number;
  token: string;
  carrier: Carrier;
  via: Via;
  msisdn: string | null;
  imsi: string | null;
  imei: string | null;
  apn: string | null;
  ueIp: string;
  teid: number;
  resolvedBy: ResolvedBy;
  /** HTTP Host of the request, or the DNS query name / TLS SNI */
  host: string | null;
  /** which uplink request carried it: the same number for every sighting of one request */
  request: number;
}

/**
 * A TLS ClientHello to a pay host (EngineOptions.payHosts): what binds the TLS
 * connection the pay listener terminates to the tunnel that carried it.
 */
export interface HelloEvent {
  type: 'hello';
  ts: string;
  packet: number;
  /** ClientHello.random, 64 lower-case hex digits */
  random: string;
  sni: string;
  msisdn: string | null;
  imsi: string | null;
  ueIp: string;
  dst: string;
  teid: number;
  /** outer (GTP-U) source and destination of the G-PDU: the SGSN/SGW and the GGSN/PGW user-plane addresses */
  gsnSrc: string;
  gsnDst: string;
  resolvedBy: ResolvedBy;
  request: number;
}

export interface RequestEvent {
  type: 'request';
  ts: string;
  packet: number;
  via: Via;
  method: string | null;
  host: string | null;
  target: string | null;
  name: string | null;
  ueIp: string;
  dst: string;
  teid: number;
  imsi: string | null;
  msisdn: string | null;
  resolvedBy: ResolvedBy;
}

export type DecodeEvent = SessionEvent | SightingEvent | RequestEvent | HelloEvent;

export interface StatsEvent {
  type: 'stats';
  packets: number;
  bytes: number;
  [key: string]: unknown; // see docs/events.md
}

/** Bounds of the engine's tables (defaults in native/engine/engine.h). */
export interface EngineLimits {
  maxSessions: number;
  maxPendingRequests: number;
  pendingTimeoutSeconds: number;
  maxFragmentDatagrams: number;
  maxFragmentBytes: number;
  fragmentTimeoutSeconds: number;
  maxTcpFlows: number;
  maxRequestHeadBytes: number;
  tcpFlowTimeoutSeconds: number;
}

export interface CaptureOptions {
  /** capture files replayed in order (pcap or pcapng) */
  files?: string[];
  /** live interfaces (libpcap, TPACKET_V3) */
  interfaces?: string[];
  /** carrier specs, e.g. "query:gnpay_token", "host:pay.example.net" */
  carriers: string[];
  /** pay host names: ClientHellos to them are reported as `hello` events */
  payHosts?: string[];
  /** also emit `request` events for every uplink HTTP head / DNS query / ClientHello */
  requests?: boolean;
  limits?: Partial<EngineLimits>;
  /** files: a BPF expression (tcpdump syntax) frames must match to be decoded; the others are counted as `filtered` */
  filter?: string;
  /** files: write the GTP-C and GTP-U frames of the `select`ed subscribers to this pcapng file */
  write?: string;
  /** the subscribers whose frames `write` takes */
  select?: SubscriberSelection;
}

/** Subscribers by IMSI, MSISDN (digits) or UE address (IPv4 or IPv6 text); any one matches. */
export interface SubscriberSelection {
  imsi?: string[];
  msisdn?: string[];
  ueIp?: string[];
}

/**
 * A running capture: iterate it for batches of events (capture order). For
 * files the native reader waits while JS has not taken the previous batches
 * (backpressure); for live capture it sheds and counts instead.
 */
export interface CaptureSource extends AsyncIterable<DecodeEvent[]> {
  stats(): StatsEvent;
  close(): Promise<void>;
}
