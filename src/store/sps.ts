// Service providers and their API keys.
import type { DB } from './db';
import { newApiKey, newSpId, newWebhookSecret, safeEqual } from './ids';
import type { SecretBox } from './secrets';
import type { Clock, Scope, Sp } from './types';
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
    webhookUrl: r.webhook_url,
    keyHint: r.key_hint,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export class SpRepo {
  private readonly insert;
  private readonly byHash;
  private readonly byId;
  private readonly all;
  private readonly revokeStmt;

  constructor(
    db: DB,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      `INSERT INTO sps (id, name, webhook_url, key_hash, key_hint, webhook_secret, scopes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.byHash = db.prepare('SELECT * FROM sps WHERE key_hash = ?');
    this.byId = db.prepare('SELECT * FROM sps WHERE id = ?');
    this.all = db.prepare('SELECT * FROM sps ORDER BY created_at, id');
    this.revokeStmt = db.prepare('UPDATE sps SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  }

  add(input: { name: string; webhookUrl?: string | null; scopes?: Scope[] }): NewSp {
    const id = newSpId();
    const apiKey = newApiKey();
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
    );
    return { sp: this.get(id)!, apiKey, webhookSecret };
  }

  /** The active SP owning this key, or null (unknown or revoked). Looked up by hash: constant time in the key. */
  authenticate(apiKey: string): Sp | null {
    const hash = this.secrets.hashApiKey(apiKey);
    const row = this.byHash.get(hash) as SpRow | undefined;
    if (!row || !safeEqual(row.key_hash.toString('hex'), hash.toString('hex')) || row.revoked_at !== null) return null;
    return toSp(row);
  }

  get(id: string): Sp | null {
    const row = this.byId.get(id) as SpRow | undefined;
    return row ? toSp(row) : null;
  }

  list(): Sp[] {
    return (this.all.all() as SpRow[]).map(toSp);
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
}
