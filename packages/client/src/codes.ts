// Written by `npm run docs` from src/client/codes.ts: edit that file.
// The one registry of API error codes (docs/api.md). Stable: add codes, never
// rename or reuse one. The body of every error is {status, code, message} with
// `status` equal to the HTTP status.
export const ERROR_CODES = {
  INVALID_ARGUMENT: {
    status: 400,
    description: 'The request is malformed: bad JSON, a schema violation, an unknown property, a bad value.',
  },
  UNAUTHENTICATED: { status: 401, description: 'No API key, an unknown key or a revoked key.' },
  PERMISSION_DENIED: { status: 403, description: 'The key is valid but not allowed to do this.' },
  TEST_KEY_REQUIRED: {
    status: 403,
    description:
      'A sandbox route (/v1/test/...) called with a live API key: only a test key (an SP added with gnpay sp add --test) may simulate.',
  },
  NOT_FOUND: {
    status: 404,
    description: "No such route, or no such order for this SP (another SP's order is NOT_FOUND too).",
  },
  CONFLICT: { status: 409, description: 'The Idempotency-Key was used before with another body.' },
  ORDER_NOT_CANCELLABLE: { status: 409, description: 'Only a pending order can be cancelled.' },
  ORDER_NOT_OPEN: {
    status: 409,
    description:
      'The sandbox cannot simulate this order any more: it is paid, declined, expired, cancelled, or its subscriber already confirmed.',
  },
  ORDER_NOT_REFUNDABLE: { status: 409, description: 'Only a paid (or partially refunded) order can be refunded.' },
  REFUND_EXCEEDS_REMAINING: {
    status: 422,
    description: 'The refund is more than what remains to refund of the order (refunds in progress count).',
  },
  REFUNDS_NOT_SUPPORTED: {
    status: 501,
    description: 'The payment platform gnpay is configured with takes no refunds (payments.http.refundUrl is not set).',
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not application/json.' },
  TOO_MANY_REQUESTS: {
    status: 429,
    description: 'Rate limit of this SP key exceeded; retry after Retry-After seconds.',
  },
  INTERNAL: { status: 500, description: 'An unexpected server error.' },
  UNAVAILABLE: { status: 503, description: 'The server is starting or shutting down; retry.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, x);
}
