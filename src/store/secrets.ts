// Secrets at rest. API keys are stored only as a hash (HMAC-SHA256 with a pepper
// when configured, else SHA-256: keys are 200 random bits, so no slow hash is
// needed). Webhook secrets must be usable for signing, so they are stored
// encrypted with AES-256-GCM under a 32-byte key: the configured one
// (secrets.webhookSecretKey or webhookSecretKeyFile), else one generated at
// first use and kept, readable by its owner only, beside the database
// (`<db>.key`). Secrets stored `plain:` (older databases, or a store opened
// without any key) still open, and the daemon re-encrypts them at start.
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hmacSha256, sha256 } from './ids';

export interface SecretsOptions {
  /** pepper for API key hashes (changing it invalidates every key) */
  apiKeyPepper?: string;
  /** 32-byte key (64 hex characters or base64) encrypting webhook secrets, or where to get it when first needed */
  webhookSecretKey?: string | (() => string | undefined);
}

export class SecretBox {
  private key: Buffer | null | undefined;

  constructor(private readonly opts: SecretsOptions = {}) {}

  /** The encryption key (resolved once, when first needed), or null when there is none. */
  private getKey(): Buffer | null {
    if (this.key === undefined) {
      const k =
        typeof this.opts.webhookSecretKey === 'function' ? this.opts.webhookSecretKey() : this.opts.webhookSecretKey;
      this.key = k ? parseKey(k) : null;
    }
    return this.key;
  }

  hashApiKey(apiKey: string): Buffer {
    return this.opts.apiKeyPepper ? hmacSha256(this.opts.apiKeyPepper, apiKey) : sha256(apiKey);
  }

  /** Whether seal() encrypts (a key is configured or could be made). */
  get encrypts(): boolean {
    return this.getKey() !== null;
  }

  seal(secret: string): string {
    const key = this.getKey();
    if (!key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return `aes256gcm:${iv.toString('base64url')}:${c.getAuthTag().toString('base64url')}:${ct.toString('base64url')}`;
  }

  open(stored: string): string {
    if (stored.startsWith('plain:')) return stored.slice(6);
    const [scheme, iv, tag, ct] = stored.split(':');
    if (scheme !== 'aes256gcm' || iv === undefined || tag === undefined || ct === undefined)
      throw new Error('unknown webhook secret encoding');
    const key = this.getKey();
    if (!key) throw new Error('config: secrets.webhookSecretKey is required to read encrypted webhook secrets');
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new Error(
        'a webhook secret cannot be decrypted with this key: secrets.webhookSecretKey (or the key file beside the database) is not the one it was sealed with',
      );
    }
  }
}

/** 64 hex characters or base64 of 32 bytes. */
export function parseKey(s: string): Buffer {
  const b = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (b.length !== 32)
    throw new Error('config: secrets.webhookSecretKey must be 32 bytes (64 hex characters or base64)');
  return b;
}

/** The key file of a database when none is configured. */
export function keyFileOf(dbFile: string): string {
  return `${dbFile}.key`;
}

/**
 * The key in `file`, made (32 random bytes, hex, mode 0600, never replaced)
 * when it does not exist. Throws when it can be neither read nor made.
 */
export function loadOrCreateKey(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read the webhook secret key ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const key = randomBytes(32).toString('hex');
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    // made meanwhile by another gnpay process: use that one
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw new Error(`cannot create the webhook secret key ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    writeSync(fd, `${key}\n`);
  } finally {
    closeSync(fd);
  }
  return key;
}

/**
 * Copies the key beside database `fromDb` (when there is one) beside `toDb`,
 * 0600: a backup of the database is of use only with the key its webhook
 * secrets are encrypted under. A key already at the destination is moved to
 * `<key>.replaced-<time>` first. Returns the key file written, or null.
 */
export function copyKeyBeside(fromDb: string, toDb: string, now = Date.now()): string | null {
  const src = keyFileOf(fromDb);
  const dst = keyFileOf(toDb);
  let key: string;
  try {
    key = readFileSync(src, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    if (readFileSync(dst, 'utf8') === key) return dst;
    renameSync(dst, `${dst}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fd = openSync(dst, 'wx', 0o600);
  try {
    writeSync(fd, key);
  } finally {
    closeSync(fd);
  }
  return dst;
}
