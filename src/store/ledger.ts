// The embedded prepaid ledger: balances per MSISDN in the same database. A debit
// is keyed by the order id (UNIQUE), so charging an order twice debits once.
import type { DB } from './db';
import { DomainError } from './errors';
import type { Clock, OrderReason } from './types';

export interface LedgerEntry {
  id: number;
  amount: number;
  kind: 'credit' | 'debit';
  orderId: string | null;
  note: string | null;
  createdAt: string;
}

export interface LedgerAccount {
  msisdn: string;
  balance: number;
  currency?: string;
  entries: LedgerEntry[];
}

interface AccountRow {
  msisdn: string;
  balance: number;
  currency: string | null;
}

interface EntryRow {
  id: number;
  amount: number;
  kind: 'credit' | 'debit';
  order_id: string | null;
  note: string | null;
  created_at: number;
}

export type DebitResult = { outcome: 'succeeded'; replayed: boolean } | { outcome: 'declined'; reason: OrderReason };

export class Ledger {
  private readonly account;
  private readonly upsert;
  private readonly setCurrency;
  private readonly add;
  private readonly entries;
  private readonly all;
  private readonly byOrder;

  constructor(
    private readonly db: DB,
    private readonly clock: Clock,
  ) {
    this.account = db.prepare('SELECT msisdn, balance, currency FROM ledger_accounts WHERE msisdn = ?');
    this.upsert = db.prepare(
      `INSERT INTO ledger_accounts (msisdn, balance, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (msisdn) DO UPDATE SET balance = balance + excluded.balance, updated_at = excluded.updated_at`,
    );
    this.setCurrency = db.prepare('UPDATE ledger_accounts SET currency = ? WHERE msisdn = ?');
    this.add = db.prepare('INSERT INTO ledger_entries (msisdn, amount, kind, order_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.entries = db.prepare('SELECT * FROM ledger_entries WHERE msisdn = ? ORDER BY id DESC LIMIT ?');
    this.all = db.prepare('SELECT msisdn, balance, currency FROM ledger_accounts ORDER BY msisdn');
    this.byOrder = db.prepare('SELECT 1 FROM ledger_entries WHERE order_id = ?');
  }

  credit(msisdn: string, amount: number, opts: { currency?: string; note?: string } = {}): LedgerAccount {
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new DomainError('INVALID_ARGUMENT', 'amount must be a positive integer (minor units)');
    this.db
      .transaction(() => {
        const acc = this.account.get(msisdn) as AccountRow | undefined;
        if (opts.currency && acc?.currency && acc.currency !== opts.currency) {
          throw new DomainError('INVALID_ARGUMENT', `the account of ${msisdn} is in ${acc.currency}, not ${opts.currency}`);
        }
        const now = this.clock();
        this.upsert.run(msisdn, amount, now);
        if (opts.currency && !acc?.currency) this.setCurrency.run(opts.currency, msisdn);
        this.add.run(msisdn, amount, 'credit', null, opts.note ?? null, now);
      })
      .immediate();
    return this.show(msisdn);
  }

  /** Debits `amount` for `orderId` once: a second call for the same order reports the first debit. */
  debit(orderId: string, msisdn: string, amount: number, currency: string): DebitResult {
    return this.db
      .transaction((): DebitResult => {
        if (this.byOrder.get(orderId)) return { outcome: 'succeeded', replayed: true };
        const acc = this.account.get(msisdn) as AccountRow | undefined;
        if (acc?.currency && acc.currency !== currency) return { outcome: 'declined', reason: 'CURRENCY_MISMATCH' };
        if (!acc || acc.balance < amount) return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' };
        const now = this.clock();
        this.upsert.run(msisdn, -amount, now);
        this.add.run(msisdn, -amount, 'debit', orderId, null, now);
        return { outcome: 'succeeded', replayed: false };
      })
      .immediate();
  }

  show(msisdn: string, maxEntries = 100): LedgerAccount {
    const acc = this.account.get(msisdn) as AccountRow | undefined;
    const entries = (this.entries.all(msisdn, maxEntries) as EntryRow[]).map((e) => ({
      id: e.id,
      amount: e.amount,
      kind: e.kind,
      orderId: e.order_id,
      note: e.note,
      createdAt: new Date(e.created_at).toISOString(),
    }));
    return acc?.currency ? { msisdn, balance: acc.balance, currency: acc.currency, entries } : { msisdn, balance: acc?.balance ?? 0, entries };
  }

  accounts(): Array<{ msisdn: string; balance: number; currency?: string }> {
    return (this.all.all() as AccountRow[]).map((a) => (a.currency ? { msisdn: a.msisdn, balance: a.balance, currency: a.currency } : { msisdn: a.msisdn, balance: a.balance }));
  }
}
