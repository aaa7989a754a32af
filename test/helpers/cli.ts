// Runs the real `gnpay` command (dist/cli.js, built by `npm test`'s pretest step).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** the fixture generator's command line (packages/tools, built by `npm run build:tools`) */
export const GEN_CLI = path.join(ROOT, 'packages', 'tools', 'dist', 'gen-cli.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function gnpaySync(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    maxBuffer: 512 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `gnpay ARGS`; `input`, when given, is written to its standard input. */
export function gnpay(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: Buffer | NodeJS.ReadableStream } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd ?? ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    if (opts.input !== undefined) {
      child.stdin.on('error', () => undefined); // gnpay may stop reading early (an error, | head)
      if (Buffer.isBuffer(opts.input)) child.stdin.end(opts.input);
      else opts.input.pipe(child.stdin);
    }
  });
}

/**
 * `gnpay ARGS` run by main() in this process (the sources, not dist/), stdout
 * and stderr captured: what the command prints and the exit code it ends
 * with, without the start of a process per call (~0.5 s of CPU). For commands
 * that read no standard input and need no process of their own.
 */
export async function gnpayHere(args: string[]): Promise<RunResult> {
  const { main } = await import('../../src/cli');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = (c: string | Uint8Array) => (
    (stdout += typeof c === 'string' ? c : Buffer.from(c).toString('utf8')),
    true
  );
  process.stderr.write = (c: string | Uint8Array) => (
    (stderr += typeof c === 'string' ? c : Buffer.from(c).toString('utf8')),
    true
  );
  let status: number;
  try {
    status = await main(['node', 'gnpay', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { status, stdout, stderr };
}

export type Json = Record<string, any>;

export interface DecodedJsonl {
  status: number | null;
  stderr: string;
  /** every line but the last */
  events: Json[];
  /** the final stats line */
  stats: Json;
}

/** `gnpay decode FILE --jsonl --no-progress` with the given carriers and extra arguments, parsed. */
export async function decodeJsonl(
  file: string,
  carriers: readonly string[],
  extra: string[] = [],
): Promise<DecodedJsonl> {
  const args = ['decode', file, '--jsonl', '--no-progress', ...extra];
  for (const c of carriers) args.push('--carrier', c);
  const r = await gnpayHere(args);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Json);
  const stats = lines.pop() ?? {};
  // `file` names the capture as given; predictions (packages/tools/src/gen) leave it out
  for (const e of lines) if (e.file === file) delete e.file;
  return { status: r.status, stderr: r.stderr, events: lines, stats };
}
