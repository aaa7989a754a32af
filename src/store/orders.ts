// Orders: creation (idempotent per SP and key), reads scoped to their SP,
// cancellation and expiry.
import type { DB } from './db';
import { DomainError } from './errors';
import { canonicalJson, newOrderId, newToken, safeEqual, sha256 } from './ids';
import { renderPayUrl } from './payurl';
import { normalizeOrigin } from './sps';
import type { Transitions } from './transitions';
import type { Clock, OrderRow, OrderStatus } from './types';

export interface CreateOrderInput {
  amount: number;
  currency: string;
  reference: string;
  description?: string;
  ttlSeconds?: number;
  /** where the pay page links back to; its origin must be one of CreateOrderOptions.returnOrigins */
  returnUrl?: string;
}

export interface CreateOrderOptions {
  idempotencyKey?: string;
  /** the origins registered for the SP (Sp.returnOrigins) */
  returnOrigins?: readonly string[];
  payUrlTemplate: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

export interface ListFilter {
  status?: OrderStatus;
  reference?: string;
  limit?: number;
  /** cursor: list orders created after this one */
  after?: number;
}

export class OrderRepo {
  private readonly insert;
  private readonly byId;
  private readonly byIdem;
  private readonly byTokenHash;
  private readonly tokenHashesIn;
  private readonly dueToExpire;
  private readonly anyDue;

  constructor(
    private readonly db: DB,
    private readonly transitions: Transitions,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO orders (id, sp_id, token, token_hash, pay_url, amount, currency, reference, description, status,
                           created_at, updated_at, expires_at, idempotency_key, request_hash, return_url, sandbox)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, (SELECT CASE WHEN test = 1 THEN 'open' END FROM sps WHERE id = ?)) RETURNING *`,
    );
    this.byId = db.prepare('SELECT * FROM orders WHERE id = ?');
    this.byIdem = db.prepare('SELECT * FROM orders WHERE sp_id = ? AND idempotency_key = ?');
    this.byTokenHash = db.prepare('SELECT * FROM orders WHERE token_hash = ?');
    // the positions, in a JSON array of hex SHA-256 digests, of those an order holds (one index probe each)
    this.tokenHashesIn = db
      .prepare('SELECT j.key FROM json_each(?) j JOIN orders o ON o.token_hash = unhex(j.value)')
      .pluck();
    // open: pending, identified and not confirmed, or reserved (a held order its SP has not confirmed);
    // otherwise a confirmed order's charge is under way
    const open = `(status = 'pending' OR (status = 'identified' AND (confirmed_at IS NULL OR (hold = 1 AND captured_at IS NULL))))`;
    this.anyDue = db.prepare(`SELECT 1 FROM orders WHERE ${open} AND expires_at <= ? LIMIT 1`);
    this.dueToExpire = db.prepare(`SELECT * FROM orders WHERE ${open} AND expires_at <= ? ORDER BY expires_at LIMIT ?`);
  }

  /** Creates an order, or returns the one made before with the same key and body (`replayed`). */
  create(spId: string, input: CreateOrderInput, opts: CreateOrderOptions): { order: OrderRow; replayed: boolean } {
    const ttl = input.ttlSeconds ?? opts.defaultTtlSeconds;
    if (ttl > opts.maxTtlSeconds) {
      throw new DomainError('INVALID_ARGUMENT', `ttlSeconds must be at most ${opts.maxTtlSeconds}`);
    }
    if (input.returnUrl !== undefined) {
      const origin = normalizeOrigin(input.returnUrl);
      if (!(opts.returnOrigins ?? []).includes(origin)) {
        throw new DomainError(
          'INVALID_ARGUMENT',
          `returnUrl: the origin ${origin} is not registered for this SP (gnpay sp configure --return-origin)`,
        );
      }
    }
    const requestHash = sha256(canonicalJson(input)).toString('hex');
    return this.transitions.tx(() => {
      if (opts.idempotencyKey !== undefined) {
        const prior = this.byIdem.get(spId, opts.idempotencyKey) as OrderRow | undefined;
        if (prior) {
          if (prior.request_hash !== requestHash) {
            throw new DomainError('CONFLICT', 'Idempotency-Key was already used with a different request body');
          }
          return { order: this.expireIfDue(prior), replayed: true };
        }
      }
      const now = this.clock();
      const token = newToken();
      const order = this.insert.get(
        newOrderId(),
        spId,
        token,
        sha256(token),
        renderPayUrl(opts.payUrlTemplate, token),
        input.amount,
        input.currency,
        input.reference,
        input.description ?? '',
        now,
        now,
        now + ttl * 1000,
        opts.idempotencyKey ?? null,
        requestHash,
        input.returnUrl ?? null,
        spId,
      ) as OrderRow;
      this.transitions.created(order);
      return { order, replayed: false };
    });
  }

  /** The order of this SP (NOT_FOUND for another SP's), expired first if its time has come. */
  get(spId: string, id: string): OrderRow {
    const row = this.byId.get(id) as OrderRow | undefined;
    if (!row || row.sp_id !== spId) throw new DomainError('NOT_FOUND', `no order ${id}`);
    return this.expireIfDue(row);
  }

  /** Any order by id (internal use: CLI, workers). */
  find(id: string): OrderRow | null {
    return (this.byId.get(id) as OrderRow | undefined) ?? null;
  }

  /**
   * The order holding this token: an index lookup on SHA-256(token), then a
   * constant-time comparison. A sandbox order is never found: no sighting and
   * no pay-page visit can reach one (the sandbox simulates its subscriber).
   */
  findByToken(token: string, hash: Buffer = sha256(token)): OrderRow | null {
    const row = this.byTokenHash.get(hash) as OrderRow | undefined;
    return row && row.sandbox === null && safeEqual(row.token, token) ? row : null;
  }

  /**
   * Which tokens an order may hold, by their SHA-256 (`hashes`): the
   * positions of the hashes an order has, in one statement. A token not among
   * them has no order (findByToken would find none); one among them is found
   * (or not: a sandbox order) by findByToken.
   */
  positionsWithOrder(hashes: readonly Buffer[]): Set<number> {
    if (hashes.length === 0) return new Set();
    return new Set(this.tokenHashesIn.all(JSON.stringify(hashes.map((h) => h.toString('hex')))) as number[]);
  }

  list(spId: string | null, f: ListFilter = {}): { orders: OrderRow[]; nextCursor: number | null } {
    this.expireDue();
    const where: string[] = [];
    const args: unknown[] = [];
    if (spId !== null) {
      where.push('sp_id = ?');
      args.push(spId);
    }
    if (f.status) {
      where.push('status = ?');
      args.push(f.status);
    }
    if (f.reference !== undefined) {
      where.push('reference = ?');
      args.push(f.reference);
    }
    if (f.after !== undefined) {
      where.push('seq > ?');
      args.push(f.after);
    }
    const limit = f.limit ?? 50;
    const sql = `SELECT * FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, limit + 1) as OrderRow[];
    const more = rows.length > limit;
    if (more) rows.pop();
    return { orders: rows, nextCursor: more ? (rows.at(-1)?.seq ?? null) : null };
  }

  /**
   * Cancels an order nobody has confirmed yet (pending, or identified and not
   * confirmed); cancelling a cancelled order returns it unchanged (safe to retry).
   */
  cancel(spId: string, id: string): OrderRow {
    return this.transitions.tx(() => {
      const o = this.get(spId, id);
      if (o.status === 'cancelled') return o;
      if (!isOpen(o))
        throw new DomainError(
          'ORDER_NOT_CANCELLABLE',
          `order ${id} is ${o.status}${o.confirmed_at !== null ? ' and confirmed' : ''}, only an unconfirmed order can be cancelled`,
        );
      return this.transitions.apply(o, 'cancelled', this.clock());
    });
  }

  /** Moves open orders (pending, identified and unconfirmed) whose TTL has passed to `expired`; returns how many. */
  expireDue(max = 1000): number {
    const now = this.clock();
    if (!this.anyDue.get(now)) return 0; // no write lock taken when nothing is due
    return this.transitions.tx(() => {
      const due = this.dueToExpire.all(now, max) as OrderRow[];
      for (const o of due) this.transitions.apply(o, 'expired', now);
      return due.length;
    });
  }

  /** `o` or, when it is open past its expiry, `o` expired (in a transaction). */
  expireIfDue(o: OrderRow, now = this.clock()): OrderRow {
    if (!isOpen(o) || o.expires_at > now) return o;
    return this.transitions.tx(() => {
      const fresh = this.byId.get(o.id) as OrderRow;
      return isOpen(fresh) ? this.transitions.apply(fresh, 'expired', now) : fresh;
    });
  }
}

/**
 * No charge is under way and one may still be: pending, identified and
 * unconfirmed, or reserved (held, confirmed by its subscriber, not yet by its SP).
 */
export function isOpen(o: OrderRow): boolean {
  return o.status === 'pending' || (o.status === 'identified' && (o.confirmed_at === null || isReserved(o)));
}

/** A held order its subscriber confirmed and its SP has not (CAMARA `reserved`). */
export function isReserved(o: OrderRow): boolean {
  return o.status === 'identified' && o.hold === 1 && o.confirmed_at !== null && o.captured_at === null;
}
