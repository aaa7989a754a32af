// Verifying gnpay's webhooks on the SP's side, with Web Crypto (any runtime).
//
//   const event = await verifyWebhook(rawBody, req.headers, process.env.GNPAY_WEBHOOK_SECRET);
//
// Checks the HMAC-SHA256 signature over `${t}.${rawBody}` (Gnpay-Signature:
// t=...,v1=...) in constant time and that t is within `toleranceSeconds` of
// now (default 300), so a captured webhook cannot be replayed later. Within
// the tolerance, deduplicate by `event.id` (deliveries are at-least-once).
import { ORDER_STATUSES, type OrderEvent } from './types.js';
import { parseSignatureHeader, SIGNATURE_HEADER, signatureMatches } from './signature.js';

export type WebhookErrorCode =
  'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'SIGNATURE_MISMATCH' | 'INVALID_PAYLOAD';

export class WebhookVerificationError extends Error {
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyOptions {
  /** how far the signature's timestamp may be from now, in seconds (default 300) */
  toleranceSeconds?: number;
  /** now, in milliseconds (for tests) */
  now?: number;
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: Headers, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const h = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : h[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Verifies a webhook and returns its event; throws WebhookVerificationError.
 * `rawBody` must be the bytes as received (not re-serialized JSON).
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: Headers,
  secret: string,
  opts: VerifyOptions = {},
): Promise<OrderEvent> {
  const value = header(headers, SIGNATURE_HEADER);
  if (!value) throw new WebhookVerificationError('MISSING_SIGNATURE', `no ${SIGNATURE_HEADER} header`);
  const parsed = parseSignatureHeader(value);
  if (!parsed)
    throw new WebhookVerificationError('MALFORMED_SIGNATURE', `${SIGNATURE_HEADER} is not t=<seconds>,v1=<hex>`);
  const tolerance = opts.toleranceSeconds ?? 300;
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (Math.abs(now - parsed.timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `signed ${now - parsed.timestamp} s ago, tolerance ${tolerance} s`,
    );
  }
  if (!(await signatureMatches(secret, parsed, rawBody)))
    throw new WebhookVerificationError('SIGNATURE_MISMATCH', 'the signature does not match the body');
  let event: OrderEvent;
  try {
    event = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)) as OrderEvent;
  } catch {
    throw new WebhookVerificationError('INVALID_PAYLOAD', 'the body is not JSON');
  }
  const statuses: readonly string[] = ORDER_STATUSES;
  if (
    !event ||
    event.specversion !== '1.0' ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    !statuses.includes(/^org\.gnpay\.order\.([a-z]+)$/.exec(event.type)?.[1] ?? '') ||
    typeof event.data !== 'object' ||
    event.data === null
  ) {
    throw new WebhookVerificationError('INVALID_PAYLOAD', 'the body is not a gnpay order event');
  }
  return event;
}
