// A polling work loop over a leased outbox: takes due items up to a
// concurrency bound, handles them, sleeps until the next is due (or until
// woken, or `pollMs`: other processes may write the outbox too).
export interface WorkLoopOptions<T> {
  concurrency: number;
  pollMs: number;
  lease(max: number): T[];
  handle(item: T): Promise<void>;
  nextDueAt(): number | null;
  onError(err: unknown): void;
  clock?: () => number;
}

export class WorkLoop<T> {
  private running = false;
  private readonly inflight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private kicked = false;

  constructor(private readonly o: WorkLoopOptions<T>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.run();
  }

  /** There may be new work: look now. */
  wake(): void {
    this.kicked = true;
    this.wakeUp?.();
  }

  /**
   * Stops taking work and waits for what is in flight, at most `timeoutMs`;
   * with `abort`, that is called when most of the time has passed (what is
   * still in flight is cut short) and the rest is waited for. True when all finished.
   */
  async stop(timeoutMs: number, abort?: () => void): Promise<boolean> {
    this.running = false;
    this.wake();
    await this.loopDone;
    const settle = (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
      return Promise.race([Promise.all([...this.inflight]).then(() => true as const), timeout]).finally(() =>
        clearTimeout(timer),
      );
    };
    if (!abort) return settle(timeoutMs);
    if (await settle(Math.floor(timeoutMs * 0.6))) return true;
    abort();
    return settle(Math.floor(timeoutMs * 0.3));
  }

  private async run(): Promise<void> {
    const clock = this.o.clock ?? Date.now;
    while (this.running) {
      this.kicked = false;
      const free = this.o.concurrency - this.inflight.size;
      let next: number | null = null;
      try {
        if (free > 0) {
          const items = this.o.lease(free);
          for (const item of items) {
            const p: Promise<void> = this.o
              .handle(item)
              .catch((err) => this.o.onError(err))
              .finally(() => {
                this.inflight.delete(p);
                this.wake();
              });
            this.inflight.add(p);
          }
        }
        next = this.o.nextDueAt();
      } catch (err) {
        this.o.onError(err);
      }
      if (this.kicked) continue;
      const delay =
        this.inflight.size >= this.o.concurrency || next === null
          ? this.o.pollMs
          : Math.min(this.o.pollMs, Math.max(5, next - clock()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}
