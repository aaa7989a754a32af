// The embedded prepaid ledger: balances per MSISDN and currency in the same
// database. A debit is keyed by the order id (UNIQUE), so charging an order
// twice debits once. An order is paid only from a balance in its own currency:
// a subscriber whose money is in another currency is declined
// (CURRENCY_MISMATCH), never debited across currencies.
import type { DB } from './db';
import { DomainError } from './errors';
import type { Clock, OrderReason } from './types';

/** The balance of an account credited before balances had a currency: kept, shown, never debited. */
export const NO_CURRENCY = 'XXX';

export interface LedgerEntry {
  id: number;
  amount: number;
  currency: string;
  kind: 'credit' | 'debit' | 'refund';
  orderId: string | null;
  note: string | null;
  createdAt: string;
}

export interface LedgerAccount {
  msisdn: string;
  /** minor units by ISO 4217 currency */
  balances: Record<string, number>;
  entries: LedgerEntry[];
}

interface EntryRow {
  id: number;
  amount: number;
  currency: string;
  kind: 'credit' | 'debit' | 'refund';
  order_id: string | null;
  note: string | null;
  created_at: number;
}

export type DebitResult = { outcome: 'succeeded'; replayed: boolean } | { outcome: 'declined'; reason: OrderReason };

export class Ledger {
  private readonly balance;
  private readonly balances;
  private readonly upsert;
  private readonly take;
  private readonly add;
  private readonly entries;
  private readonly all;
  private readonly byOrder;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {
    this.balance = db.prepare('SELECT balance FROM ledger_balances WHERE msisdn = ? AND currency = ?').pluck();
    this.balances = db.prepare('SELECT currency, balance FROM ledger_balances WHERE msisdn = ? ORDER BY currency');
    this.upsert = db.prepare(
      `INSERT INTO ledger_balances (msisdn, currency, balance, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (msisdn, currency) DO UPDATE SET balance = balance + excluded.balance, updated_at = excluded.updated_at`,
    );
    this.take = db.prepare(
      'UPDATE ledger_balances SET balance = balance - ?, updated_at = ? WHERE msisdn = ? AND currency = ? AND balance >= ?',
    );
    this.add = db.prepare(
      'INSERT INTO ledger_entries (msisdn, amount, currency, kind, order_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.entries = db.prepare('SELECT * FROM ledger_entries WHERE msisdn = ? ORDER BY id DESC LIMIT ?');
    this.all = db.prepare('SELECT msisdn, currency, balance FROM ledger_balances ORDER BY msisdn, currency');
    this.byOrder = db.prepare('SELECT 1 FROM ledger_entries WHERE order_id = ?');
  }

  /** Adds `amount` minor units of `currency` to the subscriber's balance in that currency. */
  credit(msisdn: string, amount: number, opts: { currency: string; note?: string }): LedgerAccount {
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new DomainError('INVALID_ARGUMENT', 'amount must be a positive integer (minor units)');
    if (typeof opts?.currency !== 'string' || !/^[A-Z]{3}$/.test(opts.currency) || opts.currency === NO_CURRENCY) {
      throw new DomainError('INVALID_ARGUMENT', 'a credit needs the ISO 4217 currency of its amount');
    }
    this.db
      .transaction(() => {
        const now = this.clock();
        this.upsert.run(msisdn, opts.currency, amount, now);
        this.add.run(msisdn, amount, opts.currency, 'credit', null, opts.note ?? null, now);
      })
      .immediate();
    return this.show(msisdn);
  }

  /** Debits `amount` of `currency` for `orderId` once: a second call for the same order reports the first debit. */
  debit(orderId: string, msisdn: string, amount: number, currency: string): DebitResult {
    return this.db
      .transaction((): DebitResult => {
        if (this.byOrder.get(orderId)) return { outcome: 'succeeded', replayed: true };
        const now = this.clock();
        if (this.take.run(amount, now, msisdn, currency, amount).changes === 1) {
          this.add.run(msisdn, -amount, currency, 'debit', orderId, null, now);
          return { outcome: 'succeeded', replayed: false };
        }
        const inCurrency = this.balance.get(msisdn, currency) as number | undefined;
        if (inCurrency === undefined && this.balances.all(msisdn).length > 0)
          return { outcome: 'declined', reason: 'CURRENCY_MISMATCH' };
        return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' };
      })
      .immediate();
  }

  /** Credits `amount` back for refund `refundId` of `orderId`, once: a second call for the same refund changes nothing. */
  refund(refundId: string, orderId: string, msisdn: string, amount: number, currency: string): { replayed: boolean } {
    return this.db
      .transaction(() => {
        if (this.byOrder.get(refundId)) return { replayed: true };
        const now = this.clock();
        this.upsert.run(msisdn, currency, amount, now);
        this.add.run(msisdn, amount, currency, 'refund', refundId, `refund of ${orderId}`, now);
        return { replayed: false };
      })
      .immediate();
  }

  show(msisdn: string, maxEntries = 100): LedgerAccount {
    const balances = Object.fromEntries(
      (this.balances.all(msisdn) as Array<{ currency: string; balance: number }>).map((b) => [b.currency, b.balance]),
    );
    const entries = (this.entries.all(msisdn, maxEntries) as EntryRow[]).map((e) => ({
      id: e.id,
      amount: e.amount,
      currency: e.currency,
      kind: e.kind,
      orderId: e.order_id,
      note: e.note,
      createdAt: new Date(e.created_at).toISOString(),
    }));
    return { msisdn, balances, entries };
  }

  accounts(): Array<{ msisdn: string; balances: Record<string, number> }> {
    const out = new Map<string, Record<string, number>>();
    for (const r of this.all.all() as Array<{ msisdn: string; currency: string; balance: number }>) {
      const b = out.get(r.msisdn) ?? {};
      b[r.currency] = r.balance;
      out.set(r.msisdn, b);
    }
    return [...out].map(([msisdn, balances]) => ({ msisdn, balances }));
  }
}
