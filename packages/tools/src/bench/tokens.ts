// Token lookup timing (issue "hardening": lookups by token are constant-time
// with respect to the token value). A guesser learns something only if a guess
// that is close to a real token (same prefix, one character off) costs a
// different time than a far one. OrderRepo.findByToken looks up SHA-256(token)
// in an index, then compares in constant time, so closeness in the token
// should not show. This measures it: a store with N orders, lookups of four
// kinds interleaved round by round in a shuffled order (so drift and garbage
// collection hit all alike), ns per lookup.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../../../dist/store';
import { newToken } from '../../../../dist/store/ids';
import { machine } from './util';

export interface TokenBenchOptions {
  orders?: number;
  rounds?: number;
  perRound?: number;
}

const TEMPLATE = 'http://pay.example.net/pay?pay_token={token}';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runTokenBench(
  o: TokenBenchOptions = {},
): Promise<Record<string, { p10: number; p50: number; p90: number }>> {
  const n = o.orders ?? 100_000;
  const rounds = o.rounds ?? 200;
  const per = o.perRound ?? 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gnpay-tokens-'));
  const store = Store.open(path.join(dir, 'gnpay.db'));
  try {
    console.log(`machine: ${machine()}`);
    const sp = store.sps.add({ name: 'bench' }).sp;
    const tokens: string[] = [];
    const opts = { payUrlTemplate: TEMPLATE, defaultTtlSeconds: 86_400, maxTtlSeconds: 86_400 };
    store.db.transaction(() => {
      for (let i = 0; i < n; i++)
        tokens.push(store.orders.create(sp.id, { amount: 1, currency: 'EUR', reference: `r${i}` }, opts).order.token);
    })();
    const flip = (c: string) => (c === 'a' ? 'b' : 'a');
    const pick = (i: number) => tokens[(i * 7919) % n]!;
    const kinds: Record<string, (i: number) => string> = {
      // a real token: the row is found and read (this difference is inside the daemon; no API takes a token)
      existing: (i) => pick(i),
      // one character off at the end: 25 of 26 characters right
      'near (last char off)': (i) => pick(i).slice(0, 25) + flip(pick(i)[25]!),
      // one character off at the start
      'near (first char off)': (i) => flip(pick(i)[0]!) + pick(i).slice(1),
      // nothing in common
      random: () => newToken(),
    };
    const names = Object.keys(kinds);
    // flat strings of their own for every kind (V8 keeps slices and concatenations as
    // references, which would cost a flattening in the hash of some kinds only)
    const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');
    const inputs = Object.fromEntries(names.map((k) => [k, Array.from({ length: per }, (_, i) => flat(kinds[k]!(i)))]));
    const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    let sink = 0;
    // each round measures the kinds in a new random order: whichever follows
    // `existing` pays for the garbage its found rows leave, and that must not
    // always be the same kind
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let r = 0; r < rounds + 5; r++) {
      const order = [...names];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const k of order) {
        const list = inputs[k]!;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < list.length; i++) if (store.orders.findByToken(list[i]!)) sink++;
        const ns = Number(process.hrtime.bigint() - t0) / list.length;
        if (r >= 5) samples[k]!.push(ns); // the first rounds warm up
      }
    }
    const out: Record<string, { p10: number; p50: number; p90: number }> = {};
    console.log(
      `${n} orders; ${rounds} rounds of ${per} lookups per kind, interleaved; ns per findByToken (p10 / p50 / p90 of the rounds)`,
    );
    for (const k of names) {
      const s = samples[k]!.sort((a, b) => a - b);
      out[k] = { p10: quantile(s, 0.1), p50: quantile(s, 0.5), p90: quantile(s, 0.9) };
      console.log(
        `  ${k.padEnd(24)} ${out[k].p10.toFixed(0).padStart(6)} / ${out[k].p50.toFixed(0).padStart(6)} / ${out[k].p90.toFixed(0).padStart(6)}`,
      );
    }
    const near = out['near (last char off)']!.p50;
    const far = out.random!.p50;
    console.log(
      `near guess / random guess (p50): ${(near / far).toFixed(3)}   (found ${sink} = ${(rounds + 5) * per} existing lookups)`,
    );
    return out;
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
