// A one-line progress display for long replays: bytes read, packets/s, ETA.
// Drawn on stderr only when stderr is a terminal; elsewhere ProgressLog logs a
// line every few seconds instead.
export interface ProgressSample {
  bytesRead: number;
  totalBytes: number;
  packets: number;
}

export class ProgressBar {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private lastLen = 0;

  constructor(
    private readonly sample: () => ProgressSample,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 200,
  ) {}

  /** Whether a bar would be drawn at all on this stream. */
  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  start(): this {
    if (!this.enabled || this.timer) return this;
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.enabled && this.lastLen > 0) this.stream.write('\r' + ' '.repeat(this.lastLen) + '\r');
    this.lastLen = 0;
  }

  /** The line that would be drawn now (exported for tests). */
  line(now = Date.now()): string {
    return formatProgress(this.sample(), (now - this.started) / 1000, this.stream.columns ?? 80);
  }

  private draw(): void {
    const l = this.line();
    this.stream.write('\r' + l + (l.length < this.lastLen ? ' '.repeat(this.lastLen - l.length) : ''));
    this.lastLen = l.length;
  }
}

function human(n: number, unit: string): string {
  const u = ['', 'K', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)} ${u[i]}${unit}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatProgress(p: ProgressSample, elapsedS: number, columns: number): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const rate = elapsedS > 0 ? p.packets / elapsedS : 0;
  const eta = frac > 0 && elapsedS > 0 ? (elapsedS * (1 - frac)) / frac : NaN;
  const tail = ` ${(frac * 100).toFixed(1).padStart(5)}% ${human(p.bytesRead, 'B')}/${human(p.totalBytes, 'B')} ${human(rate, 'pkt/s')} ETA ${duration(eta)}`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 3));
  const fill = Math.round(frac * width);
  return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]${tail}`;
}

/** Where ProgressLog writes: a pino logger or anything with info(obj, msg). */
export interface ProgressSink {
  info(obj: object, msg: string): void;
}

/**
 * The progress of a long replay as a log line every `intervalMs` when stderr
 * is not a terminal (under systemd, in a pipe, in CI), where a bar would be
 * noise: bytes and packets read, the rate over the last interval and the ETA.
 */
export class ProgressLog {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();
  private lastAt = Date.now();
  private lastPackets = 0;

  constructor(
    private readonly sample: () => ProgressSample,
    private readonly sink: ProgressSink,
    private readonly intervalMs: number,
  ) {}

  start(): this {
    if (this.timer) return this;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The fields of the line logged now (exported for tests). */
  fields(now = Date.now()): Record<string, number | string> {
    const p = this.sample();
    const elapsed = (now - this.started) / 1000;
    const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
    const dt = (now - this.lastAt) / 1000;
    const rate = dt > 0 ? (p.packets - this.lastPackets) / dt : 0;
    this.lastAt = now;
    this.lastPackets = p.packets;
    const eta = frac > 0 && elapsed > 0 ? (elapsed * (1 - frac)) / frac : null;
    return {
      bytesRead: p.bytesRead,
      totalBytes: p.totalBytes,
      percent: Math.round(frac * 1000) / 10,
      packets: p.packets,
      packetsPerSecond: Math.round(rate),
      elapsed: duration(elapsed),
      eta: eta === null ? '--:--' : duration(eta),
    };
  }

  private tick(): void {
    try {
      this.sink.info({ progress: this.fields() }, 'replay progress');
    } catch {
      /* the capture closed between ticks */
    }
  }
}
