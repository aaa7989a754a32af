// Link, network and transport layer builders: pure functions returning Buffers.
import { type Ip, inetChecksum, ipBytes, ipVersion, sum16 } from './bytes';

/** LINKTYPE_* values (tcpdump.org link-layer header types). */
export const LINKTYPE = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8, ARP: 0x0806, MPLS: 0x8847 } as const;

export const IPPROTO = { TCP: 6, UDP: 17, IPV6_FRAG: 44 } as const;

const macCache = new Map<string, Buffer>();

/** MAC text to bytes (cached, shared: never write to the result) */
export function macBytes(mac: string): Buffer {
  let b = macCache.get(mac);
  if (b) return b;
  b = Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) throw new Error(`bad MAC ${mac}`);
  if (macCache.size < 1024) macCache.set(mac, b);
  return b;
}

export interface EthernetOptions {
  src?: string;
  dst?: string;
  /** 802.1Q tags, outermost first. With `qinq` the outermost uses 0x88a8. */
  vlans?: number[];
  qinq?: boolean;
  /** an MPLS label stack under the tags (RFC 3032), outermost first */
  mpls?: number[];
}

export function etherTypeOf(payload: Uint8Array): number {
  return payload.length > 0 && payload[0]! >> 4 === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
}

/** Ethernet II with optional 802.1Q / 802.1ad tags and MPLS labels. */
export function ethernet(payload: Uint8Array, opts: EthernetOptions = {}, ethertype = etherTypeOf(payload)): Buffer {
  const vlans = opts.vlans ?? [];
  const labels = opts.mpls ?? [];
  const h = Buffer.alloc(14 + 4 * vlans.length + 4 * labels.length);
  macBytes(opts.dst ?? '00:00:5e:00:53:02').copy(h, 0);
  macBytes(opts.src ?? '00:00:5e:00:53:01').copy(h, 6);
  let off = 12;
  vlans.forEach((vid, i) => {
    h.writeUInt16BE(i === 0 && opts.qinq ? ETHERTYPE.QINQ : ETHERTYPE.VLAN, off);
    h.writeUInt16BE(vid & 0x0fff, off + 2);
    off += 4;
  });
  h.writeUInt16BE(labels.length ? ETHERTYPE.MPLS : ethertype, off);
  off += 2;
  labels.forEach((label, i) => {
    // label (20 bits), traffic class 0, bottom of stack on the last, TTL 64
    h.writeUInt32BE((((label & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0, off);
    off += 4;
  });
  return Buffer.concat([h, payload]);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header). */
export function sll(payload: Uint8Array, opts: { pktType?: number; addr?: string } = {}): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(opts.pktType ?? 0, 0); // 0 = to us, 4 = outgoing
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  macBytes(opts.addr ?? '00:00:5e:00:53:01').copy(h, 6);
  h.writeUInt16BE(etherTypeOf(payload), 14);
  return Buffer.concat([h, payload]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header). */
export function sll2(payload: Uint8Array, opts: { pktType?: number; addr?: string; ifindex?: number } = {}): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(etherTypeOf(payload), 0);
  h.writeUInt16BE(0, 2);
  h.writeUInt32BE(opts.ifindex ?? 2, 4);
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = opts.pktType ?? 0;
  h[11] = 6;
  macBytes(opts.addr ?? '00:00:5e:00:53:01').copy(h, 12);
  return Buffer.concat([h, payload]);
}

export interface LinkSpec {
  linktype: number;
  eth?: EthernetOptions;
}

/** Wraps an IP packet into the link layer of `linktype`. */
export function frame(ip: Uint8Array, link: LinkSpec): Buffer {
  switch (link.linktype) {
    case LINKTYPE.ETHERNET:
      return ethernet(ip, link.eth);
    case LINKTYPE.LINUX_SLL:
      return sll(ip);
    case LINKTYPE.LINUX_SLL2:
      return sll2(ip);
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return Buffer.from(ip);
    default:
      throw new Error(`no frame builder for link type ${link.linktype}`);
  }
}

export interface Ipv4Options {
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  /** fragment fields: offset in bytes (multiple of 8), more-fragments flag */
  fragOffset?: number;
  mf?: boolean;
  /** override the total length field (malformed fixtures) */
  totalLength?: number;
}

/** IPv4 header (no options) + payload, with a correct header checksum. */
export function ipv4(src: Ip, dst: Ip, proto: number, payload: Uint8Array, o: Ipv4Options = {}): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  b[0] = 0x45;
  b[1] = o.tos ?? 0;
  b.writeUInt16BE(o.totalLength ?? 20 + payload.length, 2);
  b.writeUInt16BE((o.id ?? 0) & 0xffff, 4);
  const off = o.fragOffset ?? 0;
  if (off % 8 !== 0) throw new Error('IPv4 fragment offset must be a multiple of 8');
  b.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (off >> 3), 6);
  b[8] = o.ttl ?? 64;
  b[9] = proto;
  ipBytes(src).copy(b, 12);
  ipBytes(dst).copy(b, 16);
  b.writeUInt16BE(inetChecksum(b, 0, 20), 10);
  b.set(payload, 20);
  return b;
}

export interface Ipv6Options {
  hopLimit?: number;
  flowLabel?: number;
  payloadLength?: number;
}

/** IPv6 header + payload (no extension headers unless `proto` says so). */
export function ipv6(src: Ip, dst: Ip, proto: number, payload: Uint8Array, o: Ipv6Options = {}): Buffer {
  const b = Buffer.alloc(40 + payload.length);
  b.writeUInt32BE((6 << 28) | ((o.flowLabel ?? 0) & 0xfffff), 0);
  b.writeUInt16BE(o.payloadLength ?? payload.length, 4);
  b[6] = proto;
  b[7] = o.hopLimit ?? 64;
  ipBytes(src).copy(b, 8);
  ipBytes(dst).copy(b, 24);
  b.set(payload, 40);
  return b;
}

export function ip(src: Ip, dst: Ip, proto: number, payload: Uint8Array, o: Ipv4Options = {}): Buffer {
  return ipVersion(src) === 4 ? ipv4(src, dst, proto, payload, o) : ipv6(src, dst, proto, payload);
}

/**
 * Splits an IPv4 packet (as built by `ipv4`) into fragments that fit `mtu`
 * (RFC 791): every fragment but the last carries a multiple of 8 payload
 * bytes; header checksums are recomputed.
 */
export function fragmentIpv4(packet: Buffer, mtu: number): Buffer[] {
  const ihl = (packet[0]! & 0x0f) * 4;
  if (packet.length <= mtu) return [packet];
  const payload = packet.subarray(ihl);
  const per = Math.floor((mtu - ihl) / 8) * 8;
  if (per <= 0) throw new Error(`MTU ${mtu} too small`);
  const origOff = (packet.readUInt16BE(6) & 0x1fff) * 8;
  const origMf = (packet.readUInt16BE(6) & 0x2000) !== 0;
  const out: Buffer[] = [];
  for (let off = 0; off < payload.length; off += per) {
    const part = payload.subarray(off, Math.min(payload.length, off + per));
    const last = off + per >= payload.length;
    const f = Buffer.alloc(ihl + part.length);
    packet.copy(f, 0, 0, ihl);
    f.writeUInt16BE(ihl + part.length, 2);
    f.writeUInt16BE((last && !origMf ? 0 : 0x2000) | ((origOff + off) >> 3), 6);
    f.writeUInt16BE(0, 10);
    f.writeUInt16BE(inetChecksum(f, 0, ihl), 10);
    f.set(part, ihl);
    out.push(f);
  }
  return out;
}

/** Pseudo-header sum (RFC 768 / RFC 8200 s8.1) for UDP/TCP checksums. */
export function pseudoSum(src: Ip, dst: Ip, proto: number, len: number): number {
  const s = ipBytes(src);
  const d = ipBytes(dst);
  let acc = sum16(s) + sum16(d) + proto;
  if (s.length === 16) acc += Math.floor(len / 0x10000) + (len & 0xffff);
  else acc += len;
  return acc;
}

export interface UdpOptions {
  /** override the length field (malformed fixtures) */
  length?: number;
  /** IPv4 only: leave the checksum 0 (allowed by RFC 768), default false */
  noChecksum?: boolean;
}

export function udp(src: Ip, dst: Ip, sport: number, dport: number, payload: Uint8Array, o: UdpOptions = {}): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(o.length ?? b.length, 4);
  b.set(payload, 8);
  if (!o.noChecksum) {
    let c = inetChecksum(b, 0, b.length, pseudoSum(src, dst, IPPROTO.UDP, b.length));
    if (c === 0) c = 0xffff;
    b.writeUInt16BE(c, 6);
  }
  return b;
}

/** IP + UDP in one call. */
export function ipUdp(
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  payload: Uint8Array,
  ipo: Ipv4Options = {},
  uo: UdpOptions = {},
): Buffer {
  return ip(src, dst, IPPROTO.UDP, udp(src, dst, sport, dport, payload, uo), ipo);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpOptions {
  seq: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** MSS option on SYNs */
  mss?: number;
}

export function tcp(src: Ip, dst: Ip, sport: number, dport: number, payload: Uint8Array, o: TcpOptions): Buffer {
  const optLen = o.mss !== undefined ? 4 : 0;
  const hl = 20 + optLen;
  const b = Buffer.alloc(hl + payload.length);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(o.seq >>> 0, 4);
  b.writeUInt32BE((o.ack ?? 0) >>> 0, 8);
  b[12] = (hl / 4) << 4;
  b[13] = o.flags ?? TCP.ACK | TCP.PSH;
  b.writeUInt16BE(o.window ?? 65535, 14);
  if (o.mss !== undefined) {
    b[20] = 2;
    b[21] = 4;
    b.writeUInt16BE(o.mss, 22);
  }
  b.set(payload, hl);
  b.writeUInt16BE(inetChecksum(b, 0, b.length, pseudoSum(src, dst, IPPROTO.TCP, b.length)), 16);
  return b;
}

export function ipTcp(
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  payload: Uint8Array,
  o: TcpOptions,
  ipo: Ipv4Options = {},
): Buffer {
  return ip(src, dst, IPPROTO.TCP, tcp(src, dst, sport, dport, payload, o), ipo);
}

/**
 * IPv4/IPv6 + TCP in one buffer (the hot path of inner packets): same bytes
 * as `ip(src, dst, 6, tcp(...))` with IPv4 id/DF as given.
 */
export function ipTcpFast(
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  payload: Uint8Array,
  o: TcpOptions,
  id = 0,
  df = true,
): Buffer {
  const v4 = ipVersion(src) === 4;
  const ih = v4 ? 20 : 40;
  const optLen = o.mss !== undefined ? 4 : 0;
  const th = 20 + optLen;
  const b = Buffer.allocUnsafe(ih + th + payload.length);
  const sb = ipBytes(src);
  const db = ipBytes(dst);
  if (v4) {
    b[0] = 0x45;
    b[1] = 0;
    b.writeUInt16BE(b.length, 2);
    b.writeUInt16BE(id & 0xffff, 4);
    b.writeUInt16BE(df ? 0x4000 : 0, 6);
    b[8] = 64;
    b[9] = IPPROTO.TCP;
    b[10] = 0;
    b[11] = 0;
    sb.copy(b, 12);
    db.copy(b, 16);
    b.writeUInt16BE(inetChecksum(b, 0, 20), 10);
  } else {
    b.writeUInt32BE(6 << 28, 0);
    b.writeUInt16BE(th + payload.length, 4);
    b[6] = IPPROTO.TCP;
    b[7] = 64;
    sb.copy(b, 8);
    db.copy(b, 24);
  }
  const t = ih;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(o.seq >>> 0, t + 4);
  b.writeUInt32BE((o.ack ?? 0) >>> 0, t + 8);
  b[t + 12] = (th / 4) << 4;
  b[t + 13] = o.flags ?? TCP.ACK | TCP.PSH;
  b.writeUInt16BE(o.window ?? 65535, t + 14);
  b[t + 16] = 0;
  b[t + 17] = 0;
  b[t + 18] = 0;
  b[t + 19] = 0;
  if (o.mss !== undefined) {
    b[t + 20] = 2;
    b[t + 21] = 4;
    b.writeUInt16BE(o.mss, t + 22);
  }
  b.set(payload, t + th);
  b.writeUInt16BE(inetChecksum(b, t, b.length, pseudoSum(src, dst, IPPROTO.TCP, th + payload.length)), t + 16);
  return b;
}

/** IPv4/IPv6 + UDP (checksum computed) in one buffer: the same bytes as ip(src, dst, 17, udp(...), { id }). */
export function ipUdpFast(src: Ip, dst: Ip, sport: number, dport: number, payload: Uint8Array, id = 0): Buffer {
  const v4 = ipVersion(src) === 4;
  const ih = v4 ? 20 : 40;
  const ulen = 8 + payload.length;
  const b = Buffer.allocUnsafe(ih + ulen);
  const sb = ipBytes(src);
  const db = ipBytes(dst);
  if (v4) {
    b[0] = 0x45;
    b[1] = 0;
    b.writeUInt16BE(b.length, 2);
    b.writeUInt16BE(id & 0xffff, 4);
    b.writeUInt16BE(0, 6);
    b[8] = 64;
    b[9] = IPPROTO.UDP;
    b[10] = 0;
    b[11] = 0;
    sb.copy(b, 12);
    db.copy(b, 16);
    b.writeUInt16BE(inetChecksum(b, 0, 20), 10);
  } else {
    b.writeUInt32BE(6 << 28, 0);
    b.writeUInt16BE(ulen, 4);
    b[6] = IPPROTO.UDP;
    b[7] = 64;
    sb.copy(b, 8);
    db.copy(b, 24);
  }
  b.writeUInt16BE(sport, ih);
  b.writeUInt16BE(dport, ih + 2);
  b.writeUInt16BE(ulen, ih + 4);
  b.writeUInt16BE(0, ih + 6);
  b.set(payload, ih + 8);
  let c = inetChecksum(b, ih, b.length, pseudoSum(src, dst, IPPROTO.UDP, ulen));
  if (c === 0) c = 0xffff;
  b.writeUInt16BE(c, ih + 6);
  return b;
}

/**
 * Link header + outer IP + UDP (checksum 0 on IPv4, computed on IPv6) +
 * `gtpHeader` + `inner`, in one buffer: the same bytes as
 * frame(ipUdp(src, dst, sport, dport, concat(gtpHeader, inner)), link).
 */
export function udpFrameFast(
  linkHeader: Buffer,
  src: Ip,
  dst: Ip,
  sport: number,
  dport: number,
  gtpHeader: Uint8Array,
  inner: Uint8Array,
  id: number,
): Buffer {
  const v4 = ipVersion(src) === 4;
  const ih = v4 ? 20 : 40;
  const L = linkHeader.length;
  const ulen = 8 + gtpHeader.length + inner.length;
  const b = Buffer.allocUnsafe(L + ih + ulen);
  linkHeader.copy(b, 0);
  const sb = ipBytes(src);
  const db = ipBytes(dst);
  if (v4) {
    b[L] = 0x45;
    b[L + 1] = 0;
    b.writeUInt16BE(ih + ulen, L + 2);
    b.writeUInt16BE(id & 0xffff, L + 4);
    b.writeUInt16BE(0, L + 6);
    b[L + 8] = 64;
    b[L + 9] = IPPROTO.UDP;
    b[L + 10] = 0;
    b[L + 11] = 0;
    sb.copy(b, L + 12);
    db.copy(b, L + 16);
    b.writeUInt16BE(inetChecksum(b, L, L + 20), L + 10);
  } else {
    b.writeUInt32BE(6 << 28, L);
    b.writeUInt16BE(ulen, L + 4);
    b[L + 6] = IPPROTO.UDP;
    b[L + 7] = 64;
    sb.copy(b, L + 8);
    db.copy(b, L + 24);
  }
  const u = L + ih;
  b.writeUInt16BE(sport, u);
  b.writeUInt16BE(dport, u + 2);
  b.writeUInt16BE(ulen, u + 4);
  b.writeUInt16BE(0, u + 6);
  b.set(gtpHeader, u + 8);
  b.set(inner, u + 8 + gtpHeader.length);
  if (!v4) {
    let c = inetChecksum(b, u, b.length, pseudoSum(src, dst, IPPROTO.UDP, ulen));
    if (c === 0) c = 0xffff;
    b.writeUInt16BE(c, u + 6);
  }
  return b;
}

/** the link-layer header `frame()` would put before an IP packet of that version */
export function linkHeader(link: LinkSpec, ipv: 4 | 6): Buffer {
  const probe = Buffer.from([ipv << 4]);
  return frame(probe, link).subarray(0, -1);
}
