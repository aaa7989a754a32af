// The addon's guard-rails: wrapped objects carry type tags (the wrong object
// throws a TypeError, never crashes), errors carry stable codes, and capture
// threads stop when their environment goes away (a worker terminated mid-replay).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Engine, loadAddon, NATIVE_ERROR_CODES, openCapture, CaptureFilterError } from '../../src/native';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const file = path.join(FIXTURES, 'gn-basic.pcap');

t.test('the wrong wrapped object: a TypeError with a code', async (t) => {
  const addon = loadAddon();
  const engine = new Engine({ carriers: ['query:pay_token'] });
  t.teardown(() => engine.close());
  const replay = new addon.Replay(engine.native, [file], {});
  t.teardown(() => replay.close());
  const wrong = (fn: () => unknown, what: string, coded = true) => {
    try {
      fn();
      t.fail(`${what}: no error`);
    } catch (err) {
      t.type(err, TypeError, what);
      if (coded) t.equal((err as { code?: string }).code, NATIVE_ERROR_CODES.invalidArgument, `${what}: code`);
    }
  };
  const A = addon as unknown as Record<string, new (...a: unknown[]) => Record<string, (...a: unknown[]) => unknown>>;
  wrong(() => new A.Replay!(replay, [file], {}), 'a Replay given as the engine of a Replay');
  wrong(() => new A.Live!(replay, ['lo'], {}), 'a Replay given as the engine of a Live');
  wrong(() => new A.Replay!({}, [file], {}), 'a plain object given as the engine');
  const proto = Object.getPrototypeOf(engine.native) as Record<string, (...a: unknown[]) => unknown>;
  // methods: V8 checks the receiver first ("Illegal invocation"), the type tag after it
  wrong(() => proto.stats!.call(replay), 'Engine.stats called on a Replay', false);
  wrong(() => proto.exportSessions!.call(replay), 'Engine.exportSessions called on a Replay', false);
  const rproto = Object.getPrototypeOf(replay) as Record<string, (...a: unknown[]) => unknown>;
  wrong(() => rproto.progress!.call(engine.native), 'Replay.progress called on an Engine', false);
  t.throws(() => proto.stats!.call({}), 'Engine.stats on a plain object throws');
  t.ok(engine.stats().packets >= 0, 'the engine still works');
});

t.test('errors carry stable codes', async (t) => {
  const engine = new Engine({ carriers: ['query:pay_token'] });
  const code = (fn: () => unknown) => {
    try {
      fn();
      return null;
    } catch (err) {
      return (err as { code?: string }).code ?? 'none';
    }
  };
  t.equal(code(() => engine.importSessions(Buffer.from('nonsense'), Date.now(), 1000)), NATIVE_ERROR_CODES.checkpoint);
  t.equal(code(() => new (loadAddon().Engine)({ carriers: [], limits: { maxSessions: -1 } })), NATIVE_ERROR_CODES.outOfRange);
  engine.close();
  t.equal(code(() => engine.native.stats()), NATIVE_ERROR_CODES.engineClosed);
  let filterErr: unknown;
  try {
    openCapture({ files: [file], carriers: [], filter: 'port nonsense(' });
  } catch (err) {
    filterErr = err;
  }
  t.type(filterErr, CaptureFilterError);
  t.equal((filterErr as { code?: string }).code, NATIVE_ERROR_CODES.badFilter);
});

t.test('a worker terminated while it replays: the process carries on and exits cleanly', async (t) => {
  const script = `
    const { Worker } = require('node:worker_threads');
    const src = \`
      const { parentPort } = require('node:worker_threads');
      const n = require(${JSON.stringify(path.join(__dirname, '..', '..', 'build', 'Release', 'gnpay.node'))});
      const e = new n.Engine({ carriers: ['query:pay_token'] });
      const files = Array(200).fill(${JSON.stringify(file)});
      const r = new n.Replay(e, files, { batchEvents: 1, maxBatches: 1 });
      r.next().then(() => parentPort.postMessage('started'));
    \`;
    let done = 0;
    for (let i = 0; i < 4; i++) {
      const w = new Worker(src, { eval: true });
      w.on('message', () => w.terminate());
      w.on('exit', () => { if (++done === 4) { console.log('all terminated'); } });
    }
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.signal, null, `no signal (${r.stderr})`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /all terminated/);
});

t.test('one table of engine limits: the addon exports it, TypeScript and the config use it', async (t) => {
  const { ENGINE_LIMITS, engineLimits, validateLimits } = await import('../../src/native');
  const native = engineLimits();
  t.same(native.map((l) => l.name), ENGINE_LIMITS.map((l) => l.name), 'same names, same order');
  for (const l of native) t.ok(Number.isSafeInteger(l.default) && l.default > 0, `${l.name} default ${l.default}`);
  t.equal(native.find((l) => l.name === 'pendingTimeoutSeconds')?.default, 30, 'seconds in seconds');
  for (const l of ENGINE_LIMITS) t.same(validateLimits({ [l.name]: 7 }), { [l.name]: 7 }, `${l.name} accepted`);
  t.throws(() => validateLimits({ nope: 1 } as never), /unknown engine limit/);
  const { DEFAULTS } = await import('../../src/config');
  t.ok(DEFAULTS.decode !== undefined, 'the config knows the decode section');
});

t.test('an engine closed while its replay decodes: the replay ends with an error, no crash', async (t) => {
  const addon = loadAddon();
  const files = Array<string>(200).fill(file);
  for (const readerThread of [true, false]) {
    const how = readerThread ? 'reader thread' : 'one thread';
    const engine = new Engine({ carriers: ['query:pay_token'] });
    const replay = new addon.Replay(engine.native, files, { batchEvents: 1, maxBatches: 1, readerThread });
    t.teardown(() => replay.close());
    const first = await replay.next();
    t.ok(first && !first.end && !first.error, `${how}: the replay is under way`);
    engine.close();
    let error: string | null = null;
    let batches = 0;
    for (;;) {
      const b = await replay.next();
      if (!b) break;
      batches++;
      if (b.error) {
        error = b.error.message;
        break;
      }
      if (b.end) break;
    }
    t.equal(error, 'the engine was closed during the replay', `${how}: the replay ends with this error`);
    t.ok(batches < 1000, `${how}: at once (${batches} batches after the close), not after the 200 files`);
  }
});

t.test('a capture file truncated under the replay: an error naming it, on both paths', async (t) => {
  const one = fs.readFileSync(file);
  const big = Buffer.concat([one, ...Array<Buffer>(400).fill(one.subarray(24))]); // one header, 401 copies of the records
  const dir = t.testdir();
  for (const readerThread of [false, true])
    for (const [name, keep] of [
      ['cut.pcap', 200_000], // far past where the replay waits, well before its end
      ['emptied.pcap', 0],
    ] as const) {
      const how = `${name}, readerThread ${readerThread}`;
      const f = path.join(dir, `${readerThread}-${name}`);
      fs.writeFileSync(f, big);
      const engine = new Engine({ carriers: ['query:pay_token'] });
      t.teardown(() => engine.close());
      const addon = loadAddon();
      // small batches and chunks, one batch queued: the replay waits far from the file's end
      const replay = new addon.Replay(engine.native, [f], {
        batchEvents: 1,
        maxBatches: 1,
        readerThread,
        chunkFrames: 4,
        pipeChunks: 2,
      });
      t.teardown(() => replay.close());
      const first = await replay.next();
      t.ok(first && !first.end && !first.error, `${how}: the replay is under way`);
      fs.truncateSync(f, keep);
      let error: { message: string; file: string } | null = null;
      let events = first!.count;
      for (let b = await replay.next(); b; b = b.end ? null : await replay.next()) {
        events += b.count;
        if (b.error) error = b.error;
      }
      t.equal(error?.message, `${f} shrank while it was read`, `${how}: the replay ends with this error`);
      t.equal(error?.file, f, `${how}: the error names the file`);
      t.ok(events > 0, `${how}: ${events} events before the error`);
    }
});

t.test('many small files: batches stay near batchEvents on both paths', async (t) => {
  const addon = loadAddon();
  const files = Array<string>(50).fill(file);
  const totals: number[] = [];
  for (const readerThread of [true, false]) {
    const engine = new Engine({ carriers: ['query:pay_token'] });
    t.teardown(() => engine.close());
    const replay = new addon.Replay(engine.native, files, { batchEvents: 8, readerThread });
    t.teardown(() => replay.close());
    const counts: number[] = [];
    for (let b = await replay.next(); b; b = b.end ? null : await replay.next()) counts.push(b.count);
    t.ok(counts.length > 10, `${readerThread ? 'reader thread' : 'one thread'}: ${counts.length} batches`);
    t.ok(Math.max(...counts) <= 8 + 64, `the largest holds ${Math.max(...counts)} events`);
    totals.push(counts.reduce((a, b) => a + b, 0));
  }
  t.equal(totals[0], totals[1], 'the same events in all');
});
