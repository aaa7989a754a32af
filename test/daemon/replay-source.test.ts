// Capture files opened by the CLI before the daemon loads
// (src/daemon/replay-source.ts): the capture service adopts them and stores
// what they carry exactly as when it opens the files itself; files it was not
// given for are closed; an error opening them is run()'s.
import path from 'node:path';
import t from 'tap';
import { CaptureService } from '../../src/daemon/capture';
import { closeReplay, openReplay } from '../../src/daemon/replay-source';
import { StoreHealth } from '../../src/daemon/store-health';
import { NATIVE_ERROR_CODES } from '../../src/native';
import { emptyStats } from '../../src/pipeline/pipeline';
import { testContext, testPipelineDeps, type TestContext } from './context';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const basic = path.join(FIXTURES, 'gn-basic.pcap');
const lifecycle = path.join(FIXTURES, 'gn-lifecycle.pcapng');
const CARRIERS = { carriers: ['query:pay_token', 'path:/pay/', 'host:pay.example.net'] };

function service(ctx: TestContext) {
  const stats = emptyStats();
  const deps = testPipelineDeps(ctx);
  const capture = new CaptureService({
    ctx,
    health: new StoreHealth(ctx, deps, stats),
    stats,
    pipelineDeps: deps,
    onOpen: () => {},
    onAllLost: () => {},
  });
  return { capture, stats };
}

t.test('adopted files give the sightings the service finds when it opens them itself', async (t) => {
  const results = [];
  for (const early of [false, true]) {
    const ctx = testContext(t, CARRIERS);
    const { capture, stats } = service(ctx);
    const replay = early ? openReplay(ctx.config(), [basic]) : undefined;
    if (replay) t.ok(replay.ok, 'opened');
    capture.open([basic], replay);
    await capture.run([basic]);
    await capture.close();
    if (replay?.ok)
      t.throws(
        () => replay.engine.stats(),
        { code: NATIVE_ERROR_CODES.engineClosed },
        'the engine is closed with the service',
      );
    const rows = ctx.store.db.prepare('SELECT COUNT(*) AS n FROM sightings').get() as { n: number };
    results.push({ sightings: stats.sightings, events: stats.events, rows: rows.n });
  }
  t.ok(results[0]!.sightings > 0, `${results[0]!.sightings} sightings`);
  t.same(results[1], results[0], 'the same with the files opened ahead');
});

t.test('files opened for other files than the service is given: closed, the service opens its own', async (t) => {
  const ctx = testContext(t, CARRIERS);
  const { capture, stats } = service(ctx);
  const replay = openReplay(ctx.config(), [lifecycle]);
  t.ok(replay.ok);
  capture.open([basic], replay);
  await new Promise((r) => setTimeout(r, 50));
  if (replay.ok) t.throws(() => replay.engine.stats(), { code: NATIVE_ERROR_CODES.engineClosed }, 'closed');
  await capture.run([basic]);
  t.ok(stats.sightings > 0, 'the service read its own files');
  await capture.close();
});

t.test('an error opening the files is kept for run(); closeReplay of it is a no-op', async (t) => {
  const ctx = testContext(t, CARRIERS);
  const { capture } = service(ctx);
  const missing = path.join(FIXTURES, 'no-such-capture.pcap');
  const replay = openReplay(ctx.config(), [missing]);
  t.equal(replay.ok, false);
  await closeReplay(replay);
  capture.open([missing], replay);
  await t.rejects(capture.run([missing]), /cannot read .*no-such-capture\.pcap: ENOENT/);
  await capture.close();
});
