// The Gn capture `gnpay demo` replays: one GTPv1 subscriber attaches (Create
// PDP Context Request/Response, TS 29.060 s7.3.1/s7.3.2), its phone resolves
// the pay URL's host (DNS in the tunnel) and opens the URL over TCP: an HTTP
// GET for http:, a TLS ClientHello with SNI (and a given random) for https:.
// Ethernet, IPv4, UDP 2123/2152, classic pcap. This is all the product needs
// to write captures; the fixture generator with its expected outputs lives in
// the tools workspace (packages/tools).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

export interface DemoCaptureOptions {
  /** the URL the phone opens (with the token already in it) */
  url: string;
  msisdn: string;
  imsi: string;
  /** https: the ClientHello's random (32 bytes), e.g. that of a real TLS connection to bind */
  random?: Buffer;
  ueIp?: string;
  apn?: string;
  /** capture start, seconds since the epoch (default: now) */
  startSec?: number;
  /** write the capture here; it is returned either way */
  out?: string;
}

const SGSN_C = '192.0.2.10';
const SGSN_U = '192.0.2.11';
const GGSN_C = '198.51.100.1';
const GGSN_U = '198.51.100.2';
const RESOLVER = '198.51.100.53';
const TEID = { sgsnC: 0x1001, sgsnU: 0x1002, ggsnC: 0x2001, ggsnU: 0x2002 };

function ip4(a: string): Buffer {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255))
    throw new Error(`not an IPv4 address: ${a}`);
  return Buffer.from(p);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function checksum(...parts: Buffer[]): number {
  const b = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b.readUInt8(i) << 8) | (i + 1 < b.length ? b.readUInt8(i + 1) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(src: string, dst: string, proto: number, payload: Buffer, id: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h[6] = 0x40; // DF
  h[8] = 64;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** UDP over IPv4 with its checksum */
function udp(src: string, dst: string, sport: number, dport: number, payload: Buffer, id: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  const pseudo = Buffer.concat([ip4(src), ip4(dst), Buffer.from([0, 17]), u16(8 + payload.length)]);
  h.writeUInt16BE(checksum(pseudo, h, payload) || 0xffff, 6);
  return ipv4(src, dst, 17, Buffer.concat([h, payload]), id);
}

const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, PSH: 0x08, ACK: 0x10 } as const;

function tcp(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Buffer,
  id: number,
): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  const pseudo = Buffer.concat([ip4(src), ip4(dst), Buffer.from([0, 6]), u16(20 + payload.length)]);
  h.writeUInt16BE(checksum(pseudo, h, payload), 16);
  return ipv4(src, dst, 6, Buffer.concat([h, payload]), id);
}

function ethernet(ip: Buffer): Buffer {
  return Buffer.concat([Buffer.from('020000000002020000000001', 'hex'), u16(0x0800), ip]);
}

/** GTPv1 header (TS 29.060 s6), with the sequence number when given */
function gtp1(type: number, teid: number, body: Buffer, seq?: number): Buffer {
  const opt = seq === undefined ? Buffer.alloc(0) : Buffer.concat([u16(seq), Buffer.from([0, 0])]);
  const h = Buffer.alloc(8);
  h[0] = seq === undefined ? 0x30 : 0x32;
  h[1] = type;
  h.writeUInt16BE(opt.length + body.length, 2);
  h.writeUInt32BE(teid >>> 0, 4);
  return Buffer.concat([h, opt, body]);
}

/** TBCD digits (TS 29.002), filler 0xF */
function tbcd(digits: string): Buffer {
  const d = digits.length % 2 ? digits + 'f' : digits;
  const b = Buffer.alloc(d.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = (parseInt(d.charAt(2 * i + 1), 16) << 4) | parseInt(d.charAt(2 * i), 16);
  return b;
}

const tv = (type: number, value: Buffer) => Buffer.concat([Buffer.from([type]), value]);
const tlv = (type: number, value: Buffer) => Buffer.concat([Buffer.from([type]), u16(value.length), value]);

const IE = {
  CAUSE: 1,
  IMSI: 2,
  RECOVERY: 14,
  SELECTION_MODE: 15,
  TEID_DATA_I: 16,
  TEID_CP: 17,
  NSAPI: 20,
  CHARGING_ID: 127,
  EUA: 128,
  APN: 131,
  GSN_ADDRESS: 133,
  MSISDN: 134,
  QOS: 135,
};
const QOS_R99 = Buffer.from('0213921f9197fefe74f9ffff00', 'hex');

function apn(name: string): Buffer {
  return Buffer.concat(name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])));
}

function createPdpRequest(o: DemoCaptureOptions, seq: number): Buffer {
  const ies = [
    tv(IE.IMSI, tbcd(o.imsi.padEnd(16, 'f').slice(0, 16))),
    tv(IE.RECOVERY, Buffer.from([1])),
    tv(IE.SELECTION_MODE, Buffer.from([0xfc])),
    tv(IE.TEID_DATA_I, u32(TEID.sgsnU)),
    tv(IE.TEID_CP, u32(TEID.sgsnC)),
    tv(IE.NSAPI, Buffer.from([5])),
    tlv(IE.EUA, Buffer.from([0xf1, 0x21])),
    tlv(IE.APN, apn(o.apn ?? 'internet')),
    tlv(IE.GSN_ADDRESS, ip4(SGSN_C)),
    tlv(IE.GSN_ADDRESS, ip4(SGSN_U)),
    tlv(IE.MSISDN, Buffer.concat([Buffer.from([0x91]), tbcd(o.msisdn)])),
    tlv(IE.QOS, QOS_R99),
  ];
  return gtp1(16, 0, Buffer.concat(ies), seq);
}

function createPdpResponse(ueIp: string, seq: number): Buffer {
  const ies = [
    tv(IE.CAUSE, Buffer.from([128])),
    tv(8, Buffer.from([0xfe])), // reordering required: no
    tv(IE.RECOVERY, Buffer.from([1])),
    tv(IE.TEID_DATA_I, u32(TEID.ggsnU)),
    tv(IE.TEID_CP, u32(TEID.ggsnC)),
    tv(IE.CHARGING_ID, u32(1)),
    tlv(IE.EUA, Buffer.concat([Buffer.from([0xf1, 0x21]), ip4(ueIp)])),
    tlv(IE.GSN_ADDRESS, ip4(GGSN_C)),
    tlv(IE.GSN_ADDRESS, ip4(GGSN_U)),
    tlv(IE.QOS, QOS_R99),
  ];
  return gtp1(17, TEID.sgsnC, Buffer.concat(ies), seq);
}

function dnsName(host: string): Buffer {
  return Buffer.concat([
    ...host
      .split('.')
      .filter(Boolean)
      .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
}

function dnsQuery(id: number, host: string): Buffer {
  return Buffer.concat([u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName(host), u16(1), u16(1)]);
}

function dnsAnswer(id: number, host: string, addr: string): Buffer {
  const answer = Buffer.concat([u16(0xc00c), u16(1), u16(1), u32(300), u16(4), ip4(addr)]);
  return Buffer.concat([u16(id), u16(0x8180), u16(1), u16(1), u16(0), u16(0), dnsName(host), u16(1), u16(1), answer]);
}

const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);

/** a TLS 1.3 ClientHello record (RFC 8446 s4.1.2) with server_name (RFC 6066 s3) */
function clientHello(sni: string | null, random: Buffer): Buffer {
  const exts: Buffer[] = [];
  if (sni) exts.push(ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from(sni, 'latin1'))]))));
  exts.push(ext(10, vec16(Buffer.from('001d00170018', 'hex')))); // supported_groups
  exts.push(ext(13, vec16(Buffer.from('040308040401', 'hex')))); // signature_algorithms
  exts.push(ext(51, vec16(Buffer.concat([u16(0x001d), vec16(randomBytes(32))])))); // key_share
  exts.push(ext(43, Buffer.from([2, 0x03, 0x04]))); // supported_versions
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random,
    Buffer.from([32]),
    randomBytes(32),
    vec16(Buffer.from('130113021303', 'hex')),
    Buffer.from([1, 0]),
    vec16(Buffer.concat(exts)),
  ]);
  const hs = Buffer.concat([
    Buffer.from([1, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff]),
    body,
  ]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), vec16(hs)]);
}

/** classic pcap (microsecond timestamps, Ethernet) */
function pcap(frames: Array<{ usec: number; data: Buffer }>): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(1, 20);
  const recs = frames.map(({ usec, data }) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(usec / 1e6), 0);
    r.writeUInt32LE(usec % 1e6, 4);
    r.writeUInt32LE(data.length, 8);
    r.writeUInt32LE(data.length, 12);
    return Buffer.concat([r, data]);
  });
  return Buffer.concat([h, ...recs]);
}

/** The capture as pcap bytes (also written to `out` when given). */
export function demoCapture(o: DemoCaptureOptions): Buffer {
  const url = new URL(o.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`the pay URL must be http: or https:, got ${url.protocol}`);
  if (o.random && o.random.length !== 32) throw new RangeError('a ClientHello random is 32 bytes');
  const https = url.protocol === 'https:';
  const ue = o.ueIp ?? '10.45.0.2';
  const host = url.hostname.replace(/\.$/, '');
  const ipHost = /^[0-9.]+$/.test(host);
  const server = ipHost ? host : https ? '203.0.113.43' : '203.0.113.80';
  const frames: Array<{ usec: number; data: Buffer }> = [];
  let usec = (o.startSec ?? Math.floor(Date.now() / 1000)) * 1e6;
  let id = 1;
  const put = (ip: Buffer) => frames.push({ usec: (usec += 1000), data: ethernet(ip) });
  const up = (inner: Buffer) => put(udp(SGSN_U, GGSN_U, 2152, 2152, gtp1(255, TEID.ggsnU, inner), id++));
  const down = (inner: Buffer) => put(udp(GGSN_U, SGSN_U, 2152, 2152, gtp1(255, TEID.sgsnU, inner), id++));

  put(udp(SGSN_C, GGSN_C, 2123, 2123, createPdpRequest(o, 1), id++));
  put(udp(GGSN_C, SGSN_C, 2123, 2123, createPdpResponse(ue, 1), id++));
  if (!ipHost) {
    up(udp(ue, RESOLVER, 40053, 53, dnsQuery(0x4242, host), id++));
    down(udp(RESOLVER, ue, 53, 40053, dnsAnswer(0x4242, host, server), id++));
  }
  const sport = 40443;
  const dport = Number(url.port || (https ? 443 : 80));
  let cseq = 1000;
  let sseq = 9000;
  up(tcp(ue, server, sport, dport, cseq++, 0, TCP_FLAGS.SYN, Buffer.alloc(0), id++));
  down(tcp(server, ue, dport, sport, sseq++, cseq, TCP_FLAGS.SYN | TCP_FLAGS.ACK, Buffer.alloc(0), id++));
  up(tcp(ue, server, sport, dport, cseq, sseq, TCP_FLAGS.ACK, Buffer.alloc(0), id++));
  const request = https
    ? clientHello(ipHost ? null : host, o.random ?? randomBytes(32))
    : Buffer.from(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: Mozilla/5.0 (Linux; Android 14)\r\nAccept: */*\r\n\r\n`,
        'latin1',
      );
  up(tcp(ue, server, sport, dport, cseq, sseq, TCP_FLAGS.PSH | TCP_FLAGS.ACK, request, id++));
  cseq += request.length;
  const answer = https
    ? Buffer.alloc(1200, 0x16)
    : Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1');
  down(tcp(server, ue, dport, sport, sseq, cseq, TCP_FLAGS.PSH | TCP_FLAGS.ACK, answer, id++));
  sseq += answer.length;
  up(tcp(ue, server, sport, dport, cseq++, sseq, TCP_FLAGS.FIN | TCP_FLAGS.ACK, Buffer.alloc(0), id++));
  down(tcp(server, ue, dport, sport, sseq++, cseq, TCP_FLAGS.FIN | TCP_FLAGS.ACK, Buffer.alloc(0), id++));
  up(tcp(ue, server, sport, dport, cseq, sseq, TCP_FLAGS.ACK, Buffer.alloc(0), id++));
  const bytes = pcap(frames);
  if (o.out) writeFileSync(o.out, bytes);
  return bytes;
}
