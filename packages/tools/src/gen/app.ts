// Application-layer builders: HTTP/1.1 requests and responses, DNS queries and
// responses, TLS 1.3 ClientHello with server_name.
import { dnsName, type Ip, ipBytes, Rng } from './bytes';

export interface HttpRequestSpec {
  method?: string;
  target: string;
  host?: string | null;
  headers?: [string, string][];
  body?: string | Buffer;
  /** add a Content-Length for the body (default true when there is a body) */
  contentLength?: boolean;
  userAgent?: string | null;
}

/** An HTTP/1.1 request head (+ body). */
export function httpRequest(r: HttpRequestSpec): Buffer {
  const lines = [`${r.method ?? 'GET'} ${r.target} HTTP/1.1`];
  if (r.host !== null && r.host !== undefined) lines.push(`Host: ${r.host}`);
  if (r.userAgent !== null)
    lines.push(`User-Agent: ${r.userAgent ?? 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36'}`);
  lines.push('Accept: */*');
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  if (body.length && r.contentLength !== false) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

export function httpResponse(r: {
  status?: number;
  reason?: string;
  headers?: [string, string][];
  body?: string | Buffer;
}): Buffer {
  const body = Buffer.from(r.body ?? '');
  const lines = [
    `HTTP/1.1 ${r.status ?? 200} ${r.reason ?? 'OK'}`,
    'Server: example',
    `Content-Length: ${body.length}`,
  ];
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

export const DNS_TYPE = { A: 1, AAAA: 28, HTTPS: 65 } as const;

/** A DNS query (RFC 1035 s4.1) with one question, RD set. */
export function dnsQuery(id: number, name: string, qtype: number = DNS_TYPE.A): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([h, dnsName(name), q]);
}

/** A DNS response answering `name` with `answers` (A or AAAA by address family), the answer name compressed. */
export function dnsResponse(id: number, name: string, answers: Ip[], qtype: number = DNS_TYPE.A): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x8180, 2); // QR, RD, RA
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answers.length, 6);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(qtype, 0);
  q.writeUInt16BE(1, 2);
  const rrs = answers.map((a) => {
    const addr = ipBytes(a);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(addr.length === 4 ? DNS_TYPE.A : DNS_TYPE.AAAA, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(300, 6);
    rr.writeUInt16BE(addr.length, 10);
    return Buffer.concat([rr, addr]);
  });
  return Buffer.concat([h, dnsName(name), q, ...rrs]);
}

function ext(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function vec16(b: Buffer): Buffer {
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length);
  return Buffer.concat([h, b]);
}

export interface ClientHelloOptions {
  sni?: string | null;
  /** include an X25519MLKEM768 key share (1216 octets) like current browsers: the hello then spans two TCP segments */
  pq?: boolean;
  rng?: Rng;
  alpn?: string[];
  /** ClientHello.random (32 bytes); drawn from rng when absent */
  random?: Buffer;
}

/**
 * A TLS 1.3 ClientHello (RFC 8446 s4.1.2) in one handshake record: legacy
 * version 0x0303, random, session id, cipher suites, extensions with
 * server_name first (RFC 6066 s3), supported_groups, key_share, ...
 */
export function tlsClientHello(o: ClientHelloOptions = {}): Buffer {
  const rng = o.rng ?? new Rng(1);
  if (o.random && o.random.length !== 32) throw new RangeError('a ClientHello random is 32 bytes');
  const exts: Buffer[] = [];
  if (o.sni) {
    const name = Buffer.from(o.sni, 'latin1');
    const entry = Buffer.concat([Buffer.from([0]), vec16(name)]);
    exts.push(ext(0, vec16(entry)));
  }
  exts.push(ext(23, Buffer.alloc(0))); // extended_master_secret
  exts.push(ext(65281, Buffer.from([0]))); // renegotiation_info
  const groups = o.pq ? [0x11ec, 0x001d, 0x0017, 0x0018] : [0x001d, 0x0017, 0x0018];
  const g = Buffer.alloc(groups.length * 2);
  groups.forEach((v, i) => g.writeUInt16BE(v, i * 2));
  exts.push(ext(10, vec16(g))); // supported_groups
  exts.push(ext(11, Buffer.from([1, 0]))); // ec_point_formats
  exts.push(ext(35, Buffer.alloc(0))); // session_ticket
  const alpn = o.alpn ?? ['h2', 'http/1.1'];
  exts.push(ext(16, vec16(Buffer.concat(alpn.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)]))))));
  exts.push(ext(5, Buffer.from([1, 0, 0, 0, 0]))); // status_request
  const sig = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
  const s = Buffer.alloc(sig.length * 2);
  sig.forEach((v, i) => s.writeUInt16BE(v, i * 2));
  exts.push(ext(13, vec16(s))); // signature_algorithms
  const shares: Buffer[] = [];
  const share = (group: number, len: number) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(group, 0);
    h.writeUInt16BE(len, 2);
    shares.push(Buffer.concat([h, rng.bytes(len)]));
  };
  if (o.pq) share(0x11ec, 1216);
  share(0x001d, 32);
  exts.push(ext(51, vec16(Buffer.concat(shares)))); // key_share
  exts.push(ext(45, Buffer.from([1, 1]))); // psk_key_exchange_modes
  exts.push(ext(43, Buffer.from([4, 0x03, 0x04, 0x03, 0x03]))); // supported_versions
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
  const cs = Buffer.alloc(suites.length * 2);
  suites.forEach((v, i) => cs.writeUInt16BE(v, i * 2));
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    o.random ?? rng.bytes(32),
    Buffer.from([32]),
    rng.bytes(32),
    vec16(cs),
    Buffer.from([1, 0]),
    vec16(Buffer.concat(exts)),
  ]);
  const hs = Buffer.alloc(4);
  hs[0] = 1;
  hs.writeUIntBE(body.length, 1, 3);
  const msg = Buffer.concat([hs, body]);
  const rec = Buffer.alloc(5);
  rec[0] = 22;
  rec.writeUInt16BE(0x0301, 1);
  rec.writeUInt16BE(msg.length, 3);
  return Buffer.concat([rec, msg]);
}

/**
 * The host a request head names, as the engine reports it on a sighting
 * (docs/events.md): a ClientHello's server_name (no trailing dot), or the
 * first Host header of an HTTP head (trimmed); null when there is none.
 */
export function requestHost(head: Buffer): string | null {
  if (head.length > 0 && head[0] === 22) return clientHelloSni(head);
  const text = head.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  for (const line of (end < 0 ? text : text.slice(0, end)).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).toLowerCase() === 'host') {
      const v = line.slice(i + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      return v.length ? v : null;
    }
  }
  return null;
}

/** The server_name of a ClientHello in one record (what tlsClientHello writes), or null. */
export function clientHelloSni(rec: Buffer): string | null {
  let p = 5 + 4 + 2 + 32;
  if (rec.length < p + 1) return null;
  p += 1 + rec[p]!;
  p += 2 + rec.readUInt16BE(p);
  p += 1 + rec[p]!;
  const end = p + 2 + rec.readUInt16BE(p);
  p += 2;
  while (p + 4 <= end && p + 4 <= rec.length) {
    const type = rec.readUInt16BE(p);
    const len = rec.readUInt16BE(p + 2);
    if (type === 0 && len >= 5) {
      const n = rec.readUInt16BE(p + 7);
      const name = rec.subarray(p + 9, p + 9 + n).toString('latin1');
      return name.endsWith('.') ? name.slice(0, -1) : name;
    }
    p += 4 + len;
  }
  return null;
}
