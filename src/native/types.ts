// The decode events as they reach JavaScript (docs/events.md is the contract).
// Produced by the native engine in batches; one JS call per batch, never per packet.

export type Carrier = 'query' | 'path' | 'host' | 'header' | 'cookie';
export type Via = 'http' | 'dns' | 'tls-sni';
export type ResolvedBy = 'teid' | 'ue-ip' | null;
/**
 * A TEID: a number in the events the daemon's pipeline sees; in `gnpay decode`
 * output (CaptureOptions.hexTeids) the string "0x" + 8 lower-case hex digits,
 * as tshark shows it.
 */
export type Teid = number;

import type { HelloEvent, RequestEvent, SessionEvent, SightingEvent } from './event-types';

// the event interfaces are generated from native/engine/event_fields.def
export type { HelloEvent, RequestEvent, SessionEvent, SightingEvent, Tunnel } from './event-types';

export type DecodeEvent = SessionEvent | SightingEvent | RequestEvent | HelloEvent;

export interface StatsEvent {
  type: 'stats';
  packets: number;
  bytes: number;
  [key: string]: unknown; // see docs/events.md
}

import type { EngineLimits } from './limits';

// the engine limits are generated from native/engine/limits.def
export type { EngineLimits } from './limits';

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
  /** files: TEIDs as "0x…" strings, as tshark shows them (`gnpay decode` output), instead of numbers */
  hexTeids?: boolean;
  /** files: write the GTP-C and GTP-U frames of the `select`ed subscribers to this pcapng file */
  write?: string;
  /** the subscribers whose frames `write` takes */
  select?: SubscriberSelection;
  /**
   * the event types handed to JavaScript (absent: all); the engine does not
   * write the others (the `--write` selection and the statistics still see every event)
   */
  types?: DecodeEvent['type'][];
  /**
   * files: read on a thread of their own (the default), or on the decoding
   * thread (replayReaderThread() says which suits the machine)
   */
  readerThread?: boolean;
  /** files: events per batch and batches that may wait for JavaScript (defaults 256 and 8) */
  batchEvents?: number;
  maxBatches?: number;
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
