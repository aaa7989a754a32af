// Streaming capture writers: pcap (µs / ns magic, either byte order, any link
// type) and pcapng (sections, interfaces with their own link types and
// if_tsresol, EPB and SPB). Bytes go to a ByteSink as they are produced:
// a file sink writes through a reused 4 MiB buffer, so a 1 GB capture is
// never held in memory.
import * as fs from 'node:fs';

// ---------------------------------------------------------------- sinks

export interface ByteSink {
  /** reserve `n` bytes and return a buffer + offset to fill them in place */
  reserve(n: number): { buf: Buffer; off: number };
  write(b: Uint8Array): void;
  /** bytes written so far */
  readonly offset: number;
  close(): void;
}

const CHUNK = 4 * 1024 * 1024;

/** Writes through a reused buffer with fs.writeSync. */
export class FileSink implements ByteSink {
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private written = 0;
  constructor(path: string) {
    this.fd = fs.openSync(path, 'w');
  }
  get offset(): number {
    return this.written + this.pos;
  }
  reserve(n: number): { buf: Buffer; off: number } {
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    const off = this.pos;
    this.pos += n;
    return { buf: this.buf, off };
  }
  write(b: Uint8Array): void {
    const r = this.reserve(b.length);
    r.buf.set(b, r.off);
  }
  private flush(): void {
    let o = 0;
    while (o < this.pos) o += fs.writeSync(this.fd, this.buf, o, this.pos - o);
    this.written += this.pos;
    this.pos = 0;
  }
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Keeps the bytes in memory (small captures, tests, `gnpay demo`). */
export class MemorySink implements ByteSink {
  private chunks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  private done = 0;
  get offset(): number {
    return this.done + this.pos;
  }
  reserve(n: number): { buf: Buffer; off: number } {
    if (this.pos + n > this.cur.length) {
      this.chunks.push(Buffer.from(this.cur.subarray(0, this.pos)));
      this.done += this.pos;
      this.pos = 0;
      if (n > this.cur.length) this.cur = Buffer.allocUnsafe(n);
    }
    const off = this.pos;
    this.pos += n;
    return { buf: this.cur, off };
  }
  write(b: Uint8Array): void {
    const r = this.reserve(b.length);
    r.buf.set(b, r.off);
  }
  close(): void {}
  bytes(): Buffer {
    return Buffer.concat([...this.chunks, this.cur.subarray(0, this.pos)]);
  }
}

// ---------------------------------------------------------------- writers

export interface PacketOptions {
  /** pcapng interface id (default 0) */
  iface?: number;
  /** original length on the wire, when the data was cut (default data.length) */
  origLen?: number;
  /** pcapng: write a Simple Packet Block (no timestamp, interface 0) */
  spb?: boolean;
}

/** What the scenario writes frames through. */
export interface CaptureWriter {
  /** link type of an interface */
  linktype(iface?: number): number;
  /** the timestamp as the file will hold it (resolution of that interface) */
  quantize(sec: number, nsec: number, iface?: number): [number, number];
  packet(data: Uint8Array, sec: number, nsec: number, o?: PacketOptions): void;
  /** bytes written so far (file offset of the next record) */
  readonly offset: number;
  /** packets written so far */
  readonly packets: number;
  close(): void;
}

function put32(b: Buffer, at: number, v: number, be: boolean): void {
  if (be) {
    b[at] = v >>> 24;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
  } else {
    b[at] = v & 0xff;
    b[at + 1] = (v >>> 8) & 0xff;
    b[at + 2] = (v >>> 16) & 0xff;
    b[at + 3] = v >>> 24;
  }
}

export interface PcapOptions {
  linktype: number;
  nanos?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

/** Classic pcap (tcpdump.org): magic a1b2c3d4 (µs) or a1b23c4d (ns). */
export class PcapWriter implements CaptureWriter {
  private n = 0;
  readonly nanos: boolean;
  readonly bigEndian: boolean;
  readonly snaplen: number;
  constructor(
    private sink: ByteSink,
    private o: PcapOptions,
  ) {
    this.nanos = !!o.nanos;
    this.bigEndian = !!o.bigEndian;
    this.snaplen = o.snaplen ?? 262144;
    const h = Buffer.alloc(24);
    const w32 = (v: number, at: number) =>
      this.bigEndian ? h.writeUInt32BE(v >>> 0, at) : h.writeUInt32LE(v >>> 0, at);
    const w16 = (v: number, at: number) => (this.bigEndian ? h.writeUInt16BE(v, at) : h.writeUInt16LE(v, at));
    w32(this.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    w16(2, 4);
    w16(4, 6);
    w32(0, 8);
    w32(0, 12);
    w32(this.snaplen, 16);
    w32(o.linktype, 20);
    sink.write(h);
  }
  linktype(): number {
    return this.o.linktype;
  }
  get offset(): number {
    return this.sink.offset;
  }
  get packets(): number {
    return this.n;
  }
  quantize(sec: number, nsec: number): [number, number] {
    return this.nanos ? [sec, nsec] : [sec, nsec - (nsec % 1000)];
  }
  packet(data: Uint8Array, sec: number, nsec: number, o?: PacketOptions): void {
    const caplen = data.length < this.snaplen ? data.length : this.snaplen;
    const orig = o?.origLen ?? data.length;
    const { buf, off } = this.sink.reserve(16 + caplen);
    const frac = this.nanos ? nsec : Math.floor(nsec / 1000);
    put32(buf, off, sec >>> 0, this.bigEndian);
    put32(buf, off + 4, frac, this.bigEndian);
    put32(buf, off + 8, caplen, this.bigEndian);
    put32(buf, off + 12, orig, this.bigEndian);
    buf.set(caplen === data.length ? data : data.subarray(0, caplen), off + 16);
    this.n++;
  }
  close(): void {
    this.sink.close();
  }
}

export interface PcapngInterface {
  linktype: number;
  snaplen?: number;
  /** if_tsresol exponent: 6 = µs (default), 9 = ns, 3 = ms */
  tsresol?: number;
  name?: string;
}

export interface PcapngSectionOptions {
  bigEndian?: boolean;
  interfaces: PcapngInterface[];
  /** shb_userappl */
  app?: string;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * pcapng (draft-ietf-opsawg-pcapng). `section()` starts a Section Header Block
 * followed by its Interface Description Blocks; interface ids restart at 0 in
 * each section (packet numbering does not).
 */
export class PcapngWriter implements CaptureWriter {
  private n = 0;
  private be = false;
  private ifaces: Required<PcapngInterface>[] = [];
  constructor(
    private sink: ByteSink,
    first?: PcapngSectionOptions,
  ) {
    if (first) this.section(first);
  }
  get offset(): number {
    return this.sink.offset;
  }
  get packets(): number {
    return this.n;
  }
  linktype(iface = 0): number {
    return this.ifaces[iface]!.linktype;
  }
  private w32(buf: Buffer, v: number, at: number): void {
    if (this.be) buf.writeUInt32BE(v >>> 0, at);
    else buf.writeUInt32LE(v >>> 0, at);
  }
  private w16(buf: Buffer, v: number, at: number): void {
    if (this.be) buf.writeUInt16BE(v, at);
    else buf.writeUInt16LE(v, at);
  }
  private options(opts: [number, Buffer][]): Buffer {
    if (!opts.length) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for (const [code, val] of opts) {
      const b = Buffer.alloc(4 + pad4(val.length));
      this.w16(b, code, 0);
      this.w16(b, val.length, 2);
      val.copy(b, 4);
      parts.push(b);
    }
    parts.push(Buffer.alloc(4)); // opt_endofopt
    return Buffer.concat(parts);
  }
  private block(type: number, body: Buffer): void {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    this.w32(b, type, 0);
    this.w32(b, len, 4);
    body.copy(b, 8);
    this.w32(b, len, len - 4);
    this.sink.write(b);
  }
  section(s: PcapngSectionOptions): void {
    this.be = !!s.bigEndian;
    this.ifaces = [];
    const body = Buffer.alloc(16);
    this.w32(body, 0x1a2b3c4d, 0);
    this.w16(body, 1, 4);
    this.w16(body, 0, 6);
    body.writeInt32BE(-1, 8); // section length unknown (-1 in either byte order)
    body.writeInt32BE(-1, 12);
    const opts = this.options([[4, Buffer.from(s.app ?? 'gnpay gen')]]);
    this.block(0x0a0d0d0a, Buffer.concat([body, opts]));
    for (const i of s.interfaces) this.addInterface(i);
  }
  addInterface(i: PcapngInterface): number {
    const full: Required<PcapngInterface> = {
      linktype: i.linktype,
      snaplen: i.snaplen ?? 262144,
      tsresol: i.tsresol ?? 6,
      name: i.name ?? `if${this.ifaces.length}`,
    };
    const body = Buffer.alloc(8);
    this.w16(body, full.linktype, 0);
    this.w16(body, 0, 2);
    this.w32(body, full.snaplen, 4);
    const opts: [number, Buffer][] = [[2, Buffer.from(full.name)]];
    if (full.tsresol !== 6) opts.push([9, Buffer.from([full.tsresol])]);
    this.block(1, Buffer.concat([body, this.options(opts)]));
    this.ifaces.push(full);
    return this.ifaces.length - 1;
  }
  quantize(sec: number, nsec: number, iface = 0): [number, number] {
    const r = this.ifaces[iface]!.tsresol;
    if (r >= 9) return [sec, nsec];
    const unit = 10 ** (9 - r);
    return [sec, nsec - (nsec % unit)];
  }
  packet(data: Uint8Array, sec: number, nsec: number, o: PacketOptions = {}): void {
    const iface = o.iface ?? 0;
    const desc = this.ifaces[iface];
    if (!desc) throw new Error(`no pcapng interface ${iface} in this section`);
    const caplen = Math.min(data.length, desc.snaplen);
    const orig = o.origLen ?? data.length;
    if (o.spb) {
      if (iface !== 0) throw new Error('an SPB belongs to interface 0');
      const len = 16 + pad4(caplen);
      const { buf, off } = this.sink.reserve(len);
      buf.fill(0, off, off + len);
      this.w32(buf, 3, off);
      this.w32(buf, len, off + 4);
      this.w32(buf, orig, off + 8);
      buf.set(data.subarray(0, caplen), off + 12);
      this.w32(buf, len, off + len - 4);
      this.n++;
      return;
    }
    const len = 32 + pad4(caplen);
    const { buf, off } = this.sink.reserve(len);
    const units =
      BigInt(sec) * 10n ** BigInt(desc.tsresol) + BigInt(Math.floor(nsec / 10 ** (9 - Math.min(9, desc.tsresol))));
    buf.fill(0, off + 28 + caplen, off + len);
    this.w32(buf, 6, off);
    this.w32(buf, len, off + 4);
    this.w32(buf, iface, off + 8);
    this.w32(buf, Number(units >> 32n), off + 12);
    this.w32(buf, Number(units & 0xffffffffn), off + 16);
    this.w32(buf, caplen, off + 20);
    this.w32(buf, orig, off + 24);
    buf.set(data.subarray(0, caplen), off + 28);
    this.w32(buf, len, off + len - 4);
    this.n++;
  }
  /** raw bytes (corrupt-block fixtures) */
  raw(b: Uint8Array): void {
    this.sink.write(b);
  }
  /** byte order of the current section */
  get bigEndian(): boolean {
    return this.be;
  }
  close(): void {
    this.sink.close();
  }
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** A writer for one link type in either format, to a file or memory. */
export function openWriter(
  format: CaptureFormat,
  sink: ByteSink,
  o: { linktype: number; nanos?: boolean; bigEndian?: boolean; snaplen?: number },
): CaptureWriter {
  if (format === 'pcap') return new PcapWriter(sink, o);
  return new PcapngWriter(sink, {
    bigEndian: o.bigEndian,
    interfaces: [{ linktype: o.linktype, tsresol: o.nanos ? 9 : 6, snaplen: o.snaplen }],
  });
}
