// Generated from native/engine/event_fields.def by `npm run docs`: do not edit.
// The decode events as they reach JavaScript (docs/events.md is the contract).
import type { Carrier, ResolvedBy, Teid, Via } from './types';

/** A tunnel endpoint of a session. */
export interface Tunnel {
  /** GTP-C or GTP-U endpoint */
  plane: 'control' | 'user';
  /** direction of the traffic that arrives at the endpoint */
  dir: 'uplink' | 'downlink';
  /** GSN address */
  addr: string;
  /** TEID of the endpoint */
  teid: Teid;
  /** user plane only: NSAPI / EBI */
  bearer?: number;
}

/** A GTP-C procedure accepted by a response: a context created, changed or removed. */
export interface SessionEvent {
  /** event type */
  type: 'session';
  /** what the accepted GTP-C procedure did to the context */
  event: 'create' | 'update' | 'delete';
  /** capture time of the packet, ISO-8601 UTC, microseconds */
  ts: string;
  /** 1-based index of the packet in its capture file */
  packet: number;
  /** the capture file of the packet, as named to gnpay (null: live capture) */
  file: string | null;
  /** GTP-C version */
  gtp: 1 | 2;
  /** IMSI digits */
  imsi: string | null;
  /** MSISDN digits (no +) */
  msisdn: string | null;
  /** IMEI(SV) digits */
  imei: string | null;
  /** dotted APN */
  apn: string | null;
  /** the UE's IPv4 address, else its IPv6 address */
  ueIp: string | null;
  /** the UE's IPv6 address */
  ueIpv6: string | null;
  /** NSAPI (GTPv1) or EBI (GTPv2) */
  bearer: number | null;
  /** the primary's NSAPI / the linked EBI */
  linkedBearer: number | null;
  /** the context's known tunnel endpoints (at most 16) */
  tunnels: Tunnel[];
}

/** A token seen in what a UE sent uplink. */
export interface SightingEvent {
  /** event type */
  type: 'sighting';
  /** capture time of the packet that completed the request */
  ts: string;
  /** 1-based index of that packet in its capture file */
  packet: number;
  /** the capture file of that packet, as named to gnpay (null: live capture) */
  file: string | null;
  /** the token as sent (host tokens lower-case) */
  token: string;
  /** the carrier kind it was found in */
  carrier: Carrier;
  /** the protocol that carried it */
  via: Via;
  /** MSISDN of the tunnel's subscriber */
  msisdn: string | null;
  /** IMSI of the tunnel's subscriber */
  imsi: string | null;
  /** IMEI(SV) of the tunnel's subscriber */
  imei: string | null;
  /** APN of the tunnel's session */
  apn: string | null;
  /** inner source address (the UE) */
  ueIp: string;
  /** TEID of the G-PDU */
  teid: Teid;
  /** how the subscriber was found */
  resolvedBy: ResolvedBy;
  /** HTTP Host, or the DNS query name / TLS SNI */
  host: string | null;
  /** the engine's running count of uplink requests */
  request: number;
  /** inner destination address */
  dst: string;
  /** inner transport protocol */
  proto: 'tcp' | 'udp';
  /** inner source port (the UE's) */
  sport: number;
  /** inner destination port */
  dport: number;
  /** Community ID v1 of the inner flow, seed 0 ("1:" and a base64 SHA-1) */
  communityId: string;
}

/** A TLS ClientHello to a pay host (EngineOptions.payHosts). */
export interface HelloEvent {
  /** event type */
  type: 'hello';
  /** capture time of the packet that completed the ClientHello */
  ts: string;
  /** 1-based index of that packet in its capture file */
  packet: number;
  /** the capture file of that packet, as named to gnpay (null: live capture) */
  file: string | null;
  /** ClientHello.random, 64 lower-case hex digits */
  random: string;
  /** server_name as sent */
  sni: string;
  /** MSISDN of the tunnel's subscriber */
  msisdn: string | null;
  /** IMSI of the tunnel's subscriber */
  imsi: string | null;
  /** inner source address (the UE) */
  ueIp: string;
  /** inner destination address */
  dst: string;
  /** TEID of the G-PDU */
  teid: Teid;
  /** outer (GTP-U) source address */
  gsnSrc: string;
  /** outer (GTP-U) destination address */
  gsnDst: string;
  /** how the subscriber was found */
  resolvedBy: ResolvedBy;
  /** the engine's running count of uplink requests */
  request: number;
}

/** An uplink HTTP request head, DNS query or TLS ClientHello (EngineOptions.requests). */
export interface RequestEvent {
  /** event type */
  type: 'request';
  /** capture time of the packet that completed the request */
  ts: string;
  /** 1-based index of that packet in its capture file */
  packet: number;
  /** the capture file of that packet, as named to gnpay (null: live capture) */
  file: string | null;
  /** the protocol */
  via: Via;
  /** HTTP method */
  method: string | null;
  /** HTTP Host */
  host: string | null;
  /** HTTP request target */
  target: string | null;
  /** DNS query name or TLS SNI */
  name: string | null;
  /** inner source address (the UE) */
  ueIp: string;
  /** inner destination address */
  dst: string;
  /** TEID of the G-PDU */
  teid: Teid;
  /** IMSI of the tunnel's subscriber */
  imsi: string | null;
  /** MSISDN of the tunnel's subscriber */
  msisdn: string | null;
  /** how the subscriber was found */
  resolvedBy: ResolvedBy;
  /** inner transport protocol */
  proto: 'tcp' | 'udp';
  /** inner source port (the UE's) */
  sport: number;
  /** inner destination port */
  dport: number;
  /** Community ID v1 of the inner flow, seed 0 ("1:" and a base64 SHA-1) */
  communityId: string;
}
