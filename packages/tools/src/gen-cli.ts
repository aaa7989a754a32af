#!/usr/bin/env node
// gen-cli <scenario> -o out.pcap [--format pcap|pcapng] [--expected out.jsonl] [--stats out.json]
//               [--packets N] [--seed S] [--subscribers N] [--mode sessions|gpdu]
//               [--pay-url URL --msisdn N --imsi N --token T]
import * as fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type GenResult, SCENARIOS, toJsonl } from './gen';

/** a bad argument: exit code 2, as gnpay's usage errors */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function parsePositiveInt(name: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    }
    return Number(value);
  };
}

export interface GenCliOptions {
  output: string;
  format?: string;
  expected?: string;
  stats?: string;
  packets?: number;
  seed?: number;
  subscribers?: number;
  mode?: string;
  payUrl?: string;
  msisdn?: string;
  imsi?: string;
  token?: string;
}

function parseSeed(v: string): number {
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--seed must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function runGen(name: string, o: GenCliOptions, out: NodeJS.WritableStream = process.stdout): GenResult {
  const info = SCENARIOS.find((s) => s.name === name);
  if (!info) throw new UsageError(`unknown scenario "${name}"; one of: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  if (o.format !== undefined && o.format !== 'pcap' && o.format !== 'pcapng')
    throw new UsageError(`--format must be pcap or pcapng, got "${o.format}"`);
  if (info.fixedFormat && o.format && o.format !== info.fixedFormat) {
    throw new UsageError(`scenario ${name} is written as ${info.fixedFormat} (its format is part of what it tests)`);
  }
  if (o.mode !== undefined && o.mode !== 'sessions' && o.mode !== 'gpdu')
    throw new UsageError(`--mode must be sessions or gpdu, got "${o.mode}"`);
  if (o.payUrl !== undefined && !o.payUrl.includes('{token}')) throw new UsageError('--pay-url must contain {token}');
  const t0 = process.hrtime.bigint();
  const res = info.run({
    out: o.output,
    expected: info.streams ? o.expected : undefined,
    format: o.format,
    packets: o.packets,
    seed: o.seed,
    subscribers: o.subscribers,
    mode: o.mode,
    payUrl: o.payUrl,
    msisdn: o.msisdn,
    imsi: o.imsi,
    token: o.token,
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.expected && !info.streams) fs.writeFileSync(o.expected, toJsonl(res.events));
  if (o.stats) fs.writeFileSync(o.stats, JSON.stringify(res.stats, null, 2) + '\n');
  const packets = Number((res.stats as { packets?: number }).packets ?? 0);
  const size = fs.statSync(o.output).size;
  out.write(
    `${name}: ${packets} packets, ${size} bytes -> ${o.output} in ${secs.toFixed(2)} s (${Math.round(packets / Math.max(secs, 1e-9))} packets/s)` +
      ((res as { token?: string }).token ? `, token ${(res as { token?: string }).token}` : '') +
      '\n',
  );
  return res;
}

export function buildProgram(): Command {
  return new Command()
    .name('gen-cli')
    .description('write a capture with known truth and the events gnpay must output for it')
    .argument('<scenario>', `one of: ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .requiredOption('-o, --output <file>', 'capture file to write')
    .option('--format <pcap|pcapng>', 'capture format (large scenarios and demo; fixtures have their own)')
    .option('--expected <file>', 'expected events as JSONL (without the final stats line)')
    .option('--stats <file>', 'expected counters as JSON')
    .option('--packets <n>', 'approximate packet count (bench, flood-*)', parsePositiveInt('--packets'))
    .option('--seed <n>', 'PRNG seed (same seed, same bytes)', parseSeed)
    .option(
      '--subscribers <n>',
      'subscribers (bench) / legitimate subscribers (flood-*)',
      parsePositiveInt('--subscribers'),
    )
    .option('--mode <sessions|gpdu>', 'flood-teids: Create PDP pairs or G-PDUs to unknown TEIDs')
    .option('--pay-url <url>', 'demo: payment URL template with {token}')
    .option('--msisdn <digits>', 'demo: the subscriber MSISDN')
    .option('--imsi <digits>', 'demo: the subscriber IMSI')
    .option('--token <token>', 'demo: the token to put in the URL')
    .addHelpText(
      'after',
      '\nScenarios:\n' + SCENARIOS.map((s) => `  ${s.name.padEnd(16)} ${s.description}`).join('\n') + '\n',
    )
    .showHelpAfterError()
    .exitOverride()
    .action((scenario: string, o: GenCliOptions) => {
      runGen(scenario, o);
    });
}

/** exit code: 0, 2 for a usage error, 1 for a failure */
export function main(argv: string[] = process.argv): number {
  try {
    buildProgram().parse(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`gen-cli: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? err.exitCode : 1;
  }
}

if (require.main === module) process.exitCode = main();
