// gnpay payments doubt|resolve: charges whose outcome is unknown.
import type { Command } from 'commander';
import { maskMsisdn } from '../store/views';
import { UsageError } from './common';
import { addDbOptions, print, withStore } from './run';

const iso = (ms: number) => new Date(ms).toISOString();

export function registerPayments(program: Command): void {
  const payments = program
    .command('payments')
    .description('charges whose outcome is unknown ("in doubt"): list them, settle them by hand');
  addDbOptions(
    payments
      .command('doubt')
      .description(
        'list the orders whose charge may or may not have happened; gnpay asks the platform again until it answers, never calls them failed',
      )
      .option('--limit <n>', 'at most this many (default 1000)'),
  ).action((o: { limit?: string; db?: string; config?: string; json?: boolean }) =>
    withStore(o, (store) => {
      if (o.limit !== undefined && !/^[1-9][0-9]{0,5}$/.test(o.limit))
        throw new UsageError('--limit must be a positive integer');
      const rows = store.payments.inDoubt(o.limit ? Number(o.limit) : 1000).map((p) => ({
        orderId: p.orderId,
        spId: p.spId,
        amount: p.amount,
        currency: p.currency,
        msisdn: p.msisdn === null ? null : maskMsisdn(p.msisdn),
        attempts: p.attempts,
        inDoubtSince: iso(p.doubtSince),
        why: p.doubtError,
        lastError: p.lastError,
        nextAttemptAt: iso(p.nextAttemptAt),
        attemptUnderWay: p.leased,
      }));
      print(o.json, rows, () =>
        rows.length === 0
          ? '(no payment in doubt)'
          : [
              ...rows.map(
                (r) =>
                  `${r.orderId}  ${String(r.amount).padStart(8)} ${r.currency}  ${r.msisdn ?? '-'}  in doubt since ${r.inDoubtSince}  ${r.attempts} attempts  ${r.why ?? ''}${r.lastError && r.lastError !== r.why ? ` / last: ${r.lastError}` : ''}`,
              ),
              '',
              `${rows.length} in doubt. gnpay keeps asking the platform; once it has told you the outcome: gnpay payments resolve ORDER --charged|--not-charged`,
            ].join('\n'),
      );
    }),
  );
  addDbOptions(
    payments
      .command('resolve')
      .description(
        'settle an order in doubt by hand, after the payment platform told you what happened to its idempotency key (the order id)',
      )
      .argument('<order>', 'the order id')
      .option('--charged', 'the platform charged it: the order becomes paid')
      .option(
        '--not-charged',
        'the platform holds no charge for it and will refuse the key: the order becomes failed (PAYMENT_FAILED)',
      )
      .option('--note <text>', 'kept with the payment (who checked, where)'),
  ).action(
    (
      id: string,
      o: { charged?: boolean; notCharged?: boolean; note?: string; db?: string; config?: string; json?: boolean },
    ) =>
      withStore(o, (store) => {
        if (!!o.charged === !!o.notCharged)
          throw new UsageError('say what the platform answered: --charged or --not-charged');
        const settled = store.payments.resolve(id, o.charged ? 'charged' : 'not-charged', o.note ?? '');
        print(
          o.json,
          { orderId: settled.id, status: settled.status, reason: settled.reason },
          () => `${settled.id} is ${settled.status}${settled.reason ? ` (${settled.reason})` : ''}`,
        );
      }),
  );
}
