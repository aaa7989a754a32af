// systemd's notification protocol (sd_notify(3)) for `Type=notify` units:
// READY=1 once the daemon serves, STATUS= lines, STOPPING=1, RELOADING=1 and
// the watchdog keep-alive (WATCHDOG=1 at half of WatchdogSec). The datagram is
// sent by the addon's sdNotify (native/source/sd_notify.cc): Node.js has no
// AF_UNIX datagram socket. Without $NOTIFY_SOCKET (not under systemd) every
// call does nothing and the addon is not loaded.
export type NotifySend = (socketPath: string, state: string) => void;

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** the transport (default: the addon's sdNotify) */
  send?: NotifySend;
  /** told once when a datagram cannot be sent */
  onError?: (err: Error) => void;
}

export class SystemdNotifier {
  readonly socket: string | null;
  /** the watchdog interval systemd expects a keep-alive within (ms), or null */
  readonly watchdogMs: number | null;
  private readonly send: NotifySend | null;
  private timer: NodeJS.Timeout | null = null;
  private failed = false;

  constructor(private readonly o: NotifierOptions = {}) {
    const env = o.env ?? process.env;
    this.socket = env.NOTIFY_SOCKET && env.NOTIFY_SOCKET.length > 0 ? env.NOTIFY_SOCKET : null;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = this.socket && forUs && Number.isFinite(usec) && usec > 0 ? Math.floor(usec / 1000) : null;
    this.send = this.socket ? (o.send ?? (require('../native') as typeof import('../native')).sdNotify) : null;
  }

  get enabled(): boolean {
    return this.socket !== null;
  }

  /** Sends `fields` (KEY=VALUE lines); false when not under systemd or when it failed. */
  notify(fields: Record<string, string | number>): boolean {
    if (!this.send || !this.socket) return false;
    const state = Object.entries(fields)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
      .join('\n');
    try {
      this.send(this.socket, state);
      return true;
    } catch (err) {
      if (!this.failed) this.o.onError?.(err as Error);
      this.failed = true;
      return false;
    }
  }

  ready(status: string): boolean {
    return this.notify({ READY: 1, STATUS: status, MAINPID: process.pid });
  }

  status(status: string): boolean {
    return this.notify({ STATUS: status });
  }

  reloading(): boolean {
    return this.notify({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec() });
  }

  stopping(status: string): boolean {
    this.stopWatchdog();
    return this.notify({ STOPPING: 1, STATUS: status });
  }

  /**
   * Pings the watchdog at half its interval while `healthy()` says so: a
   * blocked event loop or an unhealthy daemon stops the pings and systemd
   * restarts the service (WatchdogSec in the unit).
   */
  startWatchdog(healthy: () => boolean): void {
    if (this.watchdogMs === null || this.timer) return;
    const ping = () => {
      if (healthy()) this.notify({ WATCHDOG: 1 });
    };
    ping();
    this.timer = setInterval(ping, Math.max(50, Math.floor(this.watchdogMs / 2)));
    this.timer.unref();
  }

  stopWatchdog(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function monotonicUsec(): string {
  // CLOCK_MONOTONIC in microseconds, as sd_notify(3) asks with RELOADING=1
  return String(process.hrtime.bigint() / 1000n);
}
