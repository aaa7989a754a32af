// Decode benchmark: generated Gn captures read by (a) a plain libpcap loop in
// C - the floor - (b) `gnpay decode --jsonl > /dev/null` and (c) `gnpay run
// --read` (the daemon's path: events through the pipeline), alternated in one
// run, on two mixes: today's bench mix and a dense one (many subscribers
// attaching and detaching, a share of token requests), both parameters.
// Prints packets/s, Gbit/s and the ratios to the loop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { bench as genBench } from '../gen';
import { fmtRate, machine, run } from './util';

export interface MixOptions {
  packets: number;
  subscribers?: number;
  httpFraction?: number;
  churn?: number;
}

export interface DecodeBenchOptions {
  /** today's mix (the generator's defaults) at this many packets; 0 leaves it out */
  basePackets?: number;
  /** the dense mix; packets 0 leaves it out */
  dense?: MixOptions;
  repeat?: number;
  dir?: string;
  keep?: boolean;
  /** leave `gnpay run --read` out */
  noRun?: boolean;
}

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CARRIERS = ['query:pay_token', 'path:/pay/', 'host:pay.example.net', 'header:X-Pay-Token', 'cookie:pay_token'];

function buildLoop(out: string): string {
  const src = path.join(ROOT, 'native', 'bench', 'pcap_read_loop.c');
  const bin = path.join(out, 'pcap_read_loop');
  const r = run('cc', ['-O2', '-o', bin, src, '-lpcap']);
  if (r.status !== 0) throw new Error(`cannot build the libpcap read loop: ${r.stderr}`);
  return bin;
}

/**
 * The environment gnpay runs in here: this one without NODE_EXTRA_CA_CERTS.
 * Some machines set it for their own proxies; Node then parses every
 * certificate of that bundle when it starts (about 100 ms here), before any
 * gnpay code runs and whatever gnpay does. An operator's probe does not carry
 * a proxy's bundle, and the loop it is compared with parses none.
 */
export function gnpayEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.NODE_EXTRA_CA_CERTS;
  return out;
}

/**
 * Holds a capture's pages in memory while it is timed: `vmtouch -dlw` locks
 * them (mlock) and stays until it is killed. Some machines reclaim page cache
 * on their own (this one runs DAMON pageout: 0.5 of the dense capture's 3.4 GiB
 * was left resident between runs), and each reader then waits on the disk for
 * a different part of the file each run. Without vmtouch or the right to lock
 * (root, or a large RLIMIT_MEMLOCK) it says why and holds nothing.
 */
function holdInMemory(file: string, dir: string): { release(): void; why: string | null } {
  const pidFile = path.join(dir, `.${path.basename(file)}.vmtouch.pid`);
  const errFile = path.join(dir, `.${path.basename(file)}.vmtouch.err`);
  // its messages go to a file: the daemon it leaves would hold a pipe open, and spawnSync wait for it
  const err = fs.openSync(errFile, 'w');
  const r = spawnSync('vmtouch', ['-dlw', '-q', '-m', '64G', '-P', pidFile, file], {
    stdio: ['ignore', 'ignore', err],
  });
  fs.closeSync(err);
  const message = fs.readFileSync(errFile, 'utf8').trim();
  fs.rmSync(errFile, { force: true });
  if (r.error) return { release() {}, why: 'vmtouch is not installed (apt-get install vmtouch)' };
  if (r.status !== 0) return { release() {}, why: `vmtouch could not lock it: ${message}` };
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()));
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return { release, why: null };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs gnpay with stdout to /dev/null; whole-process wall time and CPU time (every thread). */
function timed(cmd: string, args: string[]) {
  return run(cmd, args, { env: gnpayEnv(), ignoreStdout: true });
}

export interface MixResult {
  name: string;
  packets: number;
  bytes: number;
  loopSeconds: number;
  decodeSeconds: number;
  runSeconds: number;
  decodeRatio: number;
  runRatio: number;
  /** the same ratios of the median runs */
  medianDecodeRatio: number;
  medianRunRatio: number;
  /** median CPU seconds (user and system, every thread) of each */
  loopCpu: number;
  decodeCpu: number;
  runCpu: number;
  sightings: number;
  sightingsExpected: number;
  events: number;
}

function benchMix(name: string, mix: MixOptions, o: DecodeBenchOptions, dir: string, loop: string): MixResult {
  const capture = path.join(dir, `${name}.pcap`);
  const t0 = Date.now();
  const gen = genBench({
    out: capture,
    packets: mix.packets,
    subscribers: mix.subscribers,
    httpFraction: mix.httpFraction,
    churn: mix.churn,
  });
  const sightingsExpected = gen.stats.sightings as number;
  const size = fs.statSync(capture).size;
  const desc =
    mix.subscribers || mix.httpFraction !== undefined || mix.churn
      ? `${mix.subscribers ?? 'default'} subscribers, token requests ${mix.httpFraction ?? 'default'} of steps, churn ${mix.churn ?? 0}`
      : "the generator's default mix";
  console.log(`\n== ${name} mix: ${desc}`);
  console.log(
    `capture: ${capture} (${(size / 2 ** 20).toFixed(0)} MiB, generated in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${sightingsExpected} token sightings expected)`,
  );

  const hold = holdInMemory(capture, dir);
  console.log(
    hold.why
      ? `capture not held in memory (${hold.why}): where the kernel reclaims page cache, reads may reach the disk`
      : 'capture held in memory while timed (vmtouch -l)',
  );
  try {
    return timeMix(name, capture, sightingsExpected, o, dir, loop);
  } finally {
    hold.release();
  }
}

function timeMix(
  name: string,
  capture: string,
  sightingsExpected: number,
  o: DecodeBenchOptions,
  dir: string,
  loop: string,
): MixResult {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  const decodeArgs = [cli, 'decode', capture, '--jsonl', '--no-progress', ...CARRIERS.flatMap((c) => ['--carrier', c])];
  // warm the page cache; check the events once (not timed)
  run(loop, [capture]);
  const out = path.join(dir, `${name}.jsonl`);
  const fd = fs.openSync(out, 'w');
  const chk = spawnSync(process.execPath, decodeArgs, { stdio: ['ignore', fd, 'pipe'], env: gnpayEnv() });
  fs.closeSync(fd);
  if (chk.status !== 0) throw new Error(`gnpay decode failed: ${chk.stderr.toString()}`);
  const text = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
  const stats = JSON.parse(text[text.length - 1]!);
  fs.rmSync(out, { force: true });

  const repeat = o.repeat ?? 3;
  // every run's seconds: the best of each is the figure, the median says how noisy the machine was
  const times: Record<'loop' | 'decode' | 'run', number[]> = { loop: [], decode: [], run: [] };
  // and their CPU seconds over their whole process's wall time: how many cores each kept busy
  // (the loop's own figure leaves its start out; its process's wall time is taken for its cores)
  const cpu: Record<'loop' | 'decode' | 'run', number[]> = { loop: [], decode: [], run: [] };
  const loopWall: number[] = [];
  let packets = 0;
  let bytes = 0;
  const db = path.join(dir, `${name}.db`);
  for (let i = 0; i < repeat; i++) {
    // alternated: loop, decode, loop, run (a machine shared with others is noisy)
    for (const which of o.noRun ? ['decode'] : ['decode', 'run']) {
      const l = run(loop, [capture]);
      if (l.status !== 0) throw new Error(`read loop failed: ${l.stderr}`);
      const lj = JSON.parse(l.stdout);
      packets = lj.packets;
      bytes = lj.bytes;
      times.loop.push(lj.seconds);
      cpu.loop.push(l.cpuSeconds);
      loopWall.push(l.seconds);
      if (which === 'decode') {
        const d = timed(process.execPath, decodeArgs);
        if (d.status !== 0) throw new Error(`gnpay decode failed: ${d.stderr}`);
        times.decode.push(d.seconds);
        cpu.decode.push(d.cpuSeconds);
      } else {
        for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.key`]) fs.rmSync(f, { force: true });
        const r = timed(process.execPath, [
          cli,
          'run',
          '--db',
          db,
          '--listen',
          '127.0.0.1:0',
          '--read',
          capture,
          '--exit-when-done',
          '--log-level',
          'warn',
          ...CARRIERS.flatMap((c) => ['--carrier', c]),
        ]);
        if (r.status !== 0) throw new Error(`gnpay run --read failed: ${r.stderr}`);
        times.run.push(r.seconds);
        cpu.run.push(r.cpuSeconds);
      }
    }
  }
  const best = { loop: Math.min(...times.loop), decode: Math.min(...times.decode), run: Math.min(...times.run) };
  const median = { loop: medianOf(times.loop), decode: medianOf(times.decode), run: medianOf(times.run) };
  const res: MixResult = {
    name,
    packets,
    bytes,
    loopSeconds: best.loop,
    decodeSeconds: best.decode,
    runSeconds: best.run,
    decodeRatio: best.loop / best.decode,
    runRatio: best.loop / best.run,
    medianDecodeRatio: median.loop / median.decode,
    medianRunRatio: median.loop / median.run,
    loopCpu: medianOf(cpu.loop),
    decodeCpu: medianOf(cpu.decode),
    runCpu: medianOf(cpu.run),
    sightings: stats.sightings,
    sightingsExpected,
    events: text.length - 1,
  };
  // CPU: the median seconds of CPU (every thread, user and system), and the cores that kept busy
  const row = (label: string, s: number, m: number, c: number, wall: number, extra = ''): string =>
    `${label.padEnd(30)} ${fmtRate(packets / s, 'pkt/s').padEnd(14)} ${((bytes * 8) / s / 1e9).toFixed(2).padStart(6)}   ${s.toFixed(3).padStart(7)}  ${m.toFixed(3).padStart(7)}  ${c.toFixed(2).padStart(5)} s ${(c / wall).toFixed(1)}${extra}`;
  console.log(`${''.padEnd(30)} packets/s      Gbit/s   seconds (best of ${repeat}, median)  CPU, cores`);
  console.log(row('(a) libpcap read loop', best.loop, median.loop, res.loopCpu, medianOf(loopWall)));
  console.log(
    row(
      '(b) gnpay decode --jsonl',
      best.decode,
      median.decode,
      res.decodeCpu,
      median.decode,
      `   ratio (b)/(a) ${res.decodeRatio.toFixed(2)} (median ${res.medianDecodeRatio.toFixed(2)}; target >= 1.0)`,
    ),
  );
  if (!o.noRun)
    console.log(
      row(
        '(c) gnpay run --read',
        best.run,
        median.run,
        res.runCpu,
        median.run,
        `   ratio (c)/(a) ${res.runRatio.toFixed(2)} (median ${res.medianRunRatio.toFixed(2)}; target >= 0.8)`,
      ),
    );
  console.log(
    `packets ${packets}, events ${res.events}; sightings: ${res.sightings} found, ${sightingsExpected} expected; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (!o.keep && !o.dir) fs.rmSync(capture, { force: true });
  for (const f of [db, `${db}-wal`, `${db}-shm`, `${db}.key`]) fs.rmSync(f, { force: true });
  return res;
}

export async function runDecodeBench(o: DecodeBenchOptions = {}): Promise<MixResult[]> {
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  console.log(
    `machine: ${machine()}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (process.env.NODE_EXTRA_CA_CERTS)
    console.log('gnpay runs without NODE_EXTRA_CA_CERTS, which this environment sets (see gnpayEnv)');
  const loop = buildLoop(dir);
  const out: MixResult[] = [];
  if ((o.basePackets ?? 1_000_000) > 0)
    out.push(benchMix('bench', { packets: o.basePackets ?? 1_000_000 }, o, dir, loop));
  if (o.dense && o.dense.packets > 0) out.push(benchMix('dense', o.dense, o, dir, loop));
  console.log('\nsummary (ratio to the libpcap read loop, whole process)');
  for (const r of out)
    console.log(
      `  ${r.name.padEnd(6)} decode ${r.decodeRatio.toFixed(2)} (median ${r.medianDecodeRatio.toFixed(2)})${o.noRun ? '' : `  run --read ${r.runRatio.toFixed(2)} (median ${r.medianRunRatio.toFixed(2)})`}  (${r.packets} packets, ${r.events} events)`,
    );
  if (!o.keep && !o.dir) fs.rmSync(dir, { recursive: true, force: true });
  return out;
}
