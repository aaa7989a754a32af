// Every scenario by name, for the command line (gen-cli.ts) and the tests.
import { demoCapture } from './demo';
import { FIXTURES } from './fixtures';
import { bench, flood } from './large';
import { type GenResult } from './output';
import { type CaptureFormat } from './writer';

export interface RunOptions {
  out?: string;
  expected?: string;
  format?: CaptureFormat;
  packets?: number;
  seed?: number;
  subscribers?: number;
  mode?: 'sessions' | 'gpdu';
  payUrl?: string;
  msisdn?: string;
  imsi?: string;
  token?: string;
}

export interface ScenarioInfo {
  name: string;
  description: string;
  /** the capture format is part of the scenario (fixtures) */
  fixedFormat?: CaptureFormat;
  /** events are streamed to `expected` (large scenarios) */
  streams?: boolean;
  run: (o: RunOptions) => GenResult;
}

const fixtureInfo: ScenarioInfo[] = FIXTURES.map((f) => ({
  name: f.name,
  description: `committed fixture ${f.file}`,
  fixedFormat: f.file.endsWith('.pcapng') ? 'pcapng' : 'pcap',
  run: (o) => f.build({ out: o.out, seed: o.seed }),
}));

export const SCENARIOS: ScenarioInfo[] = [
  ...fixtureInfo,
  {
    name: 'bench',
    description:
      'benchmark capture: many subscribers, bulk TCP both ways, ~1% token requests, DNS/TLS, fragments (--packets, default 1e6)',
    streams: true,
    run: (o) => bench(o),
  },
  ...(['pending', 'fragments', 'flows', 'teids'] as const).map((k): ScenarioInfo => ({
    name: `flood-${k}`,
    description: {
      pending: 'Create PDP Context Requests never answered, legitimate subscribers mixed in',
      fragments: 'first fragments that never complete, legitimate subscribers mixed in',
      flows: 'TCP flows that never finish a request head, legitimate subscribers mixed in',
      teids:
        'distinct TEIDs: Create PDP pairs (--mode sessions) or G-PDUs (--mode gpdu), legitimate subscribers mixed in',
    }[k],
    streams: true,
    run: (o) => flood(k, o),
  })),
  {
    name: 'demo',
    description: 'one subscriber opening --pay-url (with {token}); --msisdn, --imsi, --token',
    run: (o) =>
      demoCapture({
        payUrl: o.payUrl ?? 'http://pay.example.net/pay?pay_token={token}',
        msisdn: o.msisdn ?? '491511234567',
        imsi: o.imsi ?? '262011234567890',
        token: o.token,
        out: o.out,
        format: o.format,
        seed: o.seed,
      }),
  },
];

export type ScenarioName = string;

export function runScenario(name: ScenarioName, o: RunOptions): GenResult {
  const info = SCENARIOS.find((s) => s.name === name);
  if (!info) throw new Error(`unknown scenario "${name}" (one of: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  return info.run(o);
}
