// Small helpers shared by the benchmarks (never used by tests: figures come
// from benchmarks only).
import { spawnSync } from 'node:child_process';
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

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string } = {},
): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds };
}
