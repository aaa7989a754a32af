// Secrets at rest. API keys are stored only as a hash (HMAC-SHA256 with a pepper
// when configured, else SHA-256: keys are 200 random bits, so no slow hash is
// needed). Webhook secrets must be usable for signing, so they are stored
// encrypted with AES-256-GCM when a key is configured, else as plain text.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hmacSha256, sha256 } from './ids';

export interface SecretsOptions {
  /** pepper for API key hashes (changing it invalidates every key) */
  apiKeyPepper?: string;
  /** 32-byte key (64 hex characters or base64) encrypting webhook secrets */
  webhookSecretKey?: string;
}

export class SecretBox {
  private readonly key: Buffer | null;

  constructor(private readonly opts: SecretsOptions = {}) {
    this.key = opts.webhookSecretKey ? parseKey(opts.webhookSecretKey) : null;
  }

  hashApiKey(apiKey: string): Buffer {
    return this.opts.apiKeyPepper ? hmacSha256(this.opts.apiKeyPepper, apiKey) : sha256(apiKey);
  }

  seal(secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return `aes256gcm:${iv.toString('base64url')}:${c.getAuthTag().toString('base64url')}:${ct.toString('base64url')}`;
  }

  open(stored: string): string {
    if (stored.startsWith('plain:')) return stored.slice(6);
    const [scheme, iv, tag, ct] = stored.split(':');
    if (scheme !== 'aes256gcm' || ct === undefined) throw new Error('unknown webhook secret encoding');
    if (!this.key) throw new Error('config: secrets.webhookSecretKey is required to read encrypted webhook secrets');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  }
}

/** 64 hex characters or base64 of 32 bytes. */
export function parseKey(s: string): Buffer {
  const b = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (b.length !== 32) throw new Error('config: secrets.webhookSecretKey must be 32 bytes (64 hex characters or base64)');
  return b;
}
