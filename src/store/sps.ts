// Service providers and their API keys.
import type { DB } from './db';
import { newApiKey, newSpId, newWebhookSecret, safeEqual } from './ids';
import type { SecretBox } from './secrets';
import type { Clock, Confirmation, Scope, Sp } from './types';
import { DomainError } from './errors';

interface SpRow {
  id: string;
  name: string;
  webhook_url: string | null;
  key_hash: Buffer;
  key_hint: string;
  webhook_secret: string;
  scopes: string;
  created_at: number;
  revoked_at: number | null;
  prev_key_hash: Buffer | null;
  prev_key_until: number | null;
  prev_webhook_secret: string | null;
  prev_webhook_secret_until: number | null;
  confirmation: Confirmation;
  return_origins: string;
  test: number;
}

/** "https://shop.example" from a URL or origin; throws on anything that is not an http(s) origin. */
export function normalizeOrigin(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `"${s}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new DomainError('INVALID_ARGUMENT', `"${s}" is not an http(s) origin`);
  if (u.username || u.password) throw new DomainError('INVALID_ARGUMENT', `"${s}" has credentials`);
  return u.origin;
}

export interface RotatedSp {
  sp: Sp;
  /** the new API key (shown once), when it was rotated */
  apiKey?: string;
  /** the new webhook secret (shown once), when it was rotated */
  webhookSecret?: string;
  /** until when the previous key / secret still work (ms since the epoch) */
  previousValidUntil: number;
}

export interface NewSp {
  sp: Sp;
  /** shown once; only its hash is stored */
  apiKey: string;
  /** shown once; stored as the secrets config says */
  webhookSecret: string;
}

function toSp(r: SpRow): Sp {
  return {
    id: r.id,
    name: r.name,
    confirmation: r.confirmation,
    returnOrigins: JSON.parse(r.return_origins) as string[],
    webhookUrl: r.webhook_url,
    keyHint: r.key_hint,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    test: r.test === 1,
  };
}

export class SpRepo {
  private readonly insert;
  private readonly byHash;
  private readonly byId;
  private readonly all;
  private readonly revokeStmt;
  private readonly byPrevHash;
  private readonly rotateKeyStmt;
  private readonly rotateSecretStmt;
  private readonly setConfirmation;
  private readonly setOrigins;

  constructor(
    private readonly db: DB,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO sps (id, name, webhook_url, key_hash, key_hint, webhook_secret, scopes, created_at, confirmation, return_origins, test)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byHash = db.prepare('SELECT * FROM sps WHERE key_hash = ?');
    this.byId = db.prepare('SELECT * FROM sps WHERE id = ?');
    this.all = db.prepare('SELECT * FROM sps ORDER BY created_at, id');
    this.revokeStmt = db.prepare('UPDATE sps SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.byPrevHash = db.prepare('SELECT * FROM sps WHERE prev_key_hash = ?');
    this.rotateKeyStmt = db.prepare(
      'UPDATE sps SET prev_key_hash = CASE WHEN ? > 0 THEN key_hash END, prev_key_until = CASE WHEN ? > 0 THEN ? END, key_hash = ?, key_hint = ? WHERE id = ?',
    );
    this.setConfirmation = db.prepare('UPDATE sps SET confirmation = ? WHERE id = ?');
    this.setOrigins = db.prepare('UPDATE sps SET return_origins = ? WHERE id = ?');
    this.rotateSecretStmt = db.prepare(
      'UPDATE sps SET prev_webhook_secret = CASE WHEN ? > 0 THEN webhook_secret END, prev_webhook_secret_until = CASE WHEN ? > 0 THEN ? END, webhook_secret = ? WHERE id = ?',
    );
  }

  add(input: {
    name: string;
    webhookUrl?: string | null;
    scopes?: Scope[];
    confirmation?: Confirmation;
    returnOrigins?: string[];
    test?: boolean;
  }): NewSp {
    const origins = [...new Set((input.returnOrigins ?? []).map(normalizeOrigin))];
    const id = newSpId();
    const apiKey = newApiKey(input.test === true);
    const webhookSecret = newWebhookSecret();
    const scopes = [...new Set(input.scopes ?? [])].sort();
    const now = this.clock();
    this.insert.run(
      id,
      input.name,
      input.webhookUrl ?? null,
      this.secrets.hashApiKey(apiKey),
      `${apiKey.slice(0, 9)}…`,
      this.secrets.seal(webhookSecret),
      JSON.stringify(scopes),
      now,
      input.confirmation ?? 'page',
      JSON.stringify(origins),
      input.test ? 1 : 0,
    );
    return { sp: this.get(id)!, apiKey, webhookSecret };
  }

  /**
   * The active SP owning this key, or null (unknown or revoked). Looked up by
   * hash: constant time in the key. A key replaced by `rotate` keeps working
   * until the end of its overlap.
   */
  authenticate(apiKey: string): Sp | null {
    const hash = this.secrets.hashApiKey(apiKey);
    const row = this.byHash.get(hash) as SpRow | undefined;
    if (row)
      return safeEqual(row.key_hash.toString('hex'), hash.toString('hex')) && row.revoked_at === null
        ? toSp(row)
        : null;
    const prev = this.byPrevHash.get(hash) as SpRow | undefined;
    if (!prev || !prev.prev_key_hash || !safeEqual(prev.prev_key_hash.toString('hex'), hash.toString('hex')))
      return null;
    if (prev.revoked_at !== null || prev.prev_key_until === null || prev.prev_key_until <= this.clock()) return null;
    return toSp(prev);
  }

  /**
   * New API key and/or webhook secret for an active SP. The previous ones keep
   * working for `overlapSeconds` (0: they stop at once), so the SP can deploy
   * the new values without a gap: the old key authenticates, and webhooks are
   * signed with both secrets (two v1 signatures).
   */
  rotate(id: string, what: { apiKey: boolean; webhookSecret: boolean }, overlapSeconds: number): RotatedSp {
    const row = this.byId.get(id) as SpRow | undefined;
    if (!row || row.revoked_at !== null) throw new DomainError('NOT_FOUND', `no active SP ${id}`);
    const until = this.clock() + overlapSeconds * 1000;
    const out: Omit<RotatedSp, 'sp'> = { previousValidUntil: until };
    const overlap = overlapSeconds > 0 ? 1 : 0;
    if (what.apiKey) {
      out.apiKey = newApiKey(row.test === 1);
      this.rotateKeyStmt.run(
        overlap,
        overlap,
        until,
        this.secrets.hashApiKey(out.apiKey),
        `${out.apiKey.slice(0, 9)}…`,
        id,
      );
    }
    if (what.webhookSecret) {
      out.webhookSecret = newWebhookSecret();
      this.rotateSecretStmt.run(overlap, overlap, until, this.secrets.seal(out.webhookSecret), id);
    }
    return { sp: this.get(id)!, ...out };
  }

  /** Changes an SP's name, webhook URL (null: none) or scopes; its keys and secrets stay. */
  update(id: string, change: { name?: string; webhookUrl?: string | null; scopes?: Scope[] }): Sp {
    const row = this.byId.get(id) as SpRow | undefined;
    if (!row) throw new DomainError('NOT_FOUND', `no SP ${id}`);
    const name = change.name ?? row.name;
    const webhookUrl = change.webhookUrl === undefined ? row.webhook_url : change.webhookUrl;
    const scopes = change.scopes === undefined ? row.scopes : JSON.stringify([...new Set(change.scopes)].sort());
    this.db
      .prepare('UPDATE sps SET name = ?, webhook_url = ?, scopes = ? WHERE id = ?')
      .run(name, webhookUrl, scopes, id);
    return this.get(id)!;
  }

  get(id: string): Sp | null {
    const row = this.byId.get(id) as SpRow | undefined;
    return row ? toSp(row) : null;
  }

  list(): Sp[] {
    return (this.all.all() as SpRow[]).map(toSp);
  }

  /**
   * Sets how the SP's orders are confirmed and/or the origins its returnUrls
   * may use. 'none' (a sighting of the token charges) is safe only when the SP
   * proves the subscriber's consent itself.
   */
  configure(id: string, c: { confirmation?: Confirmation; returnOrigins?: string[] }): Sp {
    const sp = this.get(id);
    if (!sp) throw new DomainError('NOT_FOUND', `no SP ${id}`);
    if (c.confirmation !== undefined) {
      if (c.confirmation !== 'page' && c.confirmation !== 'none')
        throw new DomainError('INVALID_ARGUMENT', 'confirmation must be "page" or "none"');
      this.setConfirmation.run(c.confirmation, id);
    }
    if (c.returnOrigins !== undefined)
      this.setOrigins.run(JSON.stringify([...new Set(c.returnOrigins.map(normalizeOrigin))]), id);
    return this.get(id)!;
  }

  /** SPs whose orders a sighting alone confirms (logged at start). */
  oneStep(): Sp[] {
    return this.list().filter((s) => s.confirmation === 'none' && s.revokedAt === null);
  }

  revoke(id: string): Sp {
    const sp = this.get(id);
    if (!sp) throw new DomainError('NOT_FOUND', `no SP ${id}`);
    this.revokeStmt.run(this.clock(), id);
    return this.get(id)!;
  }

  webhookSecret(id: string): string {
    const row = this.byId.get(id) as SpRow | undefined;
    if (!row) throw new DomainError('NOT_FOUND', `no SP ${id}`);
    return this.secrets.open(row.webhook_secret);
  }

  /**
   * Encrypts the webhook secrets still stored `plain:` (databases of an older
   * gnpay, or written without a key) when a key is available; returns how many.
   */
  sealPlainSecrets(): number {
    if (!this.secrets.encrypts) return 0;
    const rows = this.db
      .prepare(
        `SELECT id, webhook_secret, prev_webhook_secret FROM sps WHERE webhook_secret LIKE 'plain:%' OR prev_webhook_secret LIKE 'plain:%'`,
      )
      .all() as Array<Pick<SpRow, 'id' | 'webhook_secret' | 'prev_webhook_secret'>>;
    const update = this.db.prepare('UPDATE sps SET webhook_secret = ?, prev_webhook_secret = ? WHERE id = ?');
    const reseal = (v: string | null) =>
      v !== null && v.startsWith('plain:') ? this.secrets.seal(this.secrets.open(v)) : v;
    this.db.transaction(() => {
      for (const r of rows) update.run(reseal(r.webhook_secret), reseal(r.prev_webhook_secret), r.id);
    })();
    return rows.length;
  }

  /** The secrets webhooks are signed with: the current one, and the previous one during a rotation's overlap. */
  webhookSecrets(id: string): string[] {
    const row = this.byId.get(id) as SpRow | undefined;
    if (!row) throw new DomainError('NOT_FOUND', `no SP ${id}`);
    const out = [this.secrets.open(row.webhook_secret)];
    if (
      row.prev_webhook_secret !== null &&
      row.prev_webhook_secret_until !== null &&
      row.prev_webhook_secret_until > this.clock()
    ) {
      out.push(this.secrets.open(row.prev_webhook_secret));
    }
    return out;
  }
}
