// Signatures of webhooks (gnpay -> SP) and of payment requests (gnpay ->
// payment platform): HMAC-SHA256 over `${timestamp}.${rawBody}`, sent as
//   Gnpay-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]
// (several v1 values while a secret is being rotated). Dependency-free.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'gnpay-signature';
export const EVENT_ID_HEADER = 'gnpay-event-id';

export function computeSignature(secret: string, timestamp: number, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(rawBody);
  return mac.digest('hex');
}

/** `t=<timestamp>,v1=<hex>`: one v1 per secret (the current and, while rotating, the previous one). */
export function signatureHeader(
  secret: string | readonly string[],
  timestamp: number,
  rawBody: string | Uint8Array,
): string {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, rawBody)}`)].join(',');
}

export interface ParsedSignature {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=...,v1=...`; null when it is not in that form. */
export function parseSignatureHeader(value: string): ParsedSignature | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') {
      if (!/^[0-9]{1,12}$/.test(v)) return null;
      timestamp = Number(v);
    } else if (k === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(v)) return null;
      signatures.push(v);
    }
    // other schemes are ignored (forward compatible)
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/** Constant-time check that one of `signatures` is the HMAC of the payload. */
export function signatureMatches(secret: string, parsed: ParsedSignature, rawBody: string | Uint8Array): boolean {
  const expected = Buffer.from(computeSignature(secret, parsed.timestamp, rawBody), 'hex');
  let ok = false;
  for (const s of parsed.signatures) {
    // every candidate is compared (no early exit on the secret-dependent path)
    if (timingSafeEqual(expected, Buffer.from(s, 'hex'))) ok = true;
  }
  return ok;
}
