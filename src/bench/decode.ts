// Decode benchmark (issue: decode engine): a generated Gn capture of at least
// one million packets (realistic mix, ~1% token requests among bulk TCP), read
// by (a) a plain libpcap loop in C - the floor - and (b) `gnpay decode`, in
// one run; prints packets/s, Gbit/s and their ratio.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bench as genBench } from '../gen';
import { fmtRate, machine, run } from './util';

export interface DecodeBenchOptions {
  packets?: number;
  repeat?: number;
  dir?: string;
  keep?: boolean;
}

const ROOT = path.resolve(__dirname, '..', '..');

function buildLoop(out: string): string {
  const src = path.join(ROOT, 'native', 'bench', 'pcap_read_loop.c');
  const bin = path.join(out, 'pcap_read_loop');
  const r = run('cc', ['-O2', '-o', bin, src, '-lpcap']);
  if (r.status !== 0) throw new Error(`cannot build the libpcap read loop: ${r.stderr}`);
  return bin;
}

export async function runDecodeBench(o: DecodeBenchOptions = {}): Promise<Record<string, number>> {
  const packets = o.packets ?? 1_000_000;
  const repeat = o.repeat ?? 3;
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const capture = path.join(dir, 'bench.pcap');
  console.log(`machine: ${machine()}`);
  let t0 = Date.now();
  const gen = genBench({ out: capture, packets });
  const sightingsExpected = gen.stats.sightings as number;
  const size = fs.statSync(capture).size;
  console.log(`capture: ${capture} (${(size / 2 ** 20).toFixed(0)} MiB, generated in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${sightingsExpected} token sightings expected)`);

  const loop = buildLoop(dir);
  const cli = path.join(ROOT, 'dist', 'cli.js');
  // warm the page cache so both readers see the same (cached) file
  run(loop, [capture]);

  const best = { loop: Infinity, decode: Infinity };
  let loopPackets = 0;
  let loopBytes = 0;
  let decodeStats: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < repeat; i++) {
    const l = run(loop, [capture]);
    if (l.status !== 0) throw new Error(`read loop failed: ${l.stderr}`);
    const lj = JSON.parse(l.stdout);
    loopPackets = lj.packets;
    loopBytes = lj.bytes;
    best.loop = Math.min(best.loop, lj.seconds);

    t0 = Date.now();
    const d = run(process.execPath, [cli, 'decode', capture, '--jsonl', '--no-progress', '--carrier', 'query:pay_token', '--carrier', 'path:/pay/', '--carrier', 'host:pay.example.net', '--carrier', 'header:X-Pay-Token', '--carrier', 'cookie:pay_token']);
    if (d.status !== 0) throw new Error(`gnpay decode failed: ${d.stderr}`);
    best.decode = Math.min(best.decode, d.seconds);
    const lines = d.stdout.trimEnd().split('\n');
    decodeStats = JSON.parse(lines[lines.length - 1]);
  }
  const res = {
    packets: loopPackets,
    bytes: loopBytes,
    loopSeconds: best.loop,
    loopPps: loopPackets / best.loop,
    loopGbps: (loopBytes * 8) / best.loop / 1e9,
    decodeSeconds: best.decode,
    decodePps: loopPackets / best.decode,
    decodeGbps: (loopBytes * 8) / best.decode / 1e9,
    ratio: best.loop / best.decode,
    sightings: decodeStats.sightings,
    sightingsExpected,
  };
  console.log('');
  console.log(`                        packets/s      Gbit/s   seconds (best of ${repeat})`);
  console.log(`(a) libpcap read loop   ${fmtRate(res.loopPps, 'pkt/s').padEnd(14)} ${res.loopGbps.toFixed(2).padStart(6)}   ${res.loopSeconds.toFixed(3)}`);
  console.log(`(b) gnpay decode        ${fmtRate(res.decodePps, 'pkt/s').padEnd(14)} ${res.decodeGbps.toFixed(2).padStart(6)}   ${res.decodeSeconds.toFixed(3)}  (whole process: start, decode, JSONL out)`);
  console.log(`ratio (b)/(a): ${res.ratio.toFixed(2)}   (target >= 0.5)`);
  console.log(`sightings: ${res.sightings} found, ${res.sightingsExpected} expected; packets ${res.packets}`);
  if (!o.keep && !o.dir) fs.rmSync(dir, { recursive: true, force: true });
  return res;
}
