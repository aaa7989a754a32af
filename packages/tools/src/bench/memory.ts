// Memory benchmark (issue: the appliance): resident memory of the tunnel
// table with 1 million active sessions; target at most 282 bytes per session.
// A capture of Create PDP Context pairs for distinct subscribers is generated
// (gen-cli flood-teids), replayed into an engine in a fresh process, and the
// process's resident set is read before and after, with the capture unmapped
// and the JS heap collected (the V8 heap's own growth is reported apart).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine } from './util';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export interface MemoryBenchOptions {
  sessions?: number;
}

/** Runs inside the child process (node --expose-gc packages/tools/dist/bench/memory.js <capture>). */
async function measure(capture: string): Promise<void> {
  const { Engine, openCapture } = await import('../../../../dist/native');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const engine = new Engine({ carriers: ['query:pay_token'], limits: { maxSessions: 4_000_000 } });
  gc();
  const m0 = process.memoryUsage();
  const cap = openCapture({ files: [capture], carriers: ['query:pay_token'] }, engine);
  let events = 0;
  for await (const batch of cap) events += batch.length;
  await cap.close(); // unmaps the capture
  // The JSON text of each batch is freed by its Buffer's finalizer, which node
  // runs from an immediate after the collection that found the Buffer dead:
  // collect, let the finalizers run, and again (else up to the tens of MiB of
  // text V8 lets accumulate before collecting would count as resident).
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  const m1 = process.memoryUsage();
  const t = engine.tables();
  process.stdout.write(
    JSON.stringify({
      sessions: t.sessions,
      events,
      rssBefore: m0.rss,
      rssAfter: m1.rss,
      heapBefore: m0.heapTotal + m0.external,
      heapAfter: m1.heapTotal + m1.external,
      tableBytes: t.sessionBytes,
    }) + '\n',
  );
  engine.close();
}

export async function runMemoryBench(o: MemoryBenchOptions = {}): Promise<Record<string, number>> {
  const sessions = o.sessions ?? 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-mem-'));
  try {
    const capture = path.join(dir, 'sessions.pcap');
    console.log(`machine: ${machine()}`);
    // flood-teids (sessions mode) writes one Create PDP Context pair per subscriber: 2 packets each
    const gen = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'packages', 'tools', 'dist', 'gen-cli.js'),
        'flood-teids',
        '-o',
        capture,
        '--packets',
        String(sessions * 2 + 100),
      ],
      { encoding: 'utf8' },
    );
    if (gen.status !== 0) throw new Error(`gen-cli failed: ${gen.stderr}`);
    const child = (flags: string[]) => {
      const r = spawnSync(process.execPath, ['--expose-gc', ...flags, __filename, '--measure', capture], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0) throw new Error(`measurement failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!);
    };
    const m = child([]);
    // V8 grows its young generation (two semi-spaces) up to a fixed cap while
    // batches of events stream through JS, and keeps the pages: a constant
    // ~30 MiB whatever the session count. A second process with the semi-space
    // held at 1 MiB shows the whole process without that constant.
    const small = child(['--max-semi-space-size=1']);
    const smallDelta = small.rssAfter - small.rssBefore;
    const rssDelta = m.rssAfter - m.rssBefore;
    const heapDelta = m.heapAfter - m.heapBefore;
    const res = {
      sessions: m.sessions,
      rssDeltaBytes: rssDelta,
      rssPerSession: rssDelta / m.sessions,
      nativePerSession: (rssDelta - Math.max(0, heapDelta)) / m.sessions,
      tablePerSession: m.tableBytes / m.sessions,
      jsHeapDeltaBytes: heapDelta,
      rssPerSessionSmallYoungGen: smallDelta / small.sessions,
    };
    console.log(`active sessions:              ${res.sessions}`);
    console.log(
      `resident memory growth:       ${(rssDelta / 2 ** 20).toFixed(1)} MiB = ${res.rssPerSession.toFixed(0)} bytes/session (whole process)`,
    );
    console.log(
      `  of which JS heap:           ${(heapDelta / 2 ** 20).toFixed(1)} MiB (V8 young generation grown to its cap by event batches; fixed, not per session)`,
    );
    console.log(`  native (tunnel table):      ${res.nativePerSession.toFixed(0)} bytes/session (target <= 282)`);
    console.log(
      `whole process, node --max-semi-space-size=1: ${(smallDelta / 2 ** 20).toFixed(1)} MiB = ${res.rssPerSessionSmallYoungGen.toFixed(0)} bytes/session`,
    );
    console.log(
      `table accounting:             ${res.tablePerSession.toFixed(0)} bytes/session (records, indexes, interned addresses)`,
    );
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === '--measure') {
  measure(process.argv[3]!).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
