// Small helpers shared by the benchmarks (tests check what they count, never
// a figure: figures come from benchmarks only).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function fmtRate(n: number, unit: string): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G${unit}`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k${unit}`;
  return `${n.toFixed(0)} ${unit}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs a command to its end: its output, wall time and CPU time (every thread). `ignoreStdout`: to /dev/null. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; ignoreStdout?: boolean } = {},
): { status: number | null; stdout: string; stderr: string; seconds: number; cpuSeconds: number } {
  const c0 = childrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd: opts.cwd,
    env: opts.env,
    stdio: opts.ignoreStdout ? ['ignore', 'ignore', 'pipe'] : undefined,
    maxBuffer: 256 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    seconds,
    cpuSeconds: childrenCpuSeconds() - c0,
  };
}

let clockTicks: number | undefined;

/**
 * CPU seconds (user and system, every thread) of the children this process
 * has waited for so far: the cutime and cstime of /proc/self/stat, in clock
 * ticks (10 ms here). The difference around a spawnSync is what that child
 * used. NaN where /proc is not Linux's.
 */
export function childrenCpuSeconds(): number {
  try {
    // asked before the count is read, so that getconf's own CPU is in every count, not in a run's
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // the fields after the command name (which may hold spaces), from field 3 (state) on
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / clockTicks;
  } catch {
    return NaN;
  }
}
