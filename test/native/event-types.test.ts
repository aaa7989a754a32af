// A stream asked for some event types (`types`, what the daemon's pipeline
// uses) hands over exactly the lines of those types that the unfiltered
// stream gives, in the same order, with the same statistics; batches count
// the lines they carry; an unknown type is refused.
import path from 'node:path';
import t from 'tap';
import { Engine, loadAddon, openCapture, parseEventLines } from '../../src/native';
import { CARRIERS, FIXTURES, fixtureCaptures, linesOf, replayFiles as replay } from '../helpers/replay';

const captures = fixtureCaptures();

const typeOf = (line: string) => (JSON.parse(line) as { type: string }).type;

t.test('every fixture: the filtered lines are the unfiltered ones of those types, in order', async (t) => {
  t.ok(captures.length > 10, 'fixtures found');
  let kept = 0;
  for (const f of captures) {
    const all = await replay([f], {});
    t.equal(all.counts, linesOf(all).length, `${path.basename(f)}: count is the lines`);
    for (const types of [['sighting', 'hello'], ['session'], ['request', 'sighting'], []]) {
      for (const batchEvents of [1, 256]) {
        const some = await replay([f], { types, batchEvents });
        const want = linesOf(all).filter((l) => types.includes(typeOf(l)));
        t.same(linesOf(some), want, `${path.basename(f)} ${types.join(',') || '(none)'} batchEvents ${batchEvents}`);
        t.equal(some.counts, want.length, 'count is the lines handed over');
        t.same(some.stats, all.stats, 'the statistics see every event');
        t.same([some.error, some.packets], [all.error, all.packets], 'the same end');
        kept += want.length;
      }
    }
  }
  t.ok(kept > 100, 'some events kept');
});

t.test('openCapture passes types on (files)', async (t) => {
  const f = path.join(FIXTURES, 'gn-basic.pcap');
  const read = async (types?: ('sighting' | 'hello' | 'session' | 'request')[]) => {
    const c = openCapture({ files: [f], carriers: CARRIERS, payHosts: ['pay.example.net'], types, batchEvents: 2, maxBatches: 1 });
    const out = [];
    for await (const b of c) out.push(...b);
    await c.close();
    return out;
  };
  const all = await read();
  const some = await read(['sighting', 'hello']);
  t.ok(all.some((e) => e.type === 'session') && some.length > 0, 'the fixture has sessions and sightings');
  t.same(
    some,
    all.filter((e) => e.type === 'sighting' || e.type === 'hello'),
  );
  t.same(parseEventLines(''), []);
});

t.test('an unknown type or a types that is not an array is refused', async (t) => {
  const addon = loadAddon();
  const engine = new Engine({ carriers: CARRIERS });
  const f = path.join(FIXTURES, 'gn-basic.pcap');
  t.throws(() => new addon.Replay(engine.native, [f], { types: ['sightings'] }), /unknown event type "sightings"/);
  t.throws(() => new addon.Replay(engine.native, [f], { types: [1] }), /unknown event type/);
  t.throws(() => new addon.Replay(engine.native, [f], { types: 'sighting' }), /types must be an array/);
  t.throws(() => new addon.Live(engine.native, ['lo'], { types: ['nope'] }), /unknown event type "nope"/);
  engine.close();
});
