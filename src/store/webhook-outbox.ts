// The webhook outbox: one row per state change of an order whose SP has a
// webhook URL, written in the transition's transaction; delivered at least
// once, per order in the order of the changes.
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
  private readonly take;
  private readonly delivered;
  private readonly again;
  private readonly dead;
  private readonly release;
  private readonly pending;
  private readonly oldest;
  private readonly next;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {
    // only the oldest pending row of each order is due: per-order order is kept
    this.due = db.prepare(
      `SELECT w.id AS outbox_id, w.attempts, w.created_at, e.*, s.webhook_url, s.scopes, s.revoked_at
       FROM webhook_outbox w JOIN events e ON e.seq = w.event_seq JOIN sps s ON s.id = w.sp_id
       WHERE w.state = 'pending' AND w.next_attempt_at <= ? AND (w.lease_until IS NULL OR w.lease_until < ?)
         AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.order_id = w.order_id AND p.state = 'pending' AND p.id < w.id)
       ORDER BY w.next_attempt_at, w.id LIMIT ?`,
    );
    this.take = db.prepare('UPDATE webhook_outbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ?');
    this.delivered = db.prepare(`UPDATE webhook_outbox SET state = 'delivered', delivered_at = ?, lease_until = NULL WHERE id = ?`);
    this.again = db.prepare('UPDATE webhook_outbox SET lease_until = NULL, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.dead = db.prepare(`UPDATE webhook_outbox SET state = 'dead', lease_until = NULL, last_error = ? WHERE id = ?`);
    this.release = db.prepare(`UPDATE webhook_outbox SET lease_until = NULL WHERE state = 'pending' AND lease_until IS NOT NULL`);
    this.pending = db.prepare(`SELECT COUNT(*) FROM webhook_outbox WHERE state = 'pending'`).pluck();
    this.oldest = db.prepare(`SELECT MIN(created_at) FROM webhook_outbox WHERE state = 'pending'`).pluck();
    this.next = db
      .prepare(
        `SELECT MIN(w.next_attempt_at) FROM webhook_outbox w WHERE w.state = 'pending' AND (w.lease_until IS NULL OR w.lease_until < ?)
         AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.order_id = w.order_id AND p.state = 'pending' AND p.id < w.id)`,
      )
      .pluck();
  }

  lease(max: number, leaseMs: number): LeasedWebhook[] {
    const now = this.clock();
    return this.db
      .transaction(() => {
        const rows = this.due.all(now, now, max) as Joined[];
        return rows.map((r) => {
          this.take.run(now + leaseMs, r.outbox_id);
          const { outbox_id, attempts, created_at, webhook_url, scopes, revoked_at, ...event } = r;
          return {
            id: outbox_id,
            attempt: attempts + 1,
            createdAt: created_at,
            event,
            sp: { id: r.sp_id, webhookUrl: webhook_url, scopes: JSON.parse(scopes) as Scope[], revoked: revoked_at !== null },
          };
        });
      })
      .immediate();
  }

  markDelivered(id: number): void {
    this.delivered.run(this.clock(), id);
  }

  retry(id: number, nextAt: number, error: string): void {
    this.again.run(nextAt, error.slice(0, 500), id);
  }

  /** Gives up on a delivery (retry window over, SP revoked or without URL). */
  markDead(id: number, error: string): void {
    this.dead.run(error.slice(0, 500), id);
  }

  releaseAll(): number {
    return this.release.run().changes;
  }

  pendingCount(): number {
    return this.pending.get() as number;
  }

  /** When the oldest pending row was created (ms since the epoch), or null when none is pending. */
  oldestPendingAt(): number | null {
    return (this.oldest.get() as number | null) ?? null;
  }

  /** When the next pending, unleased row is due (ms), or null. */
  nextDueAt(): number | null {
    return (this.next.get(this.clock()) as number | null) ?? null;
  }
}
