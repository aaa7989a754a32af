#!/usr/bin/env node
// npm run bench [-- <name> [options]]: the project's benchmarks (never tests).
//   decode    issue "decode engine": libpcap read loop vs gnpay decode (default)
//   memory    issue "appliance": resident memory with 1 million active sessions
//   live      issue "appliance": live capture on a veth pair, gnpay vs cap (needs root)
//   payments  issue "payment flow": sightings/s through associate -> charge -> feed, latency to paid
//   tokens    issue "hardening": token lookup time, near guesses vs random ones
//   paypage   issue "consent": ClientHello on the Gn -> bound page served (p50/p99), pages/s with binding
//   faults    issue "hardening, second pass": a faulty payment platform and SIGKILLs; the books compared
//   backlog   issue "hardening, second pass": order creation by a healthy SP beside a dead SP's webhook backlog
import { Command } from 'commander';
import { runDecodeBench } from './decode';
import { runLiveBench } from './live';
import { runMemoryBench } from './memory';

async function main(): Promise<void> {
  const program = new Command().name('gnpay-bench');
  program
    .command('decode', { isDefault: true })
    .description('libpcap read loop vs gnpay decode vs gnpay run --read, on the bench mix and on a dense mix')
    .option('--packets <n>', 'packets of the dense mix (0: leave it out)', (v) => Number(v), 4_000_000)
    .option('--subscribers <n>', 'subscribers of the dense mix', (v) => Number(v), 40_000)
    .option(
      '--http-fraction <x>',
      'dense mix: share of the steps that are a token-carrying request',
      (v) => Number(v),
      0.01,
    )
    .option(
      '--churn <x>',
      'dense mix: share of the steps where a subscriber detaches and another attaches',
      (v) => Number(v),
      0.005,
    )
    .option('--base-packets <n>', "packets of today's bench mix (0: leave it out)", (v) => Number(v), 1_000_000)
    .option('--repeat <n>', 'runs of each reader (best is kept)', (v) => Number(v), 3)
    .option('--no-run', 'leave gnpay run --read out')
    .option('--dir <dir>', 'keep the captures in this directory')
    .action(async (o) => {
      await runDecodeBench({
        basePackets: o.basePackets,
        dense: { packets: o.packets, subscribers: o.subscribers, httpFraction: o.httpFraction, churn: o.churn },
        repeat: o.repeat,
        dir: o.dir,
        noRun: o.run === false,
      });
    });
  program
    .command('memory')
    .description('resident memory of the tunnel table with N active sessions')
    .option('--sessions <n>', 'active sessions', (v) => Number(v), 1_000_000)
    .action(async (o) => {
      await runMemoryBench({ sessions: o.sessions });
    });
  program
    .command('live')
    .description('live capture on a veth pair (root): highest rate with zero drops, gnpay vs cap')
    .option('--packets <n>', 'packets in the replayed capture', (v) => Number(v), 300_000)
    .option('--senders <n>', 'tcpreplay processes sending at once, each a share of the rate', (v) => Number(v), 2)
    .option('--rates <list>', 'offered rates in packets/s, comma-separated (0: top speed)', (v) =>
      v.split(',').map(Number),
    )
    .action(async (o) => {
      await runLiveBench({ packets: o.packets, senders: o.senders, rates: o.rates });
    });
  program
    .command('payments')
    .option('--sightings <n>', 'sightings to push through', (v) => Number(v), 20000)
    .action(async (o) => {
      const mod = require('./payments');
      await mod.runPaymentsBench(o);
    });
  program
    .command('tokens')
    .description('findByToken timing: tokens one character off a real one vs random ones')
    .option('--orders <n>', 'orders in the store', (v) => Number(v), 100_000)
    .option('--rounds <n>', 'interleaved rounds', (v) => Number(v), 200)
    .action(async (o) => {
      const mod = require('./tokens');
      await mod.runTokenBench(o);
    });
  program
    .command('paypage')
    .description(
      'pay page: ClientHello on the Gn -> bound page served (p50/p99), and pages/s the pay listener serves with binding',
    )
    .option('--samples <n>', 'connections timed for the latency', (v) => Number(v), 200)
    .option('--connections <n>', 'concurrent connections for the throughput', (v) => Number(v), 16)
    .option('--seconds <n>', 'seconds of each throughput run', (v) => Number(v), 5)
    .action(async (o) => {
      const mod = require('./paypage');
      await mod.runPayPageBench({ latencySamples: o.samples, connections: o.connections, seconds: o.seconds });
    });
  program
    .command('backlog')
    .description('order creation by a healthy SP while a dead SP has a webhook backlog of 0, 10k, 100k events')
    .option('--orders <n>', 'orders the healthy SP creates at each backlog size', (v) => Number(v), 2000)
    .option(
      '--backlogs <list>',
      'backlog sizes, comma-separated',
      (v) => v.split(',').map(Number),
      [0, 10_000, 100_000],
    )
    .option('--concurrency <n>', 'creations in flight', (v) => Number(v), 4)
    .action(async (o) => {
      const mod = require('./backlog');
      await mod.runBacklogBench({ orders: o.orders, backlogs: o.backlogs, concurrency: o.concurrency });
    });
  program
    .command('faults')
    .description(
      'a payment platform with 500s, hangs and dropped connections, gnpay SIGKILLed in a loop; the books compared',
    )
    .option('--orders <n>', 'orders in the replayed capture', (v) => Number(v), 5000)
    .option('--kills <n>', 'SIGKILLs of gnpay run', (v) => Number(v), 60)
    .option('--status-call <yes|no>', 'the platform has a status call (default: both runs)')
    .option('--seed <n>', 'seed of the faults', (v) => Number(v), 42)
    .action(async (o) => {
      const mod = require('./faults');
      await mod.runFaultsBench({
        orders: o.orders,
        kills: o.kills,
        seed: o.seed,
        statusCall: o.statusCall === undefined ? undefined : o.statusCall === 'yes',
      });
    });
  await program.parseAsync(process.argv);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
