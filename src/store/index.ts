// The store: one SQLite database (WAL) behind typed repositories.
import { CamaraPayments } from '../camara/store';
import { NumberVerification } from '../camara/number-verification';
import { Associator, type AssociatorOptions } from './associate';
import { BindingStore } from './bindings';
import { Consent } from './consent';
import { CursorCodec } from './cursors';
import { openDatabase, type DB, type OpenOptions } from './db';
import { EventFeed } from './events';
import { Ledger } from './ledger';
import { OrderRepo } from './orders';
import { PaymentOutbox } from './payment-outbox';
import { RefundRepo } from './refunds';
import { keyFileOf, loadOrCreateKey, SecretBox, type SecretsOptions } from './secrets';
import { Sandbox } from './sandbox';
import { SpRepo } from './sps';
import { Transitions } from './transitions';
import type { Clock } from './types';
import { WebhookOutbox } from './webhook-outbox';

export interface StoreOptions extends OpenOptions {
  clock?: Clock;
  secrets?: SecretsOptions;
  /** per-tunnel rate and the cap of the sightings table */
  sightings?: AssociatorOptions;
  /** the cap of the TLS bindings table */
  maxBindings?: number;
}

export class Store {
  readonly transitions: Transitions;
  readonly sps: SpRepo;
  readonly orders: OrderRepo;
  readonly associator: Associator;
  readonly consent: Consent;
  readonly bindings: BindingStore;
  readonly payments: PaymentOutbox;
  readonly webhooks: WebhookOutbox;
  readonly events: EventFeed;
  readonly ledger: Ledger;
  readonly cursors: CursorCodec;
  readonly camara: CamaraPayments;
  readonly refunds: RefundRepo;
  readonly numberVerification: NumberVerification;
  readonly sandbox: Sandbox;
  /** seals webhook secrets and sink credentials at rest */
  readonly secrets: SecretBox;
  readonly clock: Clock;

  constructor(
    readonly db: DB,
    opts: StoreOptions = {},
  ) {
    const clock = opts.clock ?? Date.now;
    this.clock = clock;
    this.transitions = new Transitions(db);
    this.secrets = new SecretBox(opts.secrets);
    this.sps = new SpRepo(db, this.secrets, clock);
    this.orders = new OrderRepo(db, this.transitions, clock);
    this.consent = new Consent(db, this.orders, this.transitions, clock);
    this.bindings = new BindingStore(db, clock, { maxRows: opts.maxBindings });
    this.associator = new Associator(db, this.orders, this.transitions, this.sps, this.consent, opts.sightings);
    this.payments = new PaymentOutbox(db, this.transitions, clock);
    this.webhooks = new WebhookOutbox(db, clock);
    this.events = new EventFeed(db);
    this.ledger = new Ledger(db, clock);
    this.cursors = new CursorCodec(db);
    this.refunds = new RefundRepo(db, this.transitions, this.secrets, clock);
    this.numberVerification = new NumberVerification(db, this, clock);
    this.sandbox = new Sandbox(db, this.orders, this.consent, this.transitions, clock);
    this.camara = new CamaraPayments(db, this.orders, this.consent, this.transitions, this.secrets, clock);
  }

  /**
   * Opens the database file. Without secrets options, webhook secrets are
   * encrypted under the key beside the database (`<db>.key`, made at first
   * use), as the daemon does when no key is configured.
   */
  static open(file: string, opts: StoreOptions = {}): Store {
    const secrets =
      opts.secrets ?? (file === ':memory:' ? undefined : { webhookSecretKey: () => loadOrCreateKey(keyFileOf(file)) });
    return new Store(openDatabase(file, opts), { ...opts, secrets });
  }

  /**
   * Seals what is still stored `plain:` (webhook secrets, sink credentials of
   * CAMARA payments and refunds and of their pending notifications) when a
   * key is available; returns how many rows were sealed.
   */
  sealPlainSecrets(): { sps: number; sinkCredentials: number } {
    const sps = this.sps.sealPlainSecrets();
    if (!this.secrets.encrypts) return { sps, sinkCredentials: 0 };
    let sinkCredentials = 0;
    const reseal = (v: string) => this.secrets.seal(this.secrets.open(v));
    this.db.transaction(() => {
      for (const [table, key, column] of [
        ['camara_payments', 'order_id', 'sink_token'],
        ['refunds', 'id', 'sink_token'],
        ['sink_outbox', 'id', 'token'],
      ] as const) {
        const rows = this.db
          .prepare(`SELECT ${key} AS k, ${column} AS v FROM ${table} WHERE ${column} LIKE 'plain:%'`)
          .all() as Array<{ k: string | number; v: string }>;
        const update = this.db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
        for (const r of rows) update.run(reseal(r.v), r.k);
        sinkCredentials += rows.length;
      }
    })();
    return { sps, sinkCredentials };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export { DomainError } from './errors';
export { DatabaseLockedError, lockDatabase } from './lock';
export type * from './types';
