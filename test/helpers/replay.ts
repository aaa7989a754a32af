// A native Replay of capture files read to its end through the addon's own
// interface (no JavaScript event objects): what the native tests compare.
import fs from 'node:fs';
import path from 'node:path';
import { Engine, loadAddon } from '../../src/native';
import { ROOT } from './cli';

export const FIXTURES = path.join(ROOT, 'fixtures');
export const CARRIERS = [
  'query:pay_token',
  'path:/pay/',
  'host:pay.example.net',
  'header:X-Pay-Token',
  'cookie:pay_token',
];

/** The fixtures' capture files. */
export function fixtureCaptures(): string[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => path.join(FIXTURES, f));
}

export interface ReplayOutcome {
  /** the batches' JSONL text, in order */
  json: string;
  /** the events the batches counted */
  counts: number;
  error: unknown;
  packets: number;
  stats: unknown;
}

/** Replays `files` on a new engine with Replay options `opts` (hexTeids on unless given). */
export async function replayFiles(files: string[], opts: Record<string, unknown>): Promise<ReplayOutcome> {
  const addon = loadAddon();
  const engine = new Engine({ carriers: CARRIERS, payHosts: ['pay.example.net'], requests: true });
  const r = new addon.Replay(engine.native, files, { hexTeids: true, ...opts }) as unknown as {
    next(): Promise<{ json: Buffer; count: number; error: unknown; end: boolean; packets: number } | null>;
    close(): void;
  };
  let json = '';
  let counts = 0;
  let error: unknown = null;
  let packets = 0;
  for (;;) {
    const b = await r.next();
    if (!b) break;
    json += b.json.toString('utf8');
    counts += b.count;
    packets = b.packets;
    if (b.error) error = b.error;
    if (b.end) break;
  }
  r.close();
  const stats = engine.stats();
  engine.close();
  return { json, counts, error, packets, stats };
}

/** The JSON lines of an outcome. */
export const linesOf = (o: ReplayOutcome): string[] => o.json.split('\n').filter(Boolean);
