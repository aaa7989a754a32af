// Capture writers: read back the headers and records they write.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FileSink,
  LINKTYPE,
  MemorySink,
  openWriter,
  PcapngWriter,
  PcapWriter,
  readCapture,
} from '../../../packages/tools/src/gen';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-writer-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('pcap: µs/ns magic, both byte orders, link type, snaplen', async (t) => {
  for (const nanos of [false, true]) {
    for (const bigEndian of [false, true]) {
      const sink = new MemorySink();
      const w = new PcapWriter(sink, { linktype: LINKTYPE.LINUX_SLL2, nanos, bigEndian, snaplen: 100 });
      w.packet(Buffer.alloc(60, 1), 1714557600, 123_456_789);
      w.packet(Buffer.alloc(150, 2), 1714557601, 5);
      w.close();
      const b = sink.bytes();
      const r32 = (o: number) => (bigEndian ? b.readUInt32BE(o) : b.readUInt32LE(o));
      const r16 = (o: number) => (bigEndian ? b.readUInt16BE(o) : b.readUInt16LE(o));
      t.equal(r32(0), nanos ? 0xa1b23c4d : 0xa1b2c3d4, 'magic');
      t.same([r16(4), r16(6)], [2, 4], 'version 2.4');
      t.equal(r32(16), 100, 'snaplen');
      t.equal(r32(20), LINKTYPE.LINUX_SLL2, 'link type');
      t.equal(r32(24), 1714557600, 'ts seconds');
      t.equal(r32(28), nanos ? 123_456_789 : 123_456, 'ts fraction (µs truncated)');
      t.same([r32(32), r32(36)], [60, 60]);
      const second = 24 + 16 + 60;
      t.same([r32(second + 8), r32(second + 12)], [100, 150], 'caplen cut to the snaplen, origlen kept');
      t.equal(b.length, second + 16 + 100);
      t.equal(w.packets, 2);
      t.same(w.quantize(1, 123_456_789), nanos ? [1, 123_456_789] : [1, 123_456_000]);
      const r = readCapture(b);
      t.equal(r.frames.length, 2);
      t.equal(r.frames[1]!.origLen, 150);
      t.equal(r.frames[0]!.tsNsec, nanos ? 123_456_789 : 123_456_000);
    }
  }
  const w = new PcapWriter(new MemorySink(), { linktype: 1 });
  w.packet(Buffer.alloc(10), 0, 0, { origLen: 99 });
  t.equal(w.linktype(), 1);
});

t.test('pcapng: sections, interfaces, if_tsresol, EPB, SPB', async (t) => {
  const sink = new MemorySink();
  const w = new PcapngWriter(sink, {
    interfaces: [
      { linktype: LINKTYPE.LINUX_SLL },
      { linktype: LINKTYPE.ETHERNET, tsresol: 9, snaplen: 64 },
      { linktype: LINKTYPE.RAW, tsresol: 3 },
    ],
  });
  w.packet(Buffer.alloc(21, 1), 1714557600, 123_456_789, { iface: 0 });
  w.packet(Buffer.alloc(100, 2), 1714557600, 123_456_789, { iface: 1 });
  w.packet(Buffer.alloc(5, 3), 1714557600, 123_456_789, { iface: 2 });
  w.packet(Buffer.alloc(7, 4), 0, 0, { spb: true });
  t.throws(() => w.packet(Buffer.alloc(7), 0, 0, { spb: true, iface: 1 }), 'an SPB belongs to interface 0');
  t.throws(() => w.packet(Buffer.alloc(7), 0, 0, { iface: 5 }));
  t.same(w.quantize(1, 123_456_789, 2), [1, 123_000_000], 'ms resolution');
  t.same(w.quantize(1, 123_456_789, 1), [1, 123_456_789]);
  t.same(w.quantize(1, 123_456_789, 0), [1, 123_456_000]);
  const sectionAt = w.offset;
  w.section({ bigEndian: true, interfaces: [{ linktype: LINKTYPE.LINUX_SLL2, tsresol: 9 }] });
  t.equal(w.bigEndian, true);
  t.equal(w.linktype(0), LINKTYPE.LINUX_SLL2, 'interfaces renumbered in the new section');
  w.packet(Buffer.alloc(13, 5), 1714557601, 1, { iface: 0 });
  w.close();
  const b = sink.bytes();
  t.equal(b.readUInt32LE(0), 0x0a0d0d0a, 'SHB');
  t.equal(b.readUInt32LE(8), 0x1a2b3c4d, 'little-endian byte-order magic');
  t.equal(b.readUInt32BE(sectionAt + 8), 0x1a2b3c4d, 'second section big-endian');
  // every block: total length at both ends, multiple of 4
  for (let o = 0; o < b.length;) {
    const be = o >= sectionAt;
    const len = be ? b.readUInt32BE(o + 4) : b.readUInt32LE(o + 4);
    t.equal(len % 4, 0);
    t.equal(be ? b.readUInt32BE(o + len - 4) : b.readUInt32LE(o + len - 4), len, `trailing length at ${o}`);
    o += len;
  }
  const r = readCapture(b);
  t.equal(r.error, null);
  t.same(
    r.frames.map((f) => f.linktype),
    [LINKTYPE.LINUX_SLL, LINKTYPE.ETHERNET, LINKTYPE.RAW, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2],
  );
  t.same(
    r.frames.map((f) => f.tsNsec),
    [123_456_000, 123_456_789, 123_000_000, null, 1],
  );
  t.same(
    r.frames.map((f) => f.data.length),
    [21, 64, 5, 7, 13],
    'EPB cut to the interface snaplen',
  );
  t.equal(r.frames[1]!.origLen, 100);
  t.equal(r.frames[3]!.tsSec, null, 'SPB: no timestamp');
  t.equal(w.packets, 5);
  const w2 = openWriter('pcapng', new MemorySink(), { linktype: 1, nanos: true });
  t.same(w2.quantize(1, 7), [1, 7]);
  const w3 = openWriter('pcap', new MemorySink(), { linktype: 1 });
  t.ok(w3 instanceof PcapWriter);
});

t.test('FileSink streams through its buffer (larger than one chunk, and one record larger than a chunk)', async (t) => {
  const file = path.join(tmp, 'big.pcap');
  const w = new PcapWriter(new FileSink(file), { linktype: 1, snaplen: 8 * 1024 * 1024 });
  const rec = Buffer.alloc(1500, 7);
  for (let i = 0; i < 4000; i++) w.packet(rec, i, 0);
  w.packet(Buffer.alloc(5 * 1024 * 1024, 9), 5000, 0);
  w.packet(rec, 5001, 0);
  t.equal(w.offset, 24 + 4001 * (16 + 1500) + 16 + 5 * 1024 * 1024);
  w.close();
  w.close();
  const st = fs.statSync(file);
  t.equal(st.size, 24 + 4001 * (16 + 1500) + 16 + 5 * 1024 * 1024);
  const r = readCapture(fs.readFileSync(file));
  t.equal(r.frames.length, 4002);
  t.equal(r.frames[4000]!.data.length, 5 * 1024 * 1024);
  t.equal(r.frames[4001]!.tsSec, 5001);
});

t.test('MemorySink across chunks', async (t) => {
  const m = new MemorySink();
  for (let i = 0; i < 100; i++) m.write(Buffer.alloc(1000, i));
  m.write(Buffer.alloc(100_000, 1));
  t.equal(m.offset, 200_000);
  const b = m.bytes();
  t.equal(b.length, 200_000);
  t.equal(b[99_999], 99);
  m.close();
});

t.test('reader stops at a damaged block and at a cut pcap record', async (t) => {
  const m = new MemorySink();
  const w = new PcapWriter(m, { linktype: 1 });
  w.packet(Buffer.alloc(10), 1, 0);
  w.packet(Buffer.alloc(10), 2, 0);
  const b = m.bytes();
  const r = readCapture(b.subarray(0, b.length - 3));
  t.equal(r.frames.length, 1);
  t.same(r.error, { offset: 24 + 26, index: 2, what: 'record past the end' });
  t.throws(() => readCapture(Buffer.alloc(24)));
});
