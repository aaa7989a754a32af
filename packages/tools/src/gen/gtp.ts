// GTP builders: the GTPv1 header and GTP-U messages (TS 29.281), GTPv1-C
// messages and IEs (TS 29.060), GTPv2-C messages and IEs (TS 29.274).
import { apnBytes, type Ip, ipBytes, ipVersion, tbcd, u16be, u32be } from './bytes';

// ---------------------------------------------------------------- constants

/** TS 29.060 s7.1 Table 1 / TS 29.281 s6.1: GTPv1 message types. */
export const V1 = {
  ECHO_REQUEST: 1,
  ECHO_RESPONSE: 2,
  CREATE_PDP_REQ: 16,
  CREATE_PDP_RESP: 17,
  UPDATE_PDP_REQ: 18,
  UPDATE_PDP_RESP: 19,
  DELETE_PDP_REQ: 20,
  DELETE_PDP_RESP: 21,
  ERROR_INDICATION: 26,
  END_MARKER: 254,
  G_PDU: 255,
} as const;

/** snake_case names as gnpay counts them (gtp_constants.h message_name). */
export const V1_NAMES: Record<number, string> = {
  1: 'echo_request',
  2: 'echo_response',
  16: 'create_pdp_context_request',
  17: 'create_pdp_context_response',
  18: 'update_pdp_context_request',
  19: 'update_pdp_context_response',
  20: 'delete_pdp_context_request',
  21: 'delete_pdp_context_response',
  26: 'error_indication',
  254: 'end_marker',
  255: 'g_pdu',
};

/** TS 29.274 s6.1 Table 6.1-1. */
export const V2 = {
  ECHO_REQUEST: 1,
  ECHO_RESPONSE: 2,
  CREATE_SESSION_REQ: 32,
  CREATE_SESSION_RESP: 33,
  MODIFY_BEARER_REQ: 34,
  MODIFY_BEARER_RESP: 35,
  DELETE_SESSION_REQ: 36,
  DELETE_SESSION_RESP: 37,
  CREATE_BEARER_REQ: 95,
  CREATE_BEARER_RESP: 96,
  UPDATE_BEARER_REQ: 97,
  UPDATE_BEARER_RESP: 98,
  DELETE_BEARER_REQ: 99,
  DELETE_BEARER_RESP: 100,
  RELEASE_ACCESS_BEARERS_REQ: 170,
  RELEASE_ACCESS_BEARERS_RESP: 171,
} as const;

export const V2_NAMES: Record<number, string> = {
  1: 'echo_request',
  2: 'echo_response',
  32: 'create_session_request',
  33: 'create_session_response',
  34: 'modify_bearer_request',
  35: 'modify_bearer_response',
  36: 'delete_session_request',
  37: 'delete_session_response',
  95: 'create_bearer_request',
  96: 'create_bearer_response',
  97: 'update_bearer_request',
  98: 'update_bearer_response',
  99: 'delete_bearer_request',
  100: 'delete_bearer_response',
  170: 'release_access_bearers_request',
  171: 'release_access_bearers_response',
};

/** TS 29.060 s7.7 Table 37: IE types used here. */
export const IE1 = {
  CAUSE: 1,
  IMSI: 2,
  REORDERING: 8,
  RECOVERY: 14,
  SELECTION_MODE: 15,
  TEID_DATA_I: 16,
  TEID_CP: 17,
  TEARDOWN: 19,
  NSAPI: 20,
  CHARGING_ID: 127,
  EUA: 128,
  APN: 131,
  PCO: 132,
  GSN_ADDRESS: 133,
  MSISDN: 134,
  QOS: 135,
  TFT: 137,
  IMEISV: 154,
} as const;

/** TS 29.060 s7.7: fixed value lengths of the TV IEs we write. */
export const TV_LENGTH: Record<number, number> = { 1: 1, 2: 8, 8: 1, 14: 1, 15: 1, 16: 4, 17: 4, 19: 1, 20: 1, 127: 4 };

/** TS 29.274 s8.1 Table 8.1-1. */
export const IE2 = {
  IMSI: 1,
  CAUSE: 2,
  RECOVERY: 3,
  APN: 71,
  AMBR: 72,
  EBI: 73,
  MEI: 75,
  MSISDN: 76,
  PAA: 79,
  BEARER_QOS: 80,
  TFT: 84,
  RAT_TYPE: 82,
  SERVING_NETWORK: 83,
  FTEID: 87,
  BEARER_CONTEXT: 93,
  CHARGING_ID: 94,
  PDN_TYPE: 99,
  APN_RESTRICTION: 127,
  SELECTION_MODE: 128,
} as const;

/** TS 29.274 Table 8.22-1 interface types. */
export const IFACE = {
  S1U_ENB: 0,
  S1U_SGW: 1,
  S12_RNC: 2,
  S12_SGW: 3,
  S5U_SGW: 4,
  S5U_PGW: 5,
  S5C_SGW: 6,
  S5C_PGW: 7,
  S11_MME: 10,
  S11_SGW: 11,
  S4U_SGSN: 15,
  S4U_SGW: 16,
  S4C_SGSN: 17,
} as const;

// ---------------------------------------------------------------- GTPv1 header

export interface GtpExtHeader {
  /** next-extension-header type that announces this one (e.g. 0xC0 PDCP PDU number, 0x85 PDU session container) */
  type: number;
  /** content without the length octet and the next-type octet; total length is padded to a multiple of 4 */
  content?: Uint8Array;
  /** override the length octet (in 4-octet units): 0 for malformed fixtures */
  lengthField?: number;
}

export interface Gtp1HeaderOptions {
  teid: number;
  seq?: number;
  npdu?: number;
  ext?: GtpExtHeader[];
  /** override the length field (malformed fixtures) */
  length?: number;
  /** flags override, e.g. version 0 / PT 0 for odd fixtures */
  flags?: number;
}

/**
 * GTPv1 header (TS 29.060 s6 / TS 29.281 s5.1) + body. The optional 4 octets
 * are present when seq, N-PDU or extension headers are asked for.
 */
export function gtp1(msgType: number, body: Uint8Array, o: Gtp1HeaderOptions): Buffer {
  const ext = o.ext ?? [];
  const hasOpt = o.seq !== undefined || o.npdu !== undefined || ext.length > 0;
  const extParts: Buffer[] = [];
  ext.forEach((e, i) => {
    const content = Buffer.from(e.content ?? Buffer.alloc(2));
    let total = content.length + 2;
    total = Math.ceil(total / 4) * 4;
    const b = Buffer.alloc(total);
    b[0] = e.lengthField ?? total / 4;
    content.copy(b, 1);
    b[total - 1] = i + 1 < ext.length ? ext[i + 1]!.type : 0;
    extParts.push(b);
  });
  const optLen = hasOpt ? 4 : 0;
  let extLen = 0;
  for (const p of extParts) extLen += p.length;
  const h = Buffer.alloc(8 + optLen);
  h[0] =
    o.flags ?? 0x30 | (ext.length ? 0x04 : 0) | (o.seq !== undefined ? 0x02 : 0) | (o.npdu !== undefined ? 0x01 : 0);
  h[1] = msgType;
  h.writeUInt16BE(o.length ?? optLen + extLen + body.length, 2);
  h.writeUInt32BE(o.teid >>> 0, 4);
  if (hasOpt) {
    h.writeUInt16BE(o.seq ?? 0, 8);
    h[10] = o.npdu ?? 0;
    h[11] = ext.length ? ext[0]!.type : 0;
  }
  if (!extParts.length && body.length === 0) return h;
  return Buffer.concat([h, ...extParts, body]);
}

/** just the GTPv1 header (with options/extension headers) for a body of `bodyLen` octets */
export function gtp1Header(msgType: number, bodyLen: number, o: Gtp1HeaderOptions): Buffer {
  if (
    !o.ext?.length &&
    o.seq === undefined &&
    o.npdu === undefined &&
    o.length === undefined &&
    o.flags === undefined
  ) {
    const h = Buffer.allocUnsafe(8);
    h[0] = 0x30;
    h[1] = msgType;
    h.writeUInt16BE(bodyLen, 2);
    h.writeUInt32BE(o.teid >>> 0, 4);
    return h;
  }
  const full = gtp1(msgType, Buffer.alloc(0), { ...o, length: o.length ?? undefined });
  // fix the length for the real body
  if (o.length === undefined) full.writeUInt16BE(full.length - 8 + bodyLen, 2);
  return full;
}

/** A G-PDU (type 255) carrying an inner IP packet. */
export function gpdu(teid: number, inner: Uint8Array, o: Omit<Gtp1HeaderOptions, 'teid'> = {}): Buffer {
  return gtp1(V1.G_PDU, inner, { ...o, teid });
}

export function gtpuEchoRequest(seq: number): Buffer {
  return gtp1(V1.ECHO_REQUEST, Buffer.alloc(0), { teid: 0, seq });
}

export function gtpuEchoResponse(seq: number, recovery = 0): Buffer {
  return gtp1(V1.ECHO_RESPONSE, tv(IE1.RECOVERY, Buffer.from([recovery])), { teid: 0, seq });
}

/** TS 29.281 s7.3.1: Error Indication with TEID Data I and the GSN address of the sender. */
export function gtpuErrorIndication(seq: number, teidData: number, gsn: Ip): Buffer {
  return gtp1(
    V1.ERROR_INDICATION,
    Buffer.concat([tv(IE1.TEID_DATA_I, u32be(teidData)), tlv(IE1.GSN_ADDRESS, ipBytes(gsn))]),
    {
      teid: 0,
      seq,
    },
  );
}

export function gtpuEndMarker(teid: number): Buffer {
  return gtp1(V1.END_MARKER, Buffer.alloc(0), { teid });
}

// ---------------------------------------------------------------- GTPv1-C IEs

/** TV IE (type < 128): type + fixed-length value. */
export function tv(type: number, value: Uint8Array): Buffer {
  const want = TV_LENGTH[type];
  if (want !== undefined && want !== value.length) throw new Error(`TV IE ${type} must be ${want} octets`);
  return Buffer.concat([Buffer.from([type]), value]);
}

/** TLV IE (type >= 128): type + 2-octet length + value. `length` overrides (malformed fixtures). */
export function tlv(type: number, value: Uint8Array, length?: number): Buffer {
  const h = Buffer.alloc(3);
  h[0] = type;
  h.writeUInt16BE(length ?? value.length, 1);
  return Buffer.concat([h, value]);
}

/** TS 29.060 s7.7.27 End User Address: IETF org, PDP type 0x21 / 0x57 / 0x8D. Empty address in a request. */
export function euaValue(v4?: Ip | null, v6?: Ip | null, pdpType?: 'ipv4' | 'ipv6' | 'ipv4v6'): Buffer {
  const type = pdpType ?? (v4 && v6 ? 'ipv4v6' : v6 ? 'ipv6' : 'ipv4');
  const code = type === 'ipv4' ? 0x21 : type === 'ipv6' ? 0x57 : 0x8d;
  const parts: Buffer[] = [Buffer.from([0xf1, code])];
  if (v4) parts.push(ipBytes(v4));
  if (v6) parts.push(ipBytes(v6));
  return Buffer.concat(parts);
}

/** TS 29.060 s7.7.33: MSISDN = 0x91 (international, E.164) then TBCD. */
export function msisdnV1(msisdn: string): Buffer {
  return Buffer.concat([Buffer.from([0x91]), tbcd(msisdn)]);
}

/** An R99 QoS profile (ARP octet + 11 octets), as commonly seen on Gn. */
export const QOS_R99 = Buffer.from([0x02, 0x13, 0x92, 0x1f, 0x91, 0x97, 0xfe, 0xfe, 0x74, 0xf9, 0xff, 0xff, 0x00]);

/** PCO with IPCP + DNS server requests (TS 24.008 s10.5.6.3). */
export const PCO_DEFAULT = Buffer.from([
  0x80, 0x80, 0x21, 0x10, 0x01, 0x00, 0x00, 0x10, 0x81, 0x06, 0, 0, 0, 0, 0x83, 0x06, 0, 0, 0, 0,
]);

export interface Gtp1cCreateRequest {
  seq: number;
  teid?: number; // header TEID (0 for a primary, GGSN TEID-C of the primary for a secondary)
  imsi?: string;
  recovery?: number;
  selectionMode?: number;
  teidData: number;
  teidCp?: number;
  nsapi: number;
  linkedNsapi?: number;
  /** EUA requested: 'ipv4' | 'ipv6' | 'ipv4v6' with empty address; omitted for a secondary */
  pdpType?: 'ipv4' | 'ipv6' | 'ipv4v6';
  apn?: string;
  pco?: Uint8Array | null;
  gsnSignalling: Ip;
  /** the user-traffic GSN Address; null leaves the second GSN Address IE out */
  gsnUser?: Ip | null;
  msisdn?: string;
  /** raw MSISDN value (malformed fixtures) */
  msisdnRaw?: Uint8Array;
  qos?: Uint8Array;
  tft?: Uint8Array;
  imei?: string;
  /** extra IEs appended verbatim (malformed fixtures) */
  extra?: Uint8Array[];
}

/** TS 29.060 s7.3.1 Create PDP Context Request, IEs in the spec's order. */
export function createPdpRequest(r: Gtp1cCreateRequest): Buffer {
  const ies: Buffer[] = [];
  if (r.imsi !== undefined) ies.push(tv(IE1.IMSI, tbcd(r.imsi.padEnd(16, 'f').slice(0, 16))));
  if (r.recovery !== undefined) ies.push(tv(IE1.RECOVERY, Buffer.from([r.recovery])));
  if (r.selectionMode !== undefined) ies.push(tv(IE1.SELECTION_MODE, Buffer.from([0xfc | r.selectionMode])));
  ies.push(tv(IE1.TEID_DATA_I, u32be(r.teidData)));
  if (r.teidCp !== undefined) ies.push(tv(IE1.TEID_CP, u32be(r.teidCp)));
  ies.push(tv(IE1.NSAPI, Buffer.from([r.nsapi & 0x0f])));
  if (r.linkedNsapi !== undefined) ies.push(tv(IE1.NSAPI, Buffer.from([r.linkedNsapi & 0x0f])));
  if (r.pdpType) ies.push(tlv(IE1.EUA, euaValue(null, null, r.pdpType)));
  if (r.apn !== undefined) ies.push(tlv(IE1.APN, apnBytes(r.apn)));
  if (r.pco !== null && r.pco !== undefined) ies.push(tlv(IE1.PCO, r.pco));
  ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnSignalling)));
  if (r.gsnUser !== null) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnUser ?? r.gsnSignalling)));
  if (r.msisdnRaw) ies.push(tlv(IE1.MSISDN, r.msisdnRaw));
  else if (r.msisdn !== undefined) ies.push(tlv(IE1.MSISDN, msisdnV1(r.msisdn)));
  ies.push(tlv(IE1.QOS, r.qos ?? QOS_R99));
  if (r.tft) ies.push(tlv(IE1.TFT, r.tft));
  if (r.imei !== undefined) ies.push(tlv(IE1.IMEISV, tbcd(r.imei)));
  if (r.extra) ies.push(...r.extra.map((b) => Buffer.from(b)));
  return gtp1(V1.CREATE_PDP_REQ, Buffer.concat(ies), { teid: r.teid ?? 0, seq: r.seq });
}

export interface Gtp1cCreateResponse {
  seq: number;
  teid: number; // header TEID: the SGSN's TEID-C
  cause: number;
  recovery?: number;
  teidData?: number;
  teidCp?: number;
  chargingId?: number;
  ueV4?: Ip | null;
  ueV6?: Ip | null;
  gsnSignalling?: Ip;
  gsnUser?: Ip;
  qos?: Uint8Array;
}

/** TS 29.060 s7.3.2 Create PDP Context Response. A rejection carries Cause (and Recovery) only. */
export function createPdpResponse(r: Gtp1cCreateResponse): Buffer {
  const ies: Buffer[] = [tv(IE1.CAUSE, Buffer.from([r.cause]))];
  const accepted = r.cause >= 128 && r.cause <= 191;
  if (accepted) ies.push(tv(IE1.REORDERING, Buffer.from([0xfe])));
  if (r.recovery !== undefined) ies.push(tv(IE1.RECOVERY, Buffer.from([r.recovery])));
  if (accepted) {
    if (r.teidData !== undefined) ies.push(tv(IE1.TEID_DATA_I, u32be(r.teidData)));
    if (r.teidCp !== undefined) ies.push(tv(IE1.TEID_CP, u32be(r.teidCp)));
    ies.push(tv(IE1.CHARGING_ID, u32be(r.chargingId ?? 1)));
    if (r.ueV4 || r.ueV6) ies.push(tlv(IE1.EUA, euaValue(r.ueV4, r.ueV6)));
    ies.push(tlv(IE1.PCO, PCO_DEFAULT));
    if (r.gsnSignalling) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnSignalling)));
    if (r.gsnUser) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnUser)));
    ies.push(tlv(IE1.QOS, r.qos ?? QOS_R99));
  }
  return gtp1(V1.CREATE_PDP_RESP, Buffer.concat(ies), { teid: r.teid, seq: r.seq });
}

export interface Gtp1cUpdateRequest {
  seq: number;
  teid: number; // the receiver's TEID-C
  imsi?: string;
  recovery?: number;
  teidData?: number;
  teidCp?: number;
  nsapi: number;
  gsnSignalling?: Ip;
  gsnUser?: Ip;
  qos?: Uint8Array;
}

/** TS 29.060 s7.3.3 Update PDP Context Request (SGSN-initiated). */
export function updatePdpRequest(r: Gtp1cUpdateRequest): Buffer {
  const ies: Buffer[] = [];
  if (r.imsi !== undefined) ies.push(tv(IE1.IMSI, tbcd(r.imsi.padEnd(16, 'f').slice(0, 16))));
  if (r.recovery !== undefined) ies.push(tv(IE1.RECOVERY, Buffer.from([r.recovery])));
  if (r.teidData !== undefined) ies.push(tv(IE1.TEID_DATA_I, u32be(r.teidData)));
  if (r.teidCp !== undefined) ies.push(tv(IE1.TEID_CP, u32be(r.teidCp)));
  ies.push(tv(IE1.NSAPI, Buffer.from([r.nsapi & 0x0f])));
  if (r.gsnSignalling) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnSignalling)));
  if (r.gsnUser) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnUser)));
  ies.push(tlv(IE1.QOS, r.qos ?? QOS_R99));
  return gtp1(V1.UPDATE_PDP_REQ, Buffer.concat(ies), { teid: r.teid, seq: r.seq });
}

export interface Gtp1cUpdateResponse {
  seq: number;
  teid: number;
  cause: number;
  recovery?: number;
  teidData?: number;
  teidCp?: number;
  chargingId?: number;
  gsnSignalling?: Ip;
  gsnUser?: Ip;
  qos?: Uint8Array;
}

/** TS 29.060 s7.3.4 Update PDP Context Response. */
export function updatePdpResponse(r: Gtp1cUpdateResponse): Buffer {
  const ies: Buffer[] = [tv(IE1.CAUSE, Buffer.from([r.cause]))];
  if (r.recovery !== undefined) ies.push(tv(IE1.RECOVERY, Buffer.from([r.recovery])));
  if (r.teidData !== undefined) ies.push(tv(IE1.TEID_DATA_I, u32be(r.teidData)));
  if (r.teidCp !== undefined) ies.push(tv(IE1.TEID_CP, u32be(r.teidCp)));
  if (r.chargingId !== undefined) ies.push(tv(IE1.CHARGING_ID, u32be(r.chargingId)));
  if (r.gsnSignalling) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnSignalling)));
  if (r.gsnUser) ies.push(tlv(IE1.GSN_ADDRESS, ipBytes(r.gsnUser)));
  if (r.cause >= 128 && r.cause <= 191) ies.push(tlv(IE1.QOS, r.qos ?? QOS_R99));
  return gtp1(V1.UPDATE_PDP_RESP, Buffer.concat(ies), { teid: r.teid, seq: r.seq });
}

/** TS 29.060 s7.3.5 Delete PDP Context Request: Teardown Ind (optional) then NSAPI. */
export function deletePdpRequest(r: { seq: number; teid: number; nsapi: number; teardown?: boolean }): Buffer {
  const ies: Buffer[] = [];
  if (r.teardown !== undefined) ies.push(tv(IE1.TEARDOWN, Buffer.from([r.teardown ? 0xff : 0xfe])));
  ies.push(tv(IE1.NSAPI, Buffer.from([r.nsapi & 0x0f])));
  return gtp1(V1.DELETE_PDP_REQ, Buffer.concat(ies), { teid: r.teid, seq: r.seq });
}

export function deletePdpResponse(r: { seq: number; teid: number; cause: number }): Buffer {
  return gtp1(V1.DELETE_PDP_RESP, tv(IE1.CAUSE, Buffer.from([r.cause])), { teid: r.teid, seq: r.seq });
}

export function gtp1cEchoRequest(seq: number): Buffer {
  return gtp1(V1.ECHO_REQUEST, Buffer.alloc(0), { teid: 0, seq });
}
export function gtp1cEchoResponse(seq: number, recovery = 0): Buffer {
  return gtp1(V1.ECHO_RESPONSE, tv(IE1.RECOVERY, Buffer.from([recovery])), { teid: 0, seq });
}

// ---------------------------------------------------------------- GTPv2-C

/** GTPv2 IE: type, 2-octet length, spare/instance, value. */
export function ie2(type: number, value: Uint8Array, instance = 0, length?: number): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(length ?? value.length, 1);
  h[3] = instance & 0x0f;
  return Buffer.concat([h, value]);
}

/** TS 29.274 s5.1 header (T flag when teid is given) + IEs. */
export function gtp2(
  msgType: number,
  ies: Uint8Array,
  o: { seq: number; teid?: number; piggyback?: boolean; length?: number },
): Buffer {
  const hasTeid = o.teid !== undefined;
  const h = Buffer.alloc(hasTeid ? 12 : 8);
  h[0] = 0x40 | (o.piggyback ? 0x10 : 0) | (hasTeid ? 0x08 : 0);
  h[1] = msgType;
  h.writeUInt16BE(o.length ?? h.length - 4 + ies.length, 2);
  let off = 4;
  if (hasTeid) {
    h.writeUInt32BE(o.teid! >>> 0, 4);
    off = 8;
  }
  h.writeUIntBE(o.seq & 0xffffff, off, 3);
  return Buffer.concat([h, ies]);
}

export interface Fteid {
  iface: number;
  teid: number;
  addr: Ip;
  /** second address for dual-stack endpoints */
  addr6?: Ip;
  instance?: number;
}

/** TS 29.274 s8.22 F-TEID. */
export function fteid(f: Fteid): Buffer {
  const v4 = ipVersion(f.addr) === 4 ? ipBytes(f.addr) : null;
  const v6 = ipVersion(f.addr) === 6 ? ipBytes(f.addr) : f.addr6 ? ipBytes(f.addr6) : null;
  const flags = (v4 ? 0x80 : 0) | (v6 ? 0x40 : 0) | (f.iface & 0x3f);
  const parts = [Buffer.from([flags]), u32be(f.teid)];
  if (v4) parts.push(v4);
  if (v6) parts.push(v6);
  return ie2(IE2.FTEID, Buffer.concat(parts), f.instance ?? 0);
}

export function cause2(cause: number, instance = 0): Buffer {
  return ie2(IE2.CAUSE, Buffer.from([cause, 0]), instance);
}

export function ebi(e: number, instance = 0): Buffer {
  return ie2(IE2.EBI, Buffer.from([e & 0x0f]), instance);
}

/** TS 29.274 s8.14 PAA: PDN type then the address(es); zero addresses in a request. */
export function paa(v4?: Ip | null, v6?: Ip | null, prefixLen = 64): Buffer {
  if (v4 && v6) return ie2(IE2.PAA, Buffer.concat([Buffer.from([3, prefixLen]), ipBytes(v6), ipBytes(v4)]));
  if (v6) return ie2(IE2.PAA, Buffer.concat([Buffer.from([2, prefixLen]), ipBytes(v6)]));
  return ie2(IE2.PAA, Buffer.concat([Buffer.from([1]), ipBytes(v4 ?? '0.0.0.0')]));
}

/** Bearer QoS (s8.15): flags, QCI, 4 bit rates of 5 octets. */
export function bearerQos(qci = 9): Buffer {
  const v = Buffer.alloc(22);
  v[0] = 0x49; // PCI=1? PL=2, PVI
  v[1] = qci;
  return ie2(IE2.BEARER_QOS, v);
}

export function bearerContext(ies: Uint8Array[], instance = 0): Buffer {
  return ie2(IE2.BEARER_CONTEXT, Buffer.concat(ies), instance);
}

export interface Gtp2CreateSessionRequest {
  seq: number;
  imsi: string;
  msisdn?: string;
  mei?: string;
  apn: string;
  ratType?: number;
  /** sender's control F-TEID (S11: MME iface 10; S5/S8: SGW iface 6) */
  senderC: Fteid;
  pdn?: 'ipv4' | 'ipv6' | 'ipv4v6';
  bearers: { ebi: number; fteids: Fteid[] }[];
}

/** TS 29.274 s7.2.1 Create Session Request, IEs in table order. */
export function createSessionRequest(r: Gtp2CreateSessionRequest): Buffer {
  const pdn = r.pdn ?? 'ipv4';
  const ies: Buffer[] = [ie2(IE2.IMSI, tbcd(r.imsi))];
  if (r.msisdn !== undefined) ies.push(ie2(IE2.MSISDN, tbcd(r.msisdn)));
  if (r.mei !== undefined) ies.push(ie2(IE2.MEI, tbcd(r.mei)));
  ies.push(ie2(IE2.SERVING_NETWORK, Buffer.from([0x62, 0xf2, 0x10])));
  ies.push(ie2(IE2.RAT_TYPE, Buffer.from([r.ratType ?? 6])));
  ies.push(fteid({ ...r.senderC, instance: 0 }));
  ies.push(ie2(IE2.APN, apnBytes(r.apn)));
  ies.push(ie2(IE2.SELECTION_MODE, Buffer.from([0])));
  ies.push(ie2(IE2.PDN_TYPE, Buffer.from([pdn === 'ipv4' ? 1 : pdn === 'ipv6' ? 2 : 3])));
  ies.push(pdn === 'ipv4' ? paa('0.0.0.0') : pdn === 'ipv6' ? paa(null, '::') : paa('0.0.0.0', '::'));
  ies.push(ie2(IE2.APN_RESTRICTION, Buffer.from([0])));
  ies.push(ie2(IE2.AMBR, Buffer.from([0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10])));
  for (const b of r.bearers) {
    ies.push(bearerContext([ebi(b.ebi), ...b.fteids.map(fteid), bearerQos()]));
  }
  return gtp2(V2.CREATE_SESSION_REQ, Buffer.concat(ies), { seq: r.seq, teid: 0 });
}

export interface Gtp2CreateSessionResponse {
  seq: number;
  teid: number; // the sender's control TEID from the request
  cause: number;
  fteids?: Fteid[]; // top level: sender control F-TEID, then (S11) PGW S5/S8 control F-TEID
  ueV4?: Ip | null;
  ueV6?: Ip | null;
  bearers?: { ebi: number; cause?: number; fteids: Fteid[]; chargingId?: number }[];
}

/** TS 29.274 s7.2.2 Create Session Response. */
export function createSessionResponse(r: Gtp2CreateSessionResponse): Buffer {
  const ies: Buffer[] = [cause2(r.cause)];
  (r.fteids ?? []).forEach((f, i) => ies.push(fteid({ ...f, instance: f.instance ?? i })));
  if (r.ueV4 || r.ueV6) ies.push(paa(r.ueV4, r.ueV6));
  if (r.cause >= 16 && r.cause <= 63) ies.push(ie2(IE2.APN_RESTRICTION, Buffer.from([0])));
  for (const b of r.bearers ?? []) {
    const inner = [ebi(b.ebi), cause2(b.cause ?? r.cause), ...b.fteids.map(fteid)];
    inner.push(ie2(IE2.CHARGING_ID, u32be(b.chargingId ?? 1)));
    ies.push(bearerContext(inner));
  }
  return gtp2(V2.CREATE_SESSION_RESP, Buffer.concat(ies), { seq: r.seq, teid: r.teid });
}

/** TS 29.274 s7.2.7 Modify Bearer Request: Bearer Contexts to be modified. */
export function modifyBearerRequest(r: {
  seq: number;
  teid: number;
  senderC?: Fteid;
  bearers: { ebi: number; fteids: Fteid[] }[];
}): Buffer {
  const ies: Buffer[] = [];
  if (r.senderC) ies.push(fteid({ ...r.senderC, instance: 0 }));
  for (const b of r.bearers) ies.push(bearerContext([ebi(b.ebi), ...b.fteids.map(fteid)]));
  return gtp2(V2.MODIFY_BEARER_REQ, Buffer.concat(ies), { seq: r.seq, teid: r.teid });
}

/** TS 29.274 s7.2.8 Modify Bearer Response. */
export function modifyBearerResponse(r: {
  seq: number;
  teid: number;
  cause: number;
  msisdn?: string;
  bearers: { ebi: number; fteids: Fteid[] }[];
}): Buffer {
  const ies: Buffer[] = [cause2(r.cause)];
  if (r.msisdn) ies.push(ie2(IE2.MSISDN, tbcd(r.msisdn)));
  for (const b of r.bearers) ies.push(bearerContext([ebi(b.ebi), cause2(r.cause), ...b.fteids.map(fteid)]));
  return gtp2(V2.MODIFY_BEARER_RESP, Buffer.concat(ies), { seq: r.seq, teid: r.teid });
}

/** TS 29.274 s7.2.9.1 Delete Session Request: Linked EBI. */
export function deleteSessionRequest(r: { seq: number; teid: number; ebi: number }): Buffer {
  return gtp2(V2.DELETE_SESSION_REQ, ebi(r.ebi), { seq: r.seq, teid: r.teid });
}

export function deleteSessionResponse(r: { seq: number; teid: number; cause: number }): Buffer {
  return gtp2(V2.DELETE_SESSION_RESP, cause2(r.cause), { seq: r.seq, teid: r.teid });
}

/** A TFT creating one packet filter (TS 24.008 s10.5.6.12), for dedicated bearers. */
export const TFT_ONE_FILTER = Buffer.from([0x21, 0x10, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0xc4]);

/** TS 29.274 s7.2.3 Create Bearer Request: Linked EBI, Bearer Context (EBI 0, TFT, PGW F-TEID, QoS). */
export function createBearerRequest(r: { seq: number; teid: number; linkedEbi: number; fteids: Fteid[] }): Buffer {
  const bc = bearerContext([ebi(0), ie2(IE2.TFT, TFT_ONE_FILTER), ...r.fteids.map(fteid), bearerQos(1)]);
  return gtp2(V2.CREATE_BEARER_REQ, Buffer.concat([ebi(r.linkedEbi), bc]), { seq: r.seq, teid: r.teid });
}

/** TS 29.274 s7.2.4 Create Bearer Response: Cause, Bearer Context (EBI, Cause, F-TEIDs). */
export function createBearerResponse(r: {
  seq: number;
  teid: number;
  cause: number;
  ebi: number;
  fteids: Fteid[];
}): Buffer {
  const bc = bearerContext([ebi(r.ebi), cause2(r.cause), ...r.fteids.map(fteid)]);
  return gtp2(V2.CREATE_BEARER_RESP, Buffer.concat([cause2(r.cause), bc]), { seq: r.seq, teid: r.teid });
}

/** TS 29.274 s7.2.9.2 Delete Bearer Request: EPS Bearer IDs (EBI, instance 1). */
export function deleteBearerRequest(r: { seq: number; teid: number; ebis: number[] }): Buffer {
  return gtp2(V2.DELETE_BEARER_REQ, Buffer.concat(r.ebis.map((e) => ebi(e, 1))), { seq: r.seq, teid: r.teid });
}

export function deleteBearerResponse(r: { seq: number; teid: number; cause: number; ebis: number[] }): Buffer {
  const ies = [cause2(r.cause), ...r.ebis.map((e) => bearerContext([ebi(e), cause2(r.cause)]))];
  return gtp2(V2.DELETE_BEARER_RESP, Buffer.concat(ies), { seq: r.seq, teid: r.teid });
}

export function gtp2EchoRequest(seq: number): Buffer {
  return gtp2(V2.ECHO_REQUEST, ie2(IE2.RECOVERY, Buffer.from([1])), { seq });
}

export { u16be };
