// The event feed: every state change of an SP's orders, in commit order.
import type { DB } from './db';
import type { EventRow } from './types';

export class EventFeed {
  private readonly page;
  private readonly ofOrder;

  constructor(db: DB) {
    this.page = db.prepare('SELECT * FROM events WHERE sp_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.ofOrder = db.prepare('SELECT * FROM events WHERE order_id = ? ORDER BY seq');
  }

  /** Events of `spId` after cursor `after` (0 = from the start). */
  list(spId: string, after: number, limit: number): EventRow[] {
    return this.page.all(spId, after, limit) as EventRow[];
  }

  forOrder(orderId: string): EventRow[] {
    return this.ofOrder.all(orderId) as EventRow[];
  }
}
