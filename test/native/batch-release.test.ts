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
          if (b.json.length !== 0) t.fail('a released Buffer is empty');
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
  const { engine, stream } = open([file], { batchEvents: 1 });
  const held: Buffer[] = [];
  for (;;) {
    const b = await stream.next();
    if (!b) break;
    if (b.json.length > 0) held.push(b.json);
    if (b.end) break;
  }
  t.ok(held.length >= 2, 'batches held');
  const texts = held.map((h) => h.toString('utf8'));
  stream.close();
  engine.close();
  t.equal(stream.release(held[0]), true, 'released after close');
  t.same(
    held.slice(1).map((h) => h.toString('utf8')),
    texts.slice(1),
    'the others still read as they were',
  );
  held.length = 0;
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  t.pass('collected without fault');
});
