// Live-capture benchmark (issue: the appliance). Needs root (it creates its
// own network namespace and veth pair). A generated Gn capture is replayed by
// tcpreplay into one end of the veth at rising rates; gnpay's native capture
// (libpcap TPACKET_V3 in an addon thread) and, for comparison, the `cap`
// package (one JS callback per packet) capture on the other end in turn.
// For each: the highest rate with zero kernel, ring and shed drops (and every
// packet received), and the CPU per packet. Figures only: never a test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmtRate, machine } from './util';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// the same kernel buffer for both capturers, much smaller than what a pass
// sends: the figure is a sustained rate, not a burst the buffer absorbs
const BUFFER_BYTES = 64 << 20;
const PASS_SECONDS = 4;

export interface LiveBenchOptions {
  packets?: number;
  rates?: number[]; // packets/s; 0 = tcpreplay --topspeed
  /** tcpreplay processes sending at once, each a share of the rate */
  senders?: number;
}

interface PassResult {
  capturer: 'gnpay' | 'cap';
  requestedPps: number;
  sent: number;
  sentPps: number;
  received: number;
  drops: number;
  kernelDropped: number;
  shedEvents: number;
  cpuNsPerPacket: number;
  sightings?: number;
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

function waitLine(child: ChildProcess, want: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no "${want}" from the capture process within ${ms} ms`)), ms);
    const on = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      for (const l of lines.slice(0, -1))
        if (want === '' ? l.startsWith('{') : l === want) {
          clearTimeout(timer);
          child.stdout!.off('data', on);
          resolve(l);
          return;
        }
    };
    child.stdout!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`capture process exited (${code}) before "${want}"`));
    });
  });
}

/** Runs tcpreplay; its standard output once it has sent everything. */
function tcpreplay(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tcpreplay', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tcpreplay failed (${code}): ${err}`))));
  });
}

async function pass(
  ns: string,
  sendIf: string,
  recvIf: string,
  capture: string,
  capturer: 'gnpay' | 'cap',
  pps: number,
  loops: number,
  senders: number,
): Promise<PassResult> {
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      path.join(__dirname, 'live-child.js'),
      capturer,
      recvIf,
      String(BUFFER_BYTES),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await waitLine(child, 'ready', 15000);
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGUSR1'); // CPU is counted from here
  // One tcpreplay sends at most ~250-600 kpps into a veth, depending on the
  // machine: `senders` of them share the rate, each on its own core.
  const rate = pps > 0 ? [`--pps=${Math.ceil(pps / senders)}`] : ['--topspeed'];
  const outs = await Promise.all(
    Array.from({ length: senders }, () => tcpreplay(['-i', sendIf, ...rate, `--loop=${loops}`, capture])),
  );
  let sent = 0;
  let seconds = 0;
  for (const out of outs) {
    const m = /Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out);
    if (!m) throw new Error(`tcpreplay printed no "Actual:" line: ${out}`);
    sent += Number(m[1]);
    seconds = Math.max(seconds, Number(m[2]));
  }
  const sentPps = seconds > 0 ? sent / seconds : 0;
  await new Promise((r) => setTimeout(r, 1500)); // let the ring drain
  const done = waitLine(child, '', 30000);
  child.kill('SIGTERM');
  const j = JSON.parse(await done);
  const received = j.received as number;
  const kernel = (j.kernelDropped ?? 0) + (j.interfaceDropped ?? 0);
  const shed = j.shedEvents ?? 0;
  return {
    capturer,
    requestedPps: pps,
    sent,
    sentPps,
    received,
    drops: Math.max(0, sent - received) + (capturer === 'gnpay' ? kernel + shed : 0),
    kernelDropped: kernel,
    shedEvents: shed,
    cpuNsPerPacket: received > 0 ? (j.cpuSeconds * 1e9) / received : NaN,
    sightings: j.sightings,
  };
}

export async function runLiveBench(o: LiveBenchOptions = {}): Promise<Record<string, unknown>> {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('the live benchmark needs root (it creates a network namespace and a veth pair)');
  const packets = o.packets ?? 200_000;
  const rates = o.rates ?? [50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 0];
  const senders = Math.max(1, o.senders ?? 2);
  const tag = `${process.pid % 10000}`;
  const ns = `gnpbench${tag}`;
  const a = `gnpba${tag}`;
  const b = `gnpbb${tag}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-live-'));
  const capture = path.join(dir, 'gn.pcap');
  console.log(`machine: ${machine()}; ${senders} tcpreplay sender(s) at once, each a share of the rate`);
  const g = spawnSync(
    process.execPath,
    [path.join(ROOT, 'packages', 'tools', 'dist', 'gen-cli.js'), 'bench', '-o', capture, '--packets', String(packets)],
    { encoding: 'utf8' },
  );
  if (g.status !== 0) throw new Error(`gen-cli failed: ${g.stderr}`);
  sh('ip', ['netns', 'add', ns]);
  const results: PassResult[] = [];
  try {
    sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    sh('ip', ['link', 'set', b, 'netns', ns]);
    sh('ip', ['link', 'set', a, 'mtu', '9000', 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', b, 'mtu', '9000', 'up']);
    sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', '198.18.255.2/30', 'dev', b]);
    for (const capturer of ['gnpay', 'cap'] as const) {
      for (const pps of rates) {
        const loops =
          pps > 0
            ? Math.max(1, Math.ceil((pps * PASS_SECONDS) / senders / packets))
            : Math.max(1, Math.ceil((800_000 * PASS_SECONDS) / senders / packets));
        const r = await pass(ns, a, b, capture, capturer, pps, loops, senders);
        results.push(r);
        console.log(
          `${capturer.padEnd(6)} offered ${pps ? fmtRate(pps, 'pps') : 'topspeed'}: sent ${r.sent} at ${fmtRate(r.sentPps, 'pps')}, received ${r.received}, drops ${r.drops} (kernel ${r.kernelDropped}, shed ${r.shedEvents}), CPU ${r.cpuNsPerPacket.toFixed(0)} ns/packet${r.sightings !== undefined ? `, sightings ${r.sightings}` : ''}`,
        );
      }
    }
  } finally {
    spawnSync('ip', ['link', 'del', a]);
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const best = (c: 'gnpay' | 'cap') => {
    const ok = results.filter((r) => r.capturer === c && r.drops === 0);
    return ok.sort((x, y) => y.sentPps - x.sentPps)[0];
  };
  const bg = best('gnpay');
  const bc = best('cap');
  console.log('');
  console.log(
    `highest rate with zero drops: gnpay ${bg ? fmtRate(bg.sentPps, 'pps') + ` (${bg.cpuNsPerPacket.toFixed(0)} ns CPU/packet)` : 'none'}; cap ${bc ? fmtRate(bc.sentPps, 'pps') + ` (${bc.cpuNsPerPacket.toFixed(0)} ns CPU/packet)` : 'none'}`,
  );
  const top = results.find((r) => r.capturer === 'gnpay' && r.requestedPps === 0);
  if (top) console.log(`gnpay at the sender's top speed (${fmtRate(top.sentPps, 'pps')}): ${top.drops} drops`);
  return { results, gnpayBestPps: bg?.sentPps ?? 0, capBestPps: bc?.sentPps ?? 0 };
}
