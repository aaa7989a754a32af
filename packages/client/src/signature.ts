// Webhook signatures with Web Crypto (any runtime): HMAC-SHA256 over
// `${timestamp}.${rawBody}`, sent as
//   Gnpay-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]
// (several v1 values while a secret is being rotated).

export const SIGNATURE_HEADER = 'gnpay-signature';
export const EVENT_ID_HEADER = 'gnpay-event-id';

interface Subtle {
  importKey(
    format: 'raw',
    key: Uint8Array,
    alg: { name: 'HMAC'; hash: 'SHA-256' },
    extractable: false,
    usages: ['sign'],
  ): Promise<unknown>;
  sign(alg: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

/** Web Crypto's SubtleCrypto: global in Node 19+, Deno, Bun and browsers; Node 18's `webcrypto` otherwise. */
async function subtle(): Promise<Subtle> {
  const c = (globalThis as { crypto?: { subtle?: Subtle } }).crypto;
  if (c?.subtle) return c.subtle;
  const nodeCrypto = 'node:crypto';
  const m = (await import(/* @vite-ignore */ nodeCrypto)) as { webcrypto: { subtle: Subtle } };
  return m.webcrypto.subtle;
}

const encoder = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

/** hex HMAC-SHA256 of `${timestamp}.${rawBody}` with `secret`. */
export async function computeSignature(
  secret: string,
  timestamp: number,
  rawBody: string | Uint8Array,
): Promise<string> {
  const s = await subtle();
  const key = await s.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  return hex(await s.sign('HMAC', key, concat(encoder.encode(`${timestamp}.`), body)));
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

/** Equal strings of the same length, compared without an early exit. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/** Whether one of the header's signatures is the HMAC of the payload (every candidate compared). */
export async function signatureMatches(
  secret: string,
  parsed: ParsedSignature,
  rawBody: string | Uint8Array,
): Promise<boolean> {
  const expected = await computeSignature(secret, parsed.timestamp, rawBody);
  let ok = false;
  for (const s of parsed.signatures) if (sameHex(expected, s)) ok = true;
  return ok;
}
