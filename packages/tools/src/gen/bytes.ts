// Byte-level helpers for the fixture generator: addresses, checksums, TBCD,
// APN labels, a seeded PRNG and token text. Pure functions over Buffers.
import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as text ("192.0.2.1", "2001:db8::1"). */
export type Ip = string;

const versionCache = new Map<string, 4 | 6>();
const bytesCache = new Map<string, Buffer>();
const CACHE_MAX = 1 << 16;

export function ipVersion(ip: Ip): 4 | 6 {
  const c = versionCache.get(ip);
  if (c) return c;
  let v: 4 | 6;
  if (isIPv4(ip)) v = 4;
  else if (isIPv6(ip)) v = 6;
  else throw new Error(`not an IP address: ${ip}`);
  if (versionCache.size >= CACHE_MAX) versionCache.clear();
  versionCache.set(ip, v);
  return v;
}

export function ipv4Bytes(ip: Ip): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4 || !isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(parts.map((p) => Number(p)));
}

export function ipv6Bytes(ip: Ip): Buffer {
  if (!isIPv6(ip)) throw new Error(`not an IPv6 address: ${ip}`);
  let text = ip;
  const out = Buffer.alloc(16);
  // embedded IPv4 tail ("::ffff:1.2.3.4")
  const lastColon = text.lastIndexOf(':');
  let tail: number[] = [];
  if (text.indexOf('.', lastColon) >= 0) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = text.slice(0, lastColon + 1) + '0';
  }
  const halves = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  let groups: number[];
  if (tail.length) {
    const all = halves.map(parse);
    // replace the placeholder "0" group by the two IPv4 groups
    const last = all[all.length - 1]!;
    last.pop();
    last.push(...tail);
    groups =
      halves.length === 2
        ? [...all[0]!, ...new Array<number>(8 - all[0]!.length - all[1]!.length).fill(0), ...all[1]!]
        : all[0]!;
  } else if (halves.length === 2) {
    const a = parse(halves[0]!);
    const b = parse(halves[1]!);
    groups = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
  } else {
    groups = parse(text);
  }
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i] ?? 0, i * 2);
  return out;
}

/** The bytes of an address (a shared, cached Buffer: copy from it, never write to it). */
export function ipBytes(ip: Ip): Buffer {
  let b = bytesCache.get(ip);
  if (!b) {
    b = ipVersion(ip) === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
    if (bytesCache.size >= CACHE_MAX) bytesCache.clear();
    bytesCache.set(ip, b);
  }
  return b;
}

/** RFC 5952 text of 16 bytes (lower-case, longest zero run compressed). */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Canonical text of an address (so "2001:DB8:0::1" compares equal to "2001:db8::1"). */
export function canonicalIp(ip: Ip): string {
  return ipVersion(ip) === 4 ? ip : formatIpv6(ipv6Bytes(ip));
}

/** The /64 prefix of an IPv6 address, as text of its first 8 bytes. */
export function ipv6Prefix64(ip: Ip): string {
  return ipv6Bytes(ip).subarray(0, 8).toString('hex');
}

/**
 * Ones'-complement sum of `buf[start, end)` as big-endian 16-bit words, plus
 * `acc`, not folded (RFC 1071). Long aligned runs are summed as 32-bit
 * little-endian words (the sum is byte-order independent up to a final swap).
 */
export function sum16(buf: Uint8Array, start = 0, end = buf.length, acc = 0): number {
  let s = acc;
  let i = start;
  if (end - start >= 64 && LITTLE_ENDIAN) {
    const abs = buf.byteOffset + start;
    const pad = (4 - (abs & 3)) & 3;
    if ((pad & 1) === 0) {
      if (pad === 2) {
        s += (buf[i]! << 8) | buf[i + 1]!;
        i += 2;
      }
      const words = (end - i) >>> 2;
      const u32 = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
      let le = 0;
      for (let k = 0; k < words; k++) le += u32[k]!;
      // fold the little-endian sum to 16 bits, then swap its bytes
      let f = le;
      while (f > 0xffff) f = (f & 0xffff) + Math.floor(f / 0x10000);
      s += ((f & 0xff) << 8) | (f >>> 8);
      i += words * 4;
    }
  }
  const even = end - ((end - i) & 1);
  for (; i < even; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  return s;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Internet checksum (RFC 1071) of a byte range plus an initial partial sum. */
export function inetChecksum(buf: Uint8Array, start = 0, end = buf.length, acc = 0): number {
  const c = ~fold16(sum16(buf, start, end, acc)) & 0xffff;
  return c;
}

/**
 * TBCD (TS 29.002 / TS 23.003): two digits per octet, low nibble first, 0xF
 * filler in the last octet's high nibble when the count is odd. Characters
 * other than 0-9 are accepted as raw nibbles when given as "[a-f]" hex (for
 * malformed fixtures: "49151a" puts 0xA in a digit position).
 */
export function tbcd(digits: string): Buffer {
  const nib = (c: string): number => {
    const v = parseInt(c, 16);
    if (Number.isNaN(v)) throw new Error(`bad TBCD digit ${c}`);
    return v;
  };
  const n = Math.ceil(digits.length / 2);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const lo = nib(digits[2 * i]!);
    const hi = 2 * i + 1 < digits.length ? nib(digits[2 * i + 1]!) : 0xf;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function decodeTbcd(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const lo = b[i]! & 0xf;
    const hi = b[i]! >> 4;
    s += lo.toString(16);
    if (hi === 0xf && i === b.length - 1) break;
    s += hi.toString(16);
  }
  return s;
}

/** TS 23.003 s9.1 APN label encoding: each dot-separated label as length + bytes. */
export function apnBytes(apn: string): Buffer {
  if (apn === '') return Buffer.alloc(0);
  const parts = apn.split('.').map((l) => {
    const b = Buffer.from(l, 'latin1');
    if (b.length === 0 || b.length > 63) throw new Error(`bad APN label in "${apn}"`);
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat(parts);
}

const dnsCache = new Map<string, Buffer>();

/** DNS name (RFC 1035 s3.1) in label form with the terminating zero (cached: never write to it). */
export function dnsName(name: string): Buffer {
  let b = dnsCache.get(name);
  if (b) return b;
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  b = Buffer.concat([apnBytes(n), Buffer.from([0])]);
  if (dnsCache.size >= 4096) dnsCache.clear();
  dnsCache.set(name, b);
  return b;
}

/**
 * A small, fast, seeded PRNG (mulberry32). Every generated fixture depends
 * only on its seed, so regenerating gives the same bytes.
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** uint32 */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** float in [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      b[i] = v & 0xff;
      if (i + 1 < n) b[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) b[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) b[i + 3] = v >>> 24;
    }
    return b;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.u32() % 10);
    return s;
  }
}

export const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const LOWER_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A payment token: `len` characters of [A-Za-z0-9_-] (16..64). `hostSafe`
 * tokens use lower-case letters and digits only, so they are valid DNS labels
 * and survive the lower-casing of host carriers unchanged.
 */
export function makeToken(rng: Rng, len = 24, hostSafe = false): string {
  const alphabet = hostSafe ? LOWER_ALPHABET : TOKEN_ALPHABET;
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[rng.u32() % alphabet.length];
  // a token never starts with '-' (keeps it readable as a command-line value)
  if (s[0] === '-') s = 'a' + s.slice(1);
  return s;
}

export function isToken(s: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(s);
}

/** "2024-05-01T10:00:00.000123Z" from seconds + nanoseconds (ns truncated to µs). */
export function isoMicros(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  const base = d.toISOString().slice(0, 19);
  const us = Math.floor(nsec / 1000);
  return `${base}.${String(us).padStart(6, '0')}Z`;
}

export function u16be(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}

export function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
