#!/usr/bin/env node
// npm run fuzz -- <seconds> [--jobs N]
// Builds the libFuzzer target (clang, ASan + UBSan), seeds a corpus from our
// fixtures and the public captures (../shared, when present), runs the fuzzer
// for <seconds>, and copies any crashing input into native/fuzz/regressions/
// (which the unit tests replay forever). Prints executions and corpus size.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readCapture } from './gen/reader';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NATIVE = path.join(ROOT, 'native');
const CORPUS = path.join(NATIVE, 'fuzz', 'corpus');
const ARTIFACTS = path.join(NATIVE, 'fuzz', 'artifacts');
const REGRESSIONS = path.join(NATIVE, 'fuzz', 'regressions');
const SELECTOR: Record<number, number> = { 1: 1, 101: 2, 113: 3, 276: 4, 0: 5 };

function captures(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e.name) && fs.statSync(p).size < 4 << 20) out.push(p);
    }
  };
  walk(path.join(ROOT, 'fixtures'));
  walk(path.resolve(ROOT, '..', 'shared', 'fixtures', 'public'));
  return out;
}

function put(data: Buffer): void {
  const name = crypto.createHash('sha1').update(data).digest('hex');
  fs.writeFileSync(path.join(CORPUS, name), data);
}

export function seedCorpus(): number {
  fs.mkdirSync(CORPUS, { recursive: true });
  for (const file of captures()) {
    const bytes = fs.readFileSync(file);
    put(Buffer.concat([Buffer.from([0]), bytes])); // selector 0: the whole file
    let frames;
    try {
      frames = readCapture(bytes).frames;
    } catch {
      continue;
    }
    // selectors 1-5: the frame sequence (chunks of 64 frames keep inputs small), and single frames
    for (let i = 0; i < frames.length; i += 64) {
      const chunk = frames.slice(i, i + 64);
      const sel = SELECTOR[chunk[0]!.linktype];
      if (sel === undefined) continue;
      const parts: Buffer[] = [Buffer.from([sel])];
      for (const f of chunk.filter((f) => f.linktype === chunk[0]!.linktype)) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(Math.min(f.data.length, 0xffff));
        parts.push(len, f.data.subarray(0, 0xffff));
      }
      put(Buffer.concat(parts));
    }
  }
  return fs.readdirSync(CORPUS).length;
}

/**
 * Executions (and, with --jobs, the merged corpus and coverage) from
 * libFuzzer's output: one process prints final stats; fork mode prints none
 * but a status line per job ("#N: cov: C ft: F corp: K ...").
 */
export function fuzzStats(output: string): { execs: number | null; merged: number | null; cov: number | null } {
  const final = /stat::number_of_executed_units:\s*(\d+)/.exec(output);
  if (final) return { execs: Number(final[1]), merged: null, cov: null };
  const lines = [...output.matchAll(/^#(\d+): cov: (\d+) ft: \d+ corp: (\d+)/gm)];
  const last = lines[lines.length - 1];
  if (!last) return { execs: null, merged: null, cov: null };
  return { execs: Number(last[1]), merged: Number(last[3]), cov: Number(last[2]) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
  const jobsArg = args.indexOf('--jobs');
  const jobs = jobsArg >= 0 ? Number(args[jobsArg + 1]) : 1;
  const build = spawnSync('make', ['-s', '-C', NATIVE, 'fuzz'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('cannot build the fuzz target (needs clang)');
  const seeds = seedCorpus();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  console.log(`corpus: ${seeds} inputs in ${path.relative(ROOT, CORPUS)}; fuzzing for ${seconds} s`);
  const bin = path.join(ROOT, 'build-native', 'fuzz_decode');
  const fuzzArgs = [
    CORPUS,
    path.join(REGRESSIONS),
    `-max_total_time=${seconds}`,
    `-artifact_prefix=${ARTIFACTS}/`,
    '-max_len=65536',
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
  ];
  if (jobs > 1) fuzzArgs.push(`-fork=${jobs}`);
  const child = spawn(bin, fuzzArgs, {
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    process.stderr.write(d);
    tail = (tail + d).slice(-20000);
  });
  const status: number = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const crashes = fs.readdirSync(ARTIFACTS).filter((f) => /^(crash|leak|timeout|oom)-/.test(f));
  const found = path.join(REGRESSIONS, 'found');
  if (crashes.length > 0) fs.mkdirSync(found, { recursive: true });
  for (const c of crashes) fs.copyFileSync(path.join(ARTIFACTS, c), path.join(found, c));
  const { execs, merged, cov } = fuzzStats(tail);
  const corpus = fs.readdirSync(CORPUS).length;
  const more = merged === null ? '' : ` (${merged} in the fuzzer's merged corpus, coverage ${cov})`;
  console.log(`fuzz: ${execs ?? '?'} executions, corpus ${corpus} inputs${more}, ${crashes.length} crash(es)`);
  if (crashes.length > 0) {
    console.log(`crashing inputs copied to ${path.relative(ROOT, found)}: ${crashes.join(', ')}`);
    process.exitCode = 1;
  } else if (status !== 0) process.exitCode = status;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
