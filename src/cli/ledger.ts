// gnpay ledger credit|show: prepaid balances of the embedded payment driver.
import type { Command } from 'commander';
import { CURRENCIES } from '../api/currencies';
import { normalizeMsisdn } from '../store/associate';
import { NO_CURRENCY, type LedgerAccount } from '../store/ledger';
import { UsageError } from './common';
import { addDbOptions, print, withStore } from './run';

function msisdnArg(v: string): string {
  const d = normalizeMsisdn(v.trim());
  if (!/^[0-9]{5,15}$/.test(d))
    throw new UsageError(`--msisdn must be an international number (digits, optionally with "+"), got "${v}"`);
  return d;
}

function balancesText(b: Record<string, number>): string {
  const list = Object.entries(b).map(([c, n]) => `${n} ${c === NO_CURRENCY ? `${c} (no currency: never debited)` : c}`);
  return list.length ? list.join(', ') : '0';
}

function accountText(a: LedgerAccount): string {
  return [
    `msisdn   ${a.msisdn}`,
    `balance  ${balancesText(a.balances)} (minor units)`,
    ...a.entries.map(
      (e) =>
        `  ${e.createdAt}  ${e.kind.padEnd(6)}  ${String(e.amount).padStart(10)} ${e.currency}  ${e.orderId ?? e.note ?? ''}`,
    ),
  ].join('\n');
}

export function registerLedger(program: Command): void {
  const ledger = program
    .command('ledger')
    .description('prepaid balances per MSISDN (the embedded "ledger" payment driver)');
  addDbOptions(
    ledger
      .command('credit')
      .description(
        'add to a balance (a subscriber has one balance per currency; an order is paid only from its own currency)',
      )
      .requiredOption('--msisdn <number>', 'the subscriber, e.g. +491511234567')
      .requiredOption('--amount <minor units>', 'a positive integer')
      .requiredOption('--currency <ISO 4217>', 'the currency of the amount')
      .option('--note <text>', 'kept with the entry'),
  ).action(
    (o: {
      msisdn: string;
      amount: string;
      currency: string;
      note?: string;
      db?: string;
      config?: string;
      json?: boolean;
    }) =>
      withStore(o, (store) => {
        const msisdn = msisdnArg(o.msisdn);
        if (!/^[0-9]{1,15}$/.test(o.amount) || Number(o.amount) <= 0)
          throw new UsageError(`--amount must be a positive integer (minor units), got "${o.amount}"`);
        if (!CURRENCIES.includes(o.currency))
          throw new UsageError(`--currency must be an ISO 4217 code, got "${o.currency}"`);
        const acc = store.ledger.credit(msisdn, Number(o.amount), { currency: o.currency, note: o.note });
        print(o.json, acc, () => accountText(acc));
      }),
  );
  addDbOptions(
    ledger
      .command('show')
      .description('one account with its entries (newest first), or every balance')
      .option('--msisdn <number>', 'the subscriber'),
  ).action((o: { msisdn?: string; db?: string; config?: string; json?: boolean }) =>
    withStore(o, (store) => {
      if (o.msisdn !== undefined) {
        const acc = store.ledger.show(msisdnArg(o.msisdn));
        print(o.json, acc, () => accountText(acc));
        return;
      }
      const all = store.ledger.accounts();
      print(o.json, all, () =>
        all.length ? all.map((a) => `${a.msisdn}  ${balancesText(a.balances)}`).join('\n') : '(no accounts)',
      );
    }),
  );
}
