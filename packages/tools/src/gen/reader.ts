// A small reader of the captures the generator writes (pcap and pcapng),
// for tests and for replaying a capture onto an interface (live-capture
// test). Not gnpay's decoder: it trusts its input and stops at damage.
import { formatIpv6 } from './bytes';
import { LINKTYPE } from './net';

export interface ReadFrame {
  /** 1-based packet number */
  index: number;
  /** file offset of the record */
  offset: number;
  linktype: number;
  iface: number;
  /** null for a Simple Packet Block */
  tsSec: number | null;
  tsNsec: number | null;
  origLen: number;
  data: Buffer;
}

export interface ReadResult {
  format: 'pcap' | 'pcapng';
  frames: ReadFrame[];
  /** where reading stopped on damage */
  error: { offset: number; index: number; what: string } | null;
}

export function readCapture(buf: Buffer): ReadResult {
  const magicLE = buf.readUInt32LE(0);
  if (magicLE === 0x0a0d0d0a) return readPcapng(buf);
  return readPcap(buf);
}

function readPcap(buf: Buffer): ReadResult {
  const m = buf.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const m2 = le ? m : buf.readUInt32BE(0);
  if (m2 !== 0xa1b2c3d4 && m2 !== 0xa1b23c4d) throw new Error('not a pcap file');
  const nanos = m2 === 0xa1b23c4d;
  const r32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = r32(20);
  const frames: ReadFrame[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const caplen = r32(off + 8);
    if (off + 16 + caplen > buf.length)
      return { format: 'pcap', frames, error: { offset: off, index: frames.length + 1, what: 'record past the end' } };
    const frac = r32(off + 4);
    frames.push({
      index: frames.length + 1,
      offset: off,
      linktype,
      iface: 0,
      tsSec: r32(off),
      tsNsec: nanos ? frac : frac * 1000,
      origLen: r32(off + 12),
      data: buf.subarray(off + 16, off + 16 + caplen),
    });
    off += 16 + caplen;
  }
  return { format: 'pcap', frames, error: null };
}

function readPcapng(buf: Buffer): ReadResult {
  const frames: ReadFrame[] = [];
  let off = 0;
  let le = true;
  let ifaces: { linktype: number; tsresol: number }[] = [];
  const r32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const r16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  while (off + 12 <= buf.length) {
    if (buf.readUInt32LE(off) === 0x0a0d0d0a) {
      le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
      ifaces = [];
    }
    const type = r32(off);
    const len = r32(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > buf.length || r32(off + len - 4) !== len) {
      return {
        format: 'pcapng',
        frames,
        error: { offset: off, index: frames.length + 1, what: `bad block length ${len}` },
      };
    }
    const body = off + 8;
    if (type === 1) {
      let tsresol = 6;
      let o = body + 8;
      while (o + 4 <= off + len - 4) {
        const code = r16(o);
        const l = r16(o + 2);
        if (code === 0) break;
        if (code === 9) tsresol = buf[o + 4]!;
        o += 4 + ((l + 3) & ~3);
      }
      ifaces.push({ linktype: r16(body), tsresol });
    } else if (type === 6) {
      const iface = r32(body);
      const ts = (BigInt(r32(body + 4)) << 32n) | BigInt(r32(body + 8));
      const caplen = r32(body + 12);
      const d = ifaces[iface]!;
      const units = 10n ** BigInt(d.tsresol);
      const sec = ts / units;
      const frac = ts % units;
      frames.push({
        index: frames.length + 1,
        offset: off,
        linktype: d.linktype,
        iface,
        tsSec: Number(sec),
        tsNsec: Number((frac * 1_000_000_000n) / units),
        origLen: r32(body + 16),
        data: buf.subarray(body + 20, body + 20 + caplen),
      });
    } else if (type === 3) {
      const orig = r32(body);
      const caplen = Math.min(orig, len - 16);
      frames.push({
        index: frames.length + 1,
        offset: off,
        linktype: ifaces[0]!.linktype,
        iface: 0,
        tsSec: null,
        tsNsec: null,
        origLen: orig,
        data: buf.subarray(body + 4, body + 4 + caplen),
      });
    }
    off += len;
  }
  return { format: 'pcapng', frames, error: null };
}

export interface Dissected {
  vlans: number[];
  /** outer IP */
  ipVersion: 4 | 6 | 0;
  src: string;
  dst: string;
  proto: number;
  /** IPv4 fragment fields */
  fragOffset: number;
  moreFragments: boolean;
  ipId: number;
  sport: number | null;
  dport: number | null;
  /** GTP (first octet, type, TEID) when the UDP port is 2123/2152 and this is the first fragment */
  gtp: { flags: number; type: number; teid: number | null } | null;
  /** the outer IP payload (for the first fragment: from the UDP header on) */
  ipPayload: Buffer;
}

function ipText(b: Buffer): string {
  return b.length === 4 ? Array.from(b).join('.') : formatIpv6(b);
}

/** The inner packet of a G-PDU (after the GTP header, options and extension headers), or null. */
export function gpduInner(d: Dissected): Buffer | null {
  if (!d.gtp || d.gtp.type !== 255) return null;
  const g = d.ipPayload.subarray(8);
  let off = 8;
  if (g[0]! & 0x07) {
    off = 12;
    let next = g[11];
    while (g[0]! & 0x04 && next !== 0 && off < g.length) {
      const len = g[off]! * 4;
      if (len === 0) return null;
      next = g[off + len - 1];
      off += len;
    }
  }
  return g.subarray(off);
}

/** TCP seq and payload of an inner IPv4/IPv6 packet, or null */
export function innerTcpPayload(inner: Buffer): { seq: number; payload: Buffer; sport: number; dport: number } | null {
  if (inner.length < 20) return null;
  const v = inner[0]! >> 4;
  let off: number;
  if (v === 4) {
    if (inner[9] !== 6) return null;
    off = (inner[0]! & 0xf) * 4;
  } else if (v === 6) {
    if (inner[6] !== 6) return null;
    off = 40;
  } else return null;
  if (inner.length < off + 20) return null;
  const hl = (inner[off + 12]! >> 4) * 4;
  return {
    seq: inner.readUInt32BE(off + 4),
    payload: inner.subarray(off + hl),
    sport: inner.readUInt16BE(off),
    dport: inner.readUInt16BE(off + 2),
  };
}

/** link layer + outer IP + UDP + GTP header fields of a frame (no reassembly) */
export function dissect(linktype: number, frame: Buffer): Dissected | null {
  let off = 0;
  const vlans: number[] = [];
  let etype = 0;
  if (linktype === LINKTYPE.ETHERNET) {
    off = 12;
    etype = frame.readUInt16BE(off);
    while (etype === 0x8100 || etype === 0x88a8) {
      vlans.push(frame.readUInt16BE(off + 2) & 0xfff);
      off += 4;
      etype = frame.readUInt16BE(off);
    }
    off += 2;
    if (etype === 0x8847 || etype === 0x8848) {
      // MPLS labels down to the bottom of the stack; IP below it
      while (off + 4 <= frame.length && !(frame[off + 2]! & 1)) off += 4;
      off += 4;
    }
  } else if (linktype === LINKTYPE.LINUX_SLL) {
    off = 16;
  } else if (linktype === LINKTYPE.LINUX_SLL2) {
    off = 20;
  }
  if (frame.length < off + 20) return null;
  const v = frame[off]! >> 4;
  if (v !== 4 && v !== 6) return null;
  let src: string;
  let dst: string;
  let proto: number;
  let payload: Buffer;
  let fragOffset = 0;
  let mf = false;
  let id = 0;
  if (v === 4) {
    const ihl = (frame[off]! & 0xf) * 4;
    src = ipText(frame.subarray(off + 12, off + 16));
    dst = ipText(frame.subarray(off + 16, off + 20));
    proto = frame[off + 9]!;
    const fo = frame.readUInt16BE(off + 6);
    fragOffset = (fo & 0x1fff) * 8;
    mf = (fo & 0x2000) !== 0;
    id = frame.readUInt16BE(off + 4);
    payload = frame.subarray(off + ihl);
  } else {
    src = ipText(frame.subarray(off + 8, off + 24));
    dst = ipText(frame.subarray(off + 24, off + 40));
    proto = frame[off + 6]!;
    payload = frame.subarray(off + 40);
  }
  let sport: number | null = null;
  let dport: number | null = null;
  let gtp: Dissected['gtp'] = null;
  if (proto === 17 && fragOffset === 0 && payload.length >= 8) {
    sport = payload.readUInt16BE(0);
    dport = payload.readUInt16BE(2);
    const g = payload.subarray(8);
    // GTP by its ports; between two other ports (a node answering from another socket) a GTPv1 or
    // GTPv2 header whose length is exactly the datagram's
    const gtpPort = dport === 2152 || dport === 2123 || sport === 2152 || sport === 2123;
    const exact =
      g.length >= 8 &&
      ((g[0]! >> 5 === 1 && (g[0]! & 0x10) !== 0 && g.readUInt16BE(2) + 8 === g.length) ||
        (g[0]! >> 5 === 2 && (g[0]! & 0x10) === 0 && g.readUInt16BE(2) + 4 === g.length));
    if ((gtpPort || exact) && g.length >= 8) {
      const ver = g[0]! >> 5;
      const hasTeid = ver === 1 || (ver === 2 && (g[0]! & 0x08) !== 0);
      gtp = { flags: g[0]!, type: g[1]!, teid: hasTeid ? g.readUInt32BE(4) : null };
    }
  }
  return {
    vlans,
    ipVersion: v,
    src,
    dst,
    proto,
    fragOffset,
    moreFragments: mf,
    ipId: id,
    sport,
    dport,
    gtp,
    ipPayload: payload,
  };
}
