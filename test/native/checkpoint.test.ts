// The tunnel-table checkpoint through the daemon's path (src/capture/checkpoint.ts
// over the addon): a checkpoint of this format restores every context and the
// tokens on their tunnels resolve again; one of another format version (an
// older gnpay's, an unknown one) or that is not a checkpoint at all is refused
// with a message that says so, and nothing of it is read.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { type CheckpointStore, restoreCheckpoint } from '../../src/capture/checkpoint';
import { Engine } from '../../src/native';
import { FIXTURES } from '../helpers/cli';

/** the frames of a little-endian microsecond pcap */
function frames(file: string): { linktype: number; frames: { data: Buffer; tsNs: number }[] } {
  const b = fs.readFileSync(file);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian µs pcap');
  const linktype = b.readUInt32LE(20);
  const out: { data: Buffer; tsNs: number }[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const sec = b.readUInt32LE(off);
    const usec = b.readUInt32LE(off + 4);
    const incl = b.readUInt32LE(off + 8);
    out.push({ data: b.subarray(off + 16, off + 16 + incl), tsNs: sec * 1e9 + usec * 1e3 });
    off += 16 + incl;
  }
  return { linktype, frames: out };
}

const store = (data: Buffer) => ({ load: () => ({ savedAt: 1, sessions: 0, data }) }) as unknown as CheckpointStore;

t.test('a checkpoint restores the contexts; another format version is refused, never misread', async (t) => {
  const cap = frames(path.join(FIXTURES, 'gn-basic.pcap'));
  const a = new Engine({ carriers: ['query:pay_token'] });
  let last = 0;
  cap.frames.forEach((f, i) => {
    a.processFrame(f.data, cap.linktype, f.tsNs, i + 1);
    last = f.tsNs;
  });
  const active = a.tables().sessions;
  t.ok(active! > 0, `${active} contexts active in the capture's engine`);
  const cp = a.exportSessions();
  a.close();
  t.equal(cp.subarray(0, 4).toString('latin1'), 'GNPS', 'magic');
  t.equal(cp.readUInt32LE(4), 2, 'format version 2');

  const nowMs = last / 1e6;
  const b = new Engine({ carriers: ['query:pay_token'] });
  const ok = restoreCheckpoint(store(cp), b, 3600_000, nowMs);
  t.same([ok.restored, ok.error], [active, null], 'every context restored');
  t.equal(b.tables().sessions, active, 'in the new engine');
  b.close();

  const refused = (version: number) => {
    const bad = Buffer.from(cp);
    bad.writeUInt32LE(version, 4);
    const e = new Engine({ carriers: ['query:pay_token'] });
    const r = restoreCheckpoint(store(bad), e, 3600_000, nowMs);
    const n = e.tables().sessions;
    e.close();
    return { ...r, n };
  };
  const v1 = refused(1);
  t.equal(v1.restored, 0, 'format 1: nothing restored');
  t.equal(v1.n, 0, 'format 1: the table stays empty');
  t.match(v1.error, /^checkpoint: written by an older gnpay \(format version 1, this one reads version 2\): not restored/, 'format 1: says an older gnpay wrote it');
  const v9 = refused(9);
  t.same([v9.restored, v9.n], [0, 0], 'format 9: nothing restored');
  t.match(v9.error, /unsupported checkpoint format version/, 'format 9: says the version is unsupported');

  const e = new Engine({ carriers: ['query:pay_token'] });
  const junk = restoreCheckpoint(store(Buffer.from('SQLite format 3\0')), e, 3600_000, nowMs);
  t.same([junk.restored, e.tables().sessions], [0, 0], 'not a checkpoint: nothing restored');
  t.match(junk.error, /not a gnpay session checkpoint/, 'not a checkpoint: says so');
  e.close();
});
