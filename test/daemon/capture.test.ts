import t from 'tap';
import { CaptureService, type EventSource } from '../../src/daemon/capture';
import { StoreHealth } from '../../src/daemon/store-health';
import type { DecodeEvent } from '../../src/native/types';
import { emptyStats, type PipelineDeps } from '../../src/pipeline/pipeline';
import { sighting } from '../e2e/harness';
import { testContext, testPipelineDeps, type TestContext } from './context';

function service(ctx: TestContext, src: EventSource, onAllLost: (why: string) => void = () => {}) {
  const stats = emptyStats();
  const deps = testPipelineDeps(ctx);
  const opened: string[] = [];
  const seen: unknown[] = [];
  const capture = new CaptureService({
    ctx,
    health: new StoreHealth(ctx, deps, stats),
    stats,
    pipelineDeps: deps,
    onOpen: (what) => opened.push(what),
    onAllLost,
    openSource: (opts) => (seen.push(opts), src),
  });
  return { capture, stats, opened, seen };
}

function source(batches: DecodeEvent[][]): EventSource & { closed: boolean } {
  const s = {
    closed: false,
    async *[Symbol.asyncIterator]() {
      for (const b of batches) yield b;
    },
    async close() {
      s.closed = true;
    },
  };
  return s;
}

t.test('a replay: the files go to the source, its sightings through the pipeline; then finished', async (t) => {
  const ctx = testContext(t);
  const src = source([[sighting('a'.repeat(26), '491511234567')], [sighting('b'.repeat(26), '491511234567')]]);
  const { capture, stats, opened, seen } = service(ctx, src);
  t.equal(capture.state(false, true), 'starting');
  t.equal(capture.state(false, false), 'none');
  const result = await capture.run(['a.pcap']);
  t.equal(result, stats);
  t.equal(stats.sightings, 2);
  t.same(opened, ['1 file(s)']);
  t.match(seen[0], { files: [/\/a\.pcap$/], interfaces: undefined });
  t.ok(src.closed, 'the source is closed at its end');
  t.equal(capture.state(false, true), 'finished');
  t.ok(capture.replayWork, 'a replay tracks its own orders');
  await capture.close();
});

t.test('live: every interface lost calls onAllLost once per check, each loss logged once', async (t) => {
  const ctx = testContext(t, { capture: { interfaces: ['gn0', 'gn1'] } });
  const lost: string[] = [];
  const { capture } = service(ctx, source([]), (why) => lost.push(why));
  const stats = [
    { interface: 'gn0', error: 'gone' as string | null, packets: 1 },
    { interface: 'gn1', error: null as string | null, packets: 2 },
  ];
  const live = { captureStats: () => stats as never };
  capture.watch(live);
  capture.watch(live);
  t.same(lost, []);
  t.equal(ctx.logs.filter((l) => l.msg === 'capture stopped on an interface').length, 1);
  stats[1]!.error = 'down';
  capture.watch(live);
  t.same(lost, ['gn0: gone; gn1: down']);
  capture.watch({
    captureStats: () => {
      throw new Error('closed');
    },
  });
  ctx.setStopping(true);
  capture.watch(live);
  t.equal(lost.length, 1, 'nothing while stopping');
});

t.test(
  'capture files opened ahead of run(): one source, taken in order by run(); not ready before run()',
  async (t) => {
    const ctx = testContext(t);
    const src = source([[sighting('c'.repeat(26), '491511234567')], [sighting('d'.repeat(26), '491511234567')]]);
    const { capture, stats, opened, seen } = service(ctx, src);
    capture.open(['a.pcap']);
    capture.open(['a.pcap']);
    t.equal(seen.length, 1, 'opened once');
    t.same(opened, [], 'not announced before run()');
    t.equal(capture.state(false, true), 'starting', 'the capture is not up before run()');
    await capture.run(['a.pcap']);
    t.equal(seen.length, 1, 'run() took the opened source');
    t.equal(stats.sightings, 2);
    t.equal(stats.batches, 2);
    t.same(opened, ['1 file(s)']);
    t.equal(capture.state(false, true), 'finished');
    await capture.close();
  },
);

t.test("capture files opened ahead: an error opening them is run()'s; other files are opened by run()", async (t) => {
  const ctx = testContext(t);
  const stats = emptyStats();
  const deps = (sourceId: string): PipelineDeps => ({
    store: ctx.store,
    sourceId,
    limits: () => ctx.config().limits.perMsisdn,
  });
  let calls = 0;
  const capture = new CaptureService({
    ctx,
    health: new StoreHealth(ctx, deps, stats),
    stats,
    pipelineDeps: deps,
    onOpen: () => {},
    onAllLost: () => {},
    openSource: () => {
      calls++;
      throw new Error('cannot read a.pcap');
    },
  });
  capture.open(['a.pcap']);
  t.equal(calls, 1);
  await t.rejects(capture.run(['a.pcap']), /cannot read a\.pcap/);
  t.equal(calls, 1, 'the error of the opening');
  await t.rejects(capture.run(['b.pcap']), /cannot read/);
  t.equal(calls, 2, 'other files: opened by run()');
  await capture.close();
});

t.test('capture files opened ahead and never run: close() closes them', async (t) => {
  const ctx = testContext(t);
  const src = source([[sighting('e'.repeat(26), '491511234567')]]);
  const { capture } = service(ctx, src);
  capture.open(['a.pcap']);
  capture.open([]);
  await capture.close();
  t.ok(src.closed);
});
