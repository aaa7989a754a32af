// The webhook outbox: one row per state change of an order whose SP has a
// webhook URL, written in the transition's transaction; delivered at least
// once, per order in the order of the changes.
//
// Queues by SP, indexed: only the head of each order's queue is `ready`
// (triggers of the schema keep that flag: a new row is ready when its order
// has no earlier pending row, and the next row becomes ready when the head is
// delivered or given up). So "what is due for this SP" is one seek in the
// index (sp_id, next_attempt_at) of ready rows: its cost does not depend on
// how many rows a dead SP has piled up behind their heads.
//
// Leases live in memory: one daemon holds the database (its lock), and a
// delivery cut short by a crash is simply made again (at least once), so a
// lease needs no commit; an attempt is counted when its outcome is written.
import type { DB } from './db';
import type { Clock, EventRow, Scope } from './types';

export interface LeasedWebhook {
  id: number;
  attempt: number;
  createdAt: number;
  event: EventRow;
  sp: { id: string; webhookUrl: string | null; scopes: Scope[]; revoked: boolean };
}

interface Joined extends EventRow {
  outbox_id: number;
  attempts: number;
  created_at: number;
  webhook_url: string | null;
  scopes: string;
  revoked_at: number | null;
}

export class WebhookOutbox {
  private readonly due;
  /** outbox id -> end of its lease (ms) */
  private readonly leases = new Map<number, number>();
  private readonly delivered;
  private readonly again;
  private readonly dead;
  private readonly release;
  private readonly pending;
  private readonly oldest;
  private readonly nextOfSp;
  private readonly allSps;
  private readonly ofOrder;
  private readonly expire;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {
    this.due = db.prepare(
      `SELECT w.id AS outbox_id, w.attempts, w.created_at, e.*, s.webhook_url, s.scopes, s.revoked_at
       FROM webhook_outbox w JOIN events e ON e.seq = w.event_seq JOIN sps s ON s.id = w.sp_id
       WHERE w.sp_id = ? AND w.state = 'pending' AND w.ready = 1 AND w.next_attempt_at <= ?
       ORDER BY w.next_attempt_at, w.id LIMIT ?`,
    );
    this.delivered = db.prepare(
      `UPDATE webhook_outbox SET state = 'delivered', delivered_at = ?, lease_until = NULL, attempts = attempts + 1 WHERE id = ? AND state = 'pending'`,
    );
    this.again = db.prepare(
      `UPDATE webhook_outbox SET lease_until = NULL, next_attempt_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ? AND state = 'pending'`,
    );
    this.dead = db.prepare(
      `UPDATE webhook_outbox SET state = 'dead', lease_until = NULL, last_error = ?, attempts = attempts + ? WHERE id = ? AND state = 'pending'`,
    );
    this.release = db.prepare(
      `UPDATE webhook_outbox SET lease_until = NULL, next_attempt_at = ? WHERE state = 'pending' AND lease_until IS NOT NULL`,
    );
    this.pending = db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE state = 'pending'`).pluck();
    this.oldest = db.prepare(`SELECT MIN(created_at) FROM webhook_outbox WHERE state = 'pending'`).pluck();
    this.nextOfSp = db
      .prepare(
        `SELECT next_attempt_at FROM webhook_outbox WHERE sp_id = ? AND state = 'pending' AND ready = 1 ORDER BY next_attempt_at LIMIT 1`,
      )
      .pluck();
    this.allSps = db.prepare('SELECT id, webhook_url AS webhookUrl FROM sps ORDER BY id');
    this.expire = db.prepare(
      `UPDATE webhook_outbox SET state = 'dead', lease_until = NULL, last_error = ?
       WHERE id IN (SELECT id FROM webhook_outbox WHERE state = 'pending' AND created_at < ? ORDER BY created_at LIMIT ?)`,
    );
    this.ofOrder = db.prepare(`SELECT 1 FROM webhook_outbox WHERE order_id = ? AND state = 'pending' LIMIT 1`).pluck();
  }

  /** Every SP and its webhook URL (the scheduler asks each SP for its next due time). */
  sps(): Array<{ id: string; webhookUrl: string | null }> {
    return this.allSps.all() as Array<{ id: string; webhookUrl: string | null }>;
  }

  /**
   * Gives up the webhooks created before `before` that are still pending (the
   * retry window is over), oldest first, at most `limit`: also those of an
   * endpoint whose circuit is open and that are therefore never attempted.
   * Rows of one order are created in order, so an order's queue dies from its
   * head. Returns how many.
   */
  expireBefore(before: number, limit: number, why = 'retry window over'): number {
    return this.db.transaction(() => this.expire.run(why, before, limit).changes).immediate();
  }

  /** When the next webhook of `spId` is due (ms; a leased one: when its lease ends), or null. */
  nextDueOf(spId: string): number | null {
    return (this.nextOfSp.get(spId) as number | undefined) ?? null;
  }

  private held(id: number, now: number): boolean {
    const until = this.leases.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.leases.delete(id);
    return false;
  }

  /** Leases up to `max` due webhooks of `spId` for `leaseMs`. */
  leaseOf(spId: string, max: number, leaseMs: number): LeasedWebhook[] {
    const now = this.clock();
    const rows = (this.due.all(spId, now, max + this.leases.size) as Joined[])
      .filter((r) => !this.held(r.outbox_id, now))
      .slice(0, max);
    return rows.map((r) => {
      this.leases.set(r.outbox_id, now + leaseMs);
      const { outbox_id, attempts, created_at, webhook_url, scopes, revoked_at, ...event } = r;
      return {
        id: outbox_id,
        attempt: attempts + 1,
        createdAt: created_at,
        event,
        sp: {
          id: r.sp_id,
          webhookUrl: webhook_url,
          scopes: JSON.parse(scopes) as Scope[],
          revoked: revoked_at !== null,
        },
      };
    });
  }

  /** Webhooks leased now. */
  leasedCount(): number {
    const now = this.clock();
    for (const id of [...this.leases.keys()]) this.held(id, now);
    return this.leases.size;
  }

  /** Leases up to `max` due webhooks, taking SPs in turn (for tests and simple callers; the worker schedules per SP). */
  lease(max: number, leaseMs: number): LeasedWebhook[] {
    const out: LeasedWebhook[] = [];
    for (const sp of this.sps()) {
      if (out.length >= max) break;
      out.push(...this.leaseOf(sp.id, max - out.length, leaseMs));
    }
    return out;
  }

  markDelivered(id: number): void {
    this.delivered.run(this.clock(), id);
    this.leases.delete(id);
  }

  /** Another attempt at `nextAt` (`attempted`: an attempt was made and is counted). */
  retry(id: number, nextAt: number, error: string): void {
    this.again.run(nextAt, error.slice(0, 500), id);
    this.leases.delete(id);
  }

  /** Gives up on a delivery (retry window over, SP revoked or without URL). */
  markDead(id: number, error: string, attempted = true): void {
    this.dead.run(error.slice(0, 500), attempted ? 1 : 0, id);
    this.leases.delete(id);
  }

  /** Leases end now (and those a process of an earlier version wrote into the database). */
  releaseAll(): number {
    const n = this.leases.size;
    this.leases.clear();
    return n + this.release.run(this.clock()).changes;
  }

  /** Every pending webhook (a count over the whole backlog: for tests and tools, not for loops). */
  pendingCount(): number {
    return this.pending.get() as number;
  }

  /** When the oldest pending row was created (ms since the epoch), or null when none is pending. */
  oldestPendingAt(): number | null {
    return (this.oldest.get() as number | null) ?? null;
  }

  /** Whether the order still has a webhook to deliver (one index seek). */
  hasPending(orderId: string): boolean {
    return this.ofOrder.get(orderId) !== undefined;
  }

  /** When the next webhook of any SP is due (ms), or null. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const sp of this.sps()) {
      const t = this.nextDueOf(sp.id);
      if (t !== null && (next === null || t < next)) next = t;
    }
    return next;
  }
}
