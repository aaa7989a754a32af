// Disk full for real: the database on a small tmpfs filled up to ~100 KiB.
// A replay of 1,290 tokens waits while nothing can be written (not ready, a
// loud log) and finishes once space is freed, every token associated and
// charged, exit 0; a live capture spools its sightings and stores them when
// space is back. As root (mount); skipped, visibly, otherwise.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { mkdirSync, rmSync, statfsSync, writeFileSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import type { DecodeEvent } from '../../src/native/types';
import { Daemon, type EventSource } from '../../src/pipeline/daemon';
import { Store } from '../../src/store';
import { ORDER_OPTS, msisdnOf, phoneCapture, sighting, spawnDaemon, tmpDir, until } from './harness';

t.setTimeout(300000);

const root = process.getuid?.() === 0;

function smallDisk(t: Test, mib: number): string | null {
  const mnt = join(tmpDir(t), 'mnt');
  mkdirSync(mnt);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  t.teardown(() => void spawnSync('umount', ['-l', mnt]));
  return mnt;
}

/** Fills the file system of `dir` up to `leave` bytes free; returns the filler's path. */
function fill(dir: string, leave: number): string {
  const filler = join(dir, 'filler');
  const st = statfsSync(dir);
  const free = Number(st.bavail) * Number(st.bsize);
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - leave)));
  return filler;
}

function seed(db: string, n: number): { tokens: string[]; ids: string[] } {
  const store = Store.open(db);
  const sp = store.sps.add({ confirmation: 'none', name: 'shop' }).sp;
  const tokens: string[] = [];
  const ids: string[] = [];
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const o = store.orders.create(
        sp.id,
        { amount: 5, currency: 'EUR', reference: `r${i}` },
        { ...ORDER_OPTS, defaultTtlSeconds: 3600 },
      ).order;
      tokens.push(o.token);
      ids.push(o.id);
      store.ledger.credit(msisdnOf(i), 100, { currency: 'EUR' });
    }
  })();
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return { tokens, ids };
}

t.test(
  'a replay on a full disk waits, then stores every sighting: nothing dropped, exit 0',
  { skip: root ? false : 'needs root to mount a small tmpfs' },
  async (t) => {
    const disk = smallDisk(t, 16);
    if (!disk) {
      t.skip('mount -t tmpfs failed here', () => {});
      return;
    }
    const n = 1290;
    const work = tmpDir(t);
    const built = join(work, 'g.db');
    const { tokens, ids } = seed(built, n);
    const db = join(disk, 'g.db');
    copyFileSync(built, db);
    const capture = join(work, 'c.pcap');
    phoneCapture(
      capture,
      tokens.map((token, i) => ({ who: i, token })),
    );
    const filler = fill(disk, 100 * 1024);
    const d = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--ops-listen',
      '127.0.0.1:0',
      '--read',
      capture,
      '--exit-when-done',
      '--log-level',
      'info',
    ]);
    await until(
      () => d.logs.some((l) => String(l.msg).startsWith('DATABASE CANNOT BE WRITTEN')),
      60_000,
      'the outage noticed',
    );
    t.equal((await fetch(`${d.opsUrl}/readyz`)).status, 503, 'not ready while the disk is full');
    t.match(await (await fetch(`${d.opsUrl}/metrics`)).text(), /gnpay_db_writable 0/);
    const created = await fetch(`${d.url}/healthz`);
    t.equal(created.status, 200, 'alive');
    t.notOk(
      d.logs.some((l) => l.msg === 'sighting failed, skipped'),
      'no sighting skipped',
    );
    rmSync(filler);
    t.same(await d.exited, { code: 0, signal: null }, 'space back: the replay finishes, exit 0');
    t.ok(d.logs.some((l) => l.msg === 'the database takes writes again'));
    const store = Store.open(db);
    t.teardown(() => store.close());
    const statuses = store.db.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status').all();
    t.same(statuses, [{ status: 'paid', n }], `all ${n} tokens associated and charged`);
    t.equal(store.db.prepare('SELECT COUNT(*) FROM sightings').pluck().get(), n, 'every sighting recorded once');
    t.equal(store.orders.find(ids[n - 1]!)!.status, 'paid');
  },
);

t.test(
  'a replay stopped while the disk is full exits 1',
  { skip: root ? false : 'needs root to mount a small tmpfs' },
  async (t) => {
    const disk = smallDisk(t, 8);
    if (!disk) {
      t.skip('mount -t tmpfs failed here', () => {});
      return;
    }
    const work = tmpDir(t);
    const built = join(work, 'g.db');
    const { tokens } = seed(built, 300);
    const db = join(disk, 'g.db');
    copyFileSync(built, db);
    const capture = join(work, 'c.pcap');
    phoneCapture(
      capture,
      tokens.map((token, i) => ({ who: i, token })),
    );
    fill(disk, 64 * 1024);
    const d = await spawnDaemon(t, [
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--read',
      capture,
      '--exit-when-done',
      '--log-level',
      'info',
    ]);
    await until(
      () => d.logs.some((l) => String(l.msg).startsWith('DATABASE CANNOT BE WRITTEN')),
      60_000,
      'the outage noticed',
    );
    d.child.kill('SIGTERM');
    t.same(await d.exited, { code: 1, signal: null }, 'not 0: the replay did not store everything');
    t.match(d.stderr.join(''), /gnpay: \d+ sighting\(s\) could not be stored/);
  },
);

t.test(
  'live: sightings spooled while the disk is full, stored when space is back',
  { skip: root ? false : 'needs root to mount a small tmpfs' },
  async (t) => {
    const disk = smallDisk(t, 16);
    if (!disk) {
      t.skip('mount -t tmpfs failed here', () => {});
      return;
    }
    const db = join(disk, 'g.db');
    const { tokens, ids } = seed(db, 600);
    const queue: DecodeEvent[][] = [];
    let wake = (): void => {};
    let taken = 0;
    const src: EventSource = {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length) {
            taken++;
            yield queue.shift()!;
          }
          await new Promise<void>((r) => (wake = r));
        }
      },
      async close() {},
    };
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      redactPersonalData: true,
      destination: { write: (s: string) => lines.push(s) },
    });
    const d = await Daemon.start({
      config: loadConfig(null, { db, listen: '127.0.0.1:0', capture: { interfaces: ['gn0'] }, spool: { sizeMiB: 2 } }),
      logger,
      openSource: () => src,
    });
    const filler = fill(disk, 32 * 1024);
    for (let b = 0; b < 6; b++) {
      queue.push(
        tokens.slice(b * 100, b * 100 + 100).map((tok, i) => ({
          ...sighting(tok, msisdnOf(b * 100 + i)),
          packet: b * 100 + i + 1,
          teid: 5000 + b * 100 + i,
        })),
      );
      wake();
    }
    await until(
      () => taken === 6 && lines.some((l) => l.includes('DATABASE CANNOT BE WRITTEN')),
      30_000,
      'the capture read on through the outage',
    );
    t.ok(d.pipeline.spooled > 0, `${d.pipeline.spooled} sightings spooled`);
    t.equal(d.pipeline.lost, 0, 'none lost');
    t.equal((await fetch(`${d.url}/readyz`)).status, 503);
    rmSync(filler);
    await until(
      () => ids.every((id) => d.store.orders.find(id)!.status === 'paid'),
      60_000,
      'every order stored and paid',
    );
    t.ok(lines.some((l) => l.includes('spooled sightings stored')));
    t.equal(await d.shutdown('test'), 0);
  },
);
