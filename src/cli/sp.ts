// gnpay sp add|list|update|rotate|revoke: service providers and their API keys.
import type { Command } from 'commander';
import { SCOPES, type Confirmation, type Scope, type Sp } from '../store/types';
import type { Config } from '../config';
import { webhookUrlProblem } from '../webhooks/check';
import { DestinationPolicy, redactUrl } from '../webhooks/destination';
import { collect, UsageError } from './common';
import { addDbOptions, print, withStore } from './run';

function spJson(sp: Sp) {
  return {
    id: sp.id,
    name: sp.name,
    webhookUrl: sp.webhookUrl === null ? null : redactUrl(sp.webhookUrl),
    scopes: sp.scopes,
    confirmation: sp.confirmation,
    returnOrigins: sp.returnOrigins,
    keyHint: sp.keyHint,
    test: sp.test,
    createdAt: new Date(sp.createdAt).toISOString(),
    revokedAt: sp.revokedAt === null ? null : new Date(sp.revokedAt).toISOString(),
  };
}

/**
 * The webhook URL an operator sets, under the rule PUT /v1/webhook applies: an
 * http(s) URL whose host, when a literal address, the destination policy of
 * the configuration allows (webhooks.allowDestinations). A usage error (exit 2)
 * otherwise.
 */
function checkWebhook(url: string | undefined, config: Config): string | null {
  if (url === undefined) return null;
  const problem = webhookUrlProblem(url, new DestinationPolicy(config.webhooks.allowDestinations));
  if (problem === 'must be an http(s) URL') throw new UsageError(`--webhook must be an http(s) URL, got "${url}"`);
  if (problem)
    throw new UsageError(
      `--webhook "${redactUrl(url)}" is refused: ${problem}; allow a range in webhooks.allowDestinations (--config) if it is meant`,
    );
  return url;
}

function checkConfirmation(c: string | undefined): Confirmation | undefined {
  if (c === undefined) return undefined;
  if (c !== 'page' && c !== 'none') throw new UsageError(`--confirmation must be "page" or "none", got "${c}"`);
  return c;
}

const CONFIRMATION_HELP =
  'how orders are confirmed: "page" (default: the subscriber confirms on the pay page) or "none" (one-step: a sighting of the token charges; safe only when the SP proves consent itself)';

export function registerSp(program: Command): void {
  const sp = program.command('sp').description('service providers: API keys, webhooks, scopes');
  addDbOptions(
    sp
      .command('add')
      .description('add an SP; prints its id, API key and webhook secret (shown this once: only hashes are kept)')
      .requiredOption('--name <name>', 'a name for the SP')
      .option('--webhook <url>', 'where state changes are POSTed (signed CloudEvents)')
      .option('--scope <scope>', `grant a scope (repeatable): ${SCOPES.join(', ')}`, collect)
      .option('--confirmation <mode>', CONFIRMATION_HELP)
      .option(
        '--return-origin <origin>',
        "an origin (https://shop.example) orders' returnUrl may point to (repeatable)",
        collect,
      )
      .option(
        '--test',
        'a sandbox SP (key gnpk_test_…): its orders never reach a subscriber or the payment platform; POST /v1/test/orders/{id}/simulate plays the subscriber',
      ),
  ).action(
    (o: {
      name: string;
      webhook?: string;
      scope?: string[];
      confirmation?: string;
      returnOrigin?: string[];
      test?: boolean;
      db?: string;
      config?: string;
      json?: boolean;
    }) =>
      withStore(o, (store, config) => {
        for (const s of o.scope ?? [])
          if (!(SCOPES as readonly string[]).includes(s))
            throw new UsageError(`unknown scope "${s}" (scopes: ${SCOPES.join(', ')})`);
        if (!o.name.trim() || o.name.length > 200) throw new UsageError('--name must be 1 to 200 characters');
        const added = store.sps.add({
          name: o.name,
          webhookUrl: checkWebhook(o.webhook, config),
          scopes: (o.scope ?? []) as Scope[],
          confirmation: checkConfirmation(o.confirmation),
          returnOrigins: o.returnOrigin,
          test: o.test === true,
        });
        const out = {
          id: added.sp.id,
          name: added.sp.name,
          apiKey: added.apiKey,
          webhookSecret: added.webhookSecret,
          scopes: added.sp.scopes,
          confirmation: added.sp.confirmation,
          returnOrigins: added.sp.returnOrigins,
          test: added.sp.test,
        };
        print(o.json, out, () =>
          [
            `id              ${out.id}`,
            `name            ${out.name}`,
            `api key         ${out.apiKey}`,
            `webhook secret  ${out.webhookSecret}`,
            `scopes          ${out.scopes.join(', ') || '(none)'}`,
            `confirmation    ${out.confirmation}${out.confirmation === 'none' ? ' (one-step: a sighting charges; safe only when the SP proves consent itself)' : ''}`,
            `return origins  ${out.returnOrigins.join(', ') || '(none)'}`,
            ...(out.test
              ? [
                  'sandbox         yes: orders never reach a subscriber or the payment platform (POST /v1/test/orders/{id}/simulate)',
                ]
              : []),
            '',
            'The API key and the webhook secret are shown only this once.',
          ].join('\n'),
        );
      }),
  );
  addDbOptions(sp.command('list').description('list the SPs (never their keys)')).action(
    (o: { db?: string; config?: string; json?: boolean }) =>
      withStore(o, (store) => {
        const all = store.sps.list().map(spJson);
        print(o.json, all, () =>
          all.length === 0
            ? '(no SPs)'
            : all
                .map(
                  (s) =>
                    `${s.id}  ${s.revokedAt ? 'revoked' : s.test ? 'test   ' : 'active '}  ${s.keyHint}  ${s.name}  ${s.webhookUrl ?? '-'}  ${s.scopes.join(',')}  confirmation:${s.confirmation}  ${s.returnOrigins.join(',')}`,
                )
                .join('\n'),
        );
      }),
  );
  addDbOptions(
    sp
      .command('rotate')
      .description(
        'new API key and/or webhook secret for an SP (shown this once); the previous ones keep working for the overlap',
      )
      .argument('<id>', 'the SP id')
      .option('--key', 'rotate the API key')
      .option(
        '--webhook-secret',
        'rotate the webhook secret (webhooks carry a signature with each secret during the overlap)',
      )
      .option('--overlap-hours <hours>', 'how long the previous key / secret keep working (0: they stop now)', '24'),
  ).action(
    (
      id: string,
      o: { key?: boolean; webhookSecret?: boolean; overlapHours: string; db?: string; config?: string; json?: boolean },
    ) =>
      withStore(o, (store) => {
        if (!/^[0-9]{1,4}(\.[0-9]+)?$/.test(o.overlapHours) || Number(o.overlapHours) > 8760) {
          throw new UsageError(`--overlap-hours must be a number of hours from 0 to 8760, got "${o.overlapHours}"`);
        }
        const both = !o.key && !o.webhookSecret;
        const r = store.sps.rotate(
          id,
          { apiKey: both || !!o.key, webhookSecret: both || !!o.webhookSecret },
          Math.round(Number(o.overlapHours) * 3600),
        );
        const out = {
          id: r.sp.id,
          name: r.sp.name,
          ...(r.apiKey !== undefined ? { apiKey: r.apiKey } : {}),
          ...(r.webhookSecret !== undefined ? { webhookSecret: r.webhookSecret } : {}),
          previousValidUntil: new Date(r.previousValidUntil).toISOString(),
        };
        print(o.json, out, () =>
          [
            `id              ${out.id}`,
            `name            ${out.name}`,
            ...(out.apiKey !== undefined ? [`api key         ${out.apiKey}`] : []),
            ...(out.webhookSecret !== undefined ? [`webhook secret  ${out.webhookSecret}`] : []),
            `previous valid  until ${out.previousValidUntil}`,
            '',
            'The new values are shown only this once.',
          ].join('\n'),
        );
      }),
  );
  addDbOptions(
    sp
      .command('configure')
      .description("change an SP's confirmation mode and/or the origins its orders' returnUrl may point to")
      .argument('<id>', 'the SP id')
      .option('--confirmation <mode>', CONFIRMATION_HELP)
      .option('--return-origin <origin>', 'an allowed origin (repeatable; replaces the list)', collect)
      .option('--no-return-origins', 'allow no returnUrl at all'),
  ).action(
    (
      id: string,
      o: {
        confirmation?: string;
        returnOrigin?: string[];
        returnOrigins?: boolean;
        db?: string;
        config?: string;
        json?: boolean;
      },
    ) =>
      withStore(o, (store) => {
        const origins = o.returnOrigins === false ? [] : o.returnOrigin;
        const s = spJson(
          store.sps.configure(id, { confirmation: checkConfirmation(o.confirmation), returnOrigins: origins }),
        );
        print(
          o.json,
          s,
          () =>
            `${s.id} (${s.name}): confirmation ${s.confirmation}, return origins ${s.returnOrigins.join(', ') || '(none)'}`,
        );
      }),
  );
  addDbOptions(
    sp
      .command('update')
      .description("change an SP's name, webhook URL or scopes (its API key and webhook secret stay)")
      .argument('<id>', 'the SP id')
      .option('--name <name>', 'a new name')
      .option('--webhook <url>', 'a new webhook URL (the pending deliveries go there)')
      .option('--no-webhook', 'no webhooks any more (the SP polls the event feed)')
      .option('--scope <scope>', `the scopes, replacing the current ones (repeatable): ${SCOPES.join(', ')}`, collect)
      .option('--no-scopes', 'remove every scope'),
  ).action(
    (
      id: string,
      o: {
        name?: string;
        webhook?: string | false;
        scope?: string[];
        scopes?: boolean;
        db?: string;
        config?: string;
        json?: boolean;
      },
    ) =>
      withStore(o, (store, config) => {
        const change: { name?: string; webhookUrl?: string | null; scopes?: Scope[] } = {};
        if (o.name !== undefined) {
          if (!o.name.trim() || o.name.length > 200) throw new UsageError('--name must be 1 to 200 characters');
          change.name = o.name;
        }
        if (o.webhook === false) change.webhookUrl = null;
        else if (o.webhook !== undefined) change.webhookUrl = checkWebhook(o.webhook, config);
        if (o.scopes === false) change.scopes = [];
        if (o.scope !== undefined) {
          for (const s of o.scope)
            if (!(SCOPES as readonly string[]).includes(s))
              throw new UsageError(`unknown scope "${s}" (scopes: ${SCOPES.join(', ')})`);
          change.scopes = o.scope as Scope[];
        }
        if (Object.keys(change).length === 0)
          throw new UsageError('nothing to change: give --name, --webhook, --no-webhook, --scope or --no-scopes');
        const s = spJson(store.sps.update(id, change));
        print(
          o.json,
          s,
          () => `updated ${s.id}: ${s.name}  ${s.webhookUrl ?? '(no webhook)'}  ${s.scopes.join(',') || '(no scopes)'}`,
        );
      }),
  );
  addDbOptions(
    sp
      .command('revoke')
      .description("revoke an SP's API key (immediately; its webhooks stop)")
      .argument('<id>', 'the SP id'),
  ).action((id: string, o: { db?: string; config?: string; json?: boolean }) =>
    withStore(o, (store) => {
      const s = spJson(store.sps.revoke(id));
      print(o.json, s, () => `revoked ${s.id} (${s.name})`);
    }),
  );
}
