import t from 'tap';
import { CaptureService, type EventSource } from '../../src/daemon/capture';
import { StoreHealth } from '../../src/daemon/store-health';
import type { DecodeEvent } from '../../src/native/types';
import { emptyStats, type PipelineDeps } from '../../src/pipeline/pipeline';
import { sighting } from '../e2e/harness';
import { testContext, type TestContext } from './context';

function service(ctx: TestContext, src: EventSource, onAllLost: (why: string) => void = () => {}) {
  const stats = emptyStats();
  const deps = (sourceId: string): PipelineDeps => ({
    store: ctx.store,
    sourceId,
    metrics: ctx.metrics,
    log: ctx.log,
    limits: () => ctx.config().limits.perMsisdn,
  });
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
