// A batch's json Buffer handed back with release(): it is detached (empty)
// from then on and its memory is reused for later batches. The events are the
// same whether batches are released or not, at any batch size; a Buffer that
// no batch of the stream lent is refused and left as it was; a released or
// collected Buffer is safe after its stream and engine are gone.
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import t, { type Test } from 'tap';
import { Engine, loadAddon, NATIVE_ERROR_CODES, openCapture } from '../../src/native';
import { CLI } from '../helpers/cli';
import { CARRIERS, FIXTURES, fixtureCaptures, replayFiles } from '../helpers/replay';

interface Stream {
  next(): Promise<{ json: Buffer; count: number; error: unknown; end: boolean } | null>;
  release(json: unknown): boolean;
  close(): void;
}

function open(files: string[], opts: Record<string, unknown>): { engine: Engine; stream: Stream } {
  const engine = new Engine({ carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true });
  const stream = new (loadAddon().Replay)(engine.native, files, { hexTeids: true, ...opts }) as unknown as Stream;
  return { engine, stream };
}

function invalidArgument(t: Test, fn: () => unknown, what: string): void {
  try {
    fn();
    t.fail(`${what}: no error`);
  } catch (err) {
    t.type(err, TypeError, what);
    t.equal((err as { code?: string }).code, NATIVE_ERROR_CODES.invalidArgument, `${what}: code`);
  }
}

t.test('every fixture: the same text with each batch released once read', async (t) => {
  const captures = fixtureCaptures();
  t.ok(captures.length > 10, 'fixtures found');
  for (const f of captures) {
    for (const batchEvents of [1, 256]) {
      const kept = await replayFiles([f], { batchEvents });
      const { engine, stream } = open([f], { batchEvents });
      let text = '';
      let released = 0;
      let refused = 0;
      for (;;) {
        const b = await stream.next();
        if (!b) break;
        text += b.json.toString('utf8');
        if (b.json.length > 0) {
          if (stream.release(b.json)) released++;
          if (b.json.length !== 0) t.fail('a released Buffer is not empty');
          if (stream.release(b.json)) refused++;
        }
        if (b.end) break;
      }
      stream.close();
      engine.close();
      const name = `${path.basename(f)} batchEvents ${batchEvents}`;
      t.equal(text, kept.json, name);
      t.equal(refused, 0, `${name}: a second release is a no-op`);
      if (kept.counts > 0) t.ok(released > 0, `${name}: batches released`);
    }
  }
});

t.test('release() refuses what no batch of its stream lent', async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const a = open([file], { batchEvents: 1 });
  const b = open([file], { batchEvents: 1 });
  t.teardown(() => {
    a.stream.close();
    b.stream.close();
    a.engine.close();
    b.engine.close();
  });
  const first = await a.stream.next();
  t.ok(first && first.json.length > 0, 'a batch with events');
  const json = first!.json;
  const text = json.toString('utf8');
  invalidArgument(t, () => a.stream.release(Buffer.from(text)), 'a Buffer of the same bytes, not lent');
  invalidArgument(t, () => a.stream.release(text), 'a string');
  invalidArgument(t, () => a.stream.release(undefined), 'nothing');
  invalidArgument(t, () => b.stream.release(json), "another stream's batch");
  t.equal(json.toString('utf8'), text, 'a refused Buffer is left as it was');
  t.equal(a.stream.release(json), true, 'its own stream releases it');
  t.equal(json.length, 0, 'then it is empty');
});

t.test('capture.release(): chunks handed back as they are read; the iterator does it itself', async (t) => {
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  const expected = await replayFiles([file], { batchEvents: 1, hexTeids: true });
  const capture = openCapture({ files: [file], carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true, hexTeids: true });
  let text = '';
  for await (const c of capture.chunks()) {
    text += c.json.toString('utf8');
    capture.release(c);
    t.equal(c.json.length, 0, 'released');
    capture.release(c); // again: nothing happens
  }
  t.equal(text, expected.json, 'the same events');
  const again = openCapture({ files: [file], carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true, hexTeids: true });
  let events = 0;
  for await (const batch of again) events += batch.length;
  t.equal(events, expected.counts, 'the event objects of released batches');
});

t.test('Buffers released or collected after their stream and engine are gone', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const file = path.join(FIXTURES, 'gn-basic.pcap');
  let collected = false;
  const registry = new FinalizationRegistry(() => {
    collected = true;
  });
  // the stream and its engine live in this function only: the Buffers outlive both
  const held = await (async () => {
    const { engine, stream } = open([file], { batchEvents: 1 });
    const out: Buffer[] = [];
    for (;;) {
      const b = await stream.next();
      if (!b) break;
      if (b.json.length > 0) out.push(b.json);
      if (b.end) break;
    }
    t.equal(stream.release(out[0]), true, 'one released before its stream closes');
    stream.close();
    engine.close();
    registry.register(stream, 'stream');
    return out.slice(1);
  })();
  t.ok(held.length >= 2, 'batches held');
  const texts = held.map((h) => h.toString('utf8'));
  for (let i = 0; i < 50 && !collected; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.ok(collected, 'the stream was collected');
  t.same(
    held.map((h) => h.toString('utf8')),
    texts,
    'the Buffers it lent read as they did',
  );
  held.length = 0;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.pass('and are collected after it');
});

t.test('decode: chunks written to a stream that keeps them are not released', async (t) => {
  const { PassThrough, Writable } = await import('node:stream');
  const { decode } = await import('../../src/decode');
  const files = Array.from({ length: 30 }, () => path.join(FIXTURES, 'gn-basic.pcap'));
  const expected = await replayFiles(files, { batchEvents: 256 });
  t.ok(expected.counts > 256, 'more than one batch');
  const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('{"type":"stats"'));
  // a PassThrough read only once decode() returned, and a writable that keeps its chunks
  const through = new PassThrough({ highWaterMark: 1 << 30 });
  await decode({ files, carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true, format: 'jsonl', out: through });
  through.end();
  const piped: Buffer[] = [];
  for await (const c of through) piped.push(c as Buffer);
  t.same(lines(Buffer.concat(piped).toString('utf8')), lines(expected.json), 'a PassThrough read afterwards');
  const kept: Buffer[] = [];
  const keeper = new Writable({
    write(chunk: Buffer, _enc, cb) {
      kept.push(chunk);
      cb();
    },
  });
  await decode({ files, carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true, format: 'jsonl', out: keeper });
  t.same(lines(Buffer.concat(kept).toString('utf8')), lines(expected.json), 'a writable that keeps its chunks');
});

t.test('gnpay decode --jsonl to a pipe read slowly: every chunk written before it is reused', async (t) => {
  const { spawn } = await import('node:child_process');
  const files = Array.from({ length: 30 }, () => path.join(FIXTURES, 'gn-basic.pcap'));
  const expected = await replayFiles(files, { batchEvents: 256 });
  const child = spawn(process.execPath, [CLI, 'decode', '--jsonl', '--no-progress', '--requests', '--pay-host', 'pay.example.net', ...CARRIERS.flatMap((c) => ['--carrier', c]), ...files]);
  const out: Buffer[] = [];
  child.stdout.pause();
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  // the reader lags: gnpay's writes wait on a full pipe while the engine makes more batches
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    let c: Buffer | null;
    while ((c = child.stdout.read(16384) as Buffer | null) !== null) out.push(c);
  }
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stdout.resume();
  t.equal(await done, 0, 'exit 0');
  const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l && !l.startsWith('{"type":"stats"'));
  t.same(lines, expected.json.split('\n').filter((l) => l), 'the same events, in order');
});
