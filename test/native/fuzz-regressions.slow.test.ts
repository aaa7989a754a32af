// The fuzz regression folders (native/fuzz/regressions/<decoder>/): every
// decoder has one; the hand-made inputs are what src/tools/fuzz-regressions.ts
// writes, byte for byte; and each capture-shaped input, decoded by the real
// `gnpay decode`, reaches the anomaly of its decoder (else it would be a
// regression of nothing). The native unit tests replay all of them through the
// fuzz entry point, plain and under ASan/UBSan.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { MemorySink, PcapWriter, LINKTYPE } from '../../packages/tools/src/gen';
import { DECODERS, EXPECTED_ANOMALY, regressionInputs, writeRegressionInputs } from '../../packages/tools/src/fuzz-regressions';
import { gnpay, ROOT } from '../helpers/cli';

const DIR = path.join(ROOT, 'native', 'fuzz', 'regressions');

t.test('a folder per decoder, each with inputs; every decoder is a source file', async (t) => {
  for (const d of DECODERS) {
    t.ok(['decode', 'engine'].some((dir) => fs.existsSync(path.join(ROOT, 'native', dir, `${d}.cc`))), `native/{decode,engine}/${d}.cc`);
    const files = fs.existsSync(path.join(DIR, d)) ? fs.readdirSync(path.join(DIR, d)) : [];
    t.ok(files.length > 0, `regressions/${d}/ holds ${files.length} input(s)`);
  }
});

t.test('the committed inputs are what the tool writes, byte for byte', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-regr-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const written = writeRegressionInputs(tmp);
  t.ok(written.length >= 30);
  for (const p of written) {
    const rel = path.relative(tmp, p);
    t.ok(fs.readFileSync(path.join(DIR, rel)).equals(fs.readFileSync(p)), rel);
  }
});

/** A capture-shaped input (entry 0: a file; entry 1: Ethernet frames) as a pcap file. */
function asCapture(bytes: Buffer, file: string): boolean {
  if (bytes[0] === 0) {
    fs.writeFileSync(file, bytes.subarray(1));
    return true;
  }
  if (bytes[0] !== 1) return false;
  const sink = new MemorySink();
  const w = new PcapWriter(sink, { linktype: LINKTYPE.ETHERNET });
  let off = 1;
  let i = 0;
  while (off + 2 <= bytes.length) {
    const n = bytes.readUInt16BE(off);
    off += 2;
    w.packet(bytes.subarray(off, off + n), 1_700_000_000 + i++, 0); // a second apart, like the fuzz entry's clock
    off += n;
  }
  w.close();
  fs.writeFileSync(file, sink.bytes());
  return true;
}

t.test('each capture-shaped input reaches the anomaly it is named for', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-regr-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const inputs = regressionInputs();
  for (const [key, anomaly] of Object.entries(EXPECTED_ANOMALY)) {
    const [folder, name] = key.split('/');
    const bytes = inputs[folder!]?.[name!];
    t.ok(bytes, `${key} is written by the tool`);
    const file = path.join(tmp, `${folder}-${name}.pcap`);
    t.ok(asCapture(bytes!, file), `${key} is capture-shaped`);
    const r = await gnpay(['decode', file, '--jsonl', '--no-progress']);
    t.equal(r.status, 0, `${key}: exit 0`);
    const stats = JSON.parse(r.stdout.trim().split('\n').pop()!);
    t.ok((stats.anomalies?.[anomaly] ?? 0) > 0, `${key}: ${anomaly}`);
  }
  // the damaged files stop where the damage is
  const cut = path.join(tmp, 'cut.pcap');
  asCapture(inputs.capture_file!['pcap-record-cut']!, cut);
  const r = await gnpay(['decode', cut, '--jsonl', '--no-progress']);
  t.equal(r.status, 3);
  t.match(r.stderr, /pcap record runs past the end of the file at file offset 24 \(packet 1\)/);
});
