// A replay reads its input on a reader thread and decodes on another; the
// events, their order, the statistics and the errors are what a single
// thread gives (readerThread: false: the decoding thread reads), with
// frames handed over one at a time or in large chunks, filtered or not; and
// the single thread's look-ahead does not change them either.
// A capture replayed twice through one engine gives the same outcome every
// time: which repeated request heads the head assembler recognises does not
// depend on its hash seed, drawn anew for each engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import { Engine, loadAddon } from '../../src/native';
import { CARRIERS, FIXTURES, fixtureCaptures, replayFiles as replay, type ReplayOutcome } from '../helpers/replay';

const captures = fixtureCaptures();

t.test('every fixture: the same events, stats and errors on one thread and on two', async (t) => {
  t.ok(captures.length > 10, 'fixtures found');
  for (const f of captures) {
    const one = await replay([f], { readerThread: false });
    for (const opts of [{}, { chunkFrames: 1, pipeChunks: 1 }, { chunkFrames: 3, pipeChunks: 2, batchEvents: 1 }]) {
      const two = await replay([f], { readerThread: true, ...opts });
      t.same(two, one, `${path.basename(f)} ${JSON.stringify(opts)}`);
    }
    // the one-thread path decodes a few frames behind the one it reads: chunks shorter
    // than that distance, and chunks that wrap it, give the same
    for (const opts of [{ chunkFrames: 3 }, { chunkFrames: 5, batchEvents: 1 }]) {
      const again = await replay([f], { readerThread: false, ...opts });
      t.same(again, one, `${path.basename(f)} one thread ${JSON.stringify(opts)}`);
    }
  }
});

t.test('several files, a filter, a capture cut short', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-reader-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const basic = path.join(FIXTURES, 'gn-basic.pcap');
  const transport = path.join(FIXTURES, 'gn-transport.pcap');
  const cut = path.join(dir, 'cut.pcap');
  const bytes = fs.readFileSync(path.join(FIXTURES, 'gn-lifecycle.pcapng'));
  fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const cases: [string[], Record<string, unknown>][] = [
    [[basic, path.join(FIXTURES, 'gn-lifecycle.pcapng'), transport], {}],
    [[basic], { filter: 'udp port 2123' }],
    [[basic, cut, transport], {}],
  ];
  for (const [files, opts] of cases) {
    const one = await replay(files, { readerThread: false, ...opts });
    const two = await replay(files, { readerThread: true, chunkFrames: 2, pipeChunks: 1, ...opts });
    t.same(two, one, `${files.map((f) => path.basename(f)).join(' ')} ${JSON.stringify(opts)}`);
  }
  const cutOne = await replay([cut], { readerThread: false });
  t.ok(cutOne.error, 'the cut capture ends in an error');
});

t.test('a capture many windows long, a record longer than any window, gzip: the same on one thread and two', async (t) => {
  // the reader reads each chunk's bytes into that chunk (a window of 256 KiB and some): records
  // cut by a window's end go on in the next chunk's, a longer record gets a longer window
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-windows-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const src = fs.readFileSync(path.join(FIXTURES, 'bearer-bounds.pcap'));
  t.equal(src.readUInt32LE(0), 0xa1b2c3d4, 'a little-endian pcap');
  const records = src.subarray(24);
  const long = Buffer.alloc(16 + 3_000_000, 0x5a); // a record of 3,000,000 bytes of an unknown EtherType
  long.writeUInt32LE(1_700_000_000, 0);
  long.writeUInt32LE(3_000_000, 8);
  long.writeUInt32LE(3_000_000, 12);
  long.writeUInt16BE(0x88b5, 16 + 12);
  const parts = [src.subarray(0, 24)];
  for (let i = 0; i < 80; i++) parts.push(i === 40 ? Buffer.concat([long, records]) : records);
  const big = path.join(dir, 'big.pcap');
  fs.writeFileSync(big, Buffer.concat(parts));
  const gz = path.join(dir, 'big.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(big)));
  t.ok(fs.statSync(big).size > 5_000_000, `${fs.statSync(big).size} bytes`);

  // events name their file: the .gz's as the plain one's
  const asBig = (o: ReplayOutcome): ReplayOutcome => ({ ...o, json: o.json.replaceAll(JSON.stringify(gz), JSON.stringify(big)) });
  const one = await replay([big], { readerThread: false });
  t.equal(one.error, null, 'read to its end');
  t.equal(one.packets, 1 + 80 * (await replay([path.join(FIXTURES, 'bearer-bounds.pcap')], {})).packets, 'every record');
  for (const [file, opts] of [
    [big, {}],
    [big, { chunkFrames: 1, pipeChunks: 1 }],
    [big, { chunkFrames: 3, pipeChunks: 2, batchEvents: 1 }],
    // chunks that end where their window is full, not on their frame count
    [big, { chunkFrames: 100_000 }],
    [big, { chunkFrames: 100_000, pipeChunks: 1 }],
    [gz, {}],
    [gz, { chunkFrames: 5, pipeChunks: 1 }],
  ] as const) {
    const two = await replay([file], { readerThread: true, ...opts });
    t.same(asBig(two), one, `${path.basename(file)} ${JSON.stringify(opts)}`);
  }
  t.same(asBig(await replay([gz], { readerThread: false })), one, 'big.pcap.gz on one thread');

  // a chunk of up to 1,024 frames may make more events than a batch holds: they go out in several
  for (const readerThread of [true, false]) {
    const engine = new Engine({ carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true }); // as replay()'s
    const r = new (loadAddon().Replay)(engine.native, [big], { readerThread, batchEvents: 4 }) as unknown as {
      next(): Promise<{ count: number; end: boolean } | null>;
      close(): void;
    };
    const counts: number[] = [];
    for (let b = await r.next(); b; b = b.end ? null : await r.next()) counts.push(b.count);
    r.close();
    engine.close();
    t.ok(Math.max(...counts) <= 4, `readerThread ${readerThread}: no batch over batchEvents (${counts.length} batches)`);
    t.equal(
      counts.reduce((a, b) => a + b, 0),
      one.counts,
      `readerThread ${readerThread}: every event`,
    );
  }
});

t.test('every fixture replayed twice through one engine: the same outcome every time', async (t) => {
  for (const f of captures) {
    const first = await replay([f, f], { readerThread: false });
    for (let i = 0; i < 5; i++) {
      const again = await replay([f, f], i % 2 ? { readerThread: false } : { readerThread: true, chunkFrames: 7 });
      t.same(again, first, `${path.basename(f)} run ${i + 2}`);
    }
  }
});

t.test('closed while the reader is ahead: no hang, no crash', async (t) => {
  const addon = loadAddon();
  const engine = new Engine({ carriers: CARRIERS });
  const f = path.join(FIXTURES, 'gn-transport.pcap');
  const r = new addon.Replay(engine.native, [f, f, f, f], { chunkFrames: 1, pipeChunks: 1, batchEvents: 1, maxBatches: 1 }) as unknown as {
    next(): Promise<unknown>;
    close(): void;
  };
  await r.next();
  r.close();
  engine.close();
  t.pass('closed');
});

t.test('a reader thread only where a core is free for it', async (t) => {
  const { replayReaderThread } = await import('../../src/native');
  // the decoding thread and the reader: two cores; with JavaScript working on every event: three
  t.equal(replayReaderThread(false, 1), false, 'one core: the decoding thread reads');
  t.equal(replayReaderThread(false, 2), true, 'two cores, JavaScript passing JSONL on: a reader thread');
  t.equal(replayReaderThread(true, 2), false, 'two cores, JavaScript busy (the daemon): no reader thread');
  t.equal(replayReaderThread(true, 3), true, 'three cores: a reader thread');
  t.equal(replayReaderThread(true), os.availableParallelism() >= 3, 'by default: this machine\'s cores');
});
