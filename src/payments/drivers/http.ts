// The `http` driver: a signed JSON POST to the operator's payment platform.
//   POST <url>  {idempotencyKey, msisdn: "+<digits>", amount, currency, reference, description}
//   Gnpay-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>   Idempotency-Key: <order id>
// 2xx {"status":"succeeded"} or {"status":"declined"} is final; other 4xx
// (not 408, 429) decline, but a 409 (the key held by another request) only
// where no earlier request with the key may be under way (the worker's
// choice). What charged nothing for sure (the connection was refused, 408,
// 429) is retried; what may have charged (a timeout, a reset, a 5xx, an
// unreadable 2xx) is `unknown`: retried with the same key, never taken for a
// failure.
// The status call (payments.http.statusUrl, optional):
//   GET <statusUrl with {key}>   Idempotency-Key: <order id>
//   Gnpay-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<order id>")>
// 200 {"status":"succeeded"|"declined"}: that outcome; 404: no charge under the key.
// The refund call (payments.http.refundUrl; without it the platform takes no refunds):
//   POST <refundUrl>  {idempotencyKey: <refund id>, orderId, msisdn: "+<digits>", amount, currency, reason}
//   Gnpay-Signature as above, Idempotency-Key: <refund id>
// answered as a charge: 2xx {"status":"succeeded"} gave the money back, {"status":"declined"} or a 4xx
// refused it (a 409 only when no earlier request of the refund may be under way); a timeout, reset or
// 5xx is unknown and sent again with the same key.
import { signatureHeader, SIGNATURE_HEADER } from '../../client/signature';
import type { ChargeRequest, ChargeResult, PaymentDriver, RefundRequest, StatusResult } from '../types';
import { registerDriver, type DriverProblem } from './registry';

export interface HttpDriverOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** the status call, "{key}" standing for the idempotency key; null: the platform has none */
  statusUrl?: string | null;
  /** the refund call; null: the platform takes no refunds */
  refundUrl?: string | null;
  userAgent?: string;
  clock?: () => number;
}

/** Connection errors after which the request was certainly not sent. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export class HttpDriver implements PaymentDriver {
  readonly name = 'http';
  readonly status?: (req: ChargeRequest, signal?: AbortSignal) => Promise<StatusResult>;
  readonly refund?: (req: RefundRequest, signal?: AbortSignal) => Promise<ChargeResult>;

  constructor(private readonly o: HttpDriverOptions) {
    if (o.statusUrl) this.status = (req, signal) => this.askStatus(req, signal);
    if (o.refundUrl) {
      const url = o.refundUrl;
      this.refund = (req, signal) =>
        this.send(
          url,
          req.idempotencyKey,
          JSON.stringify({
            idempotencyKey: req.idempotencyKey,
            orderId: req.orderId,
            msisdn: `+${req.msisdn}`,
            amount: req.amount,
            currency: req.currency,
            reason: req.reason,
          }),
          signal,
        );
    }
  }

  private signal(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    return signal ? AbortSignal.any([timeout, signal]) : timeout;
  }

  private now(): number {
    return Math.floor((this.o.clock ?? Date.now)() / 1000);
  }

  async charge(req: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
    const body = JSON.stringify({
      idempotencyKey: req.idempotencyKey,
      msisdn: `+${req.msisdn}`,
      amount: req.amount,
      currency: req.currency,
      reference: req.reference,
      description: req.description,
    });
    return this.send(this.o.url, req.idempotencyKey, body, signal);
  }

  private async send(url: string, key: string, body: string, signal?: AbortSignal): Promise<ChargeResult> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: this.signal(signal),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          [SIGNATURE_HEADER]: signatureHeader(this.o.secret, this.now(), body),
          'user-agent': this.o.userAgent ?? 'gnpay',
        },
      });
    } catch (err) {
      const error = describeFetchError(err, this.o.timeoutMs, signal);
      return notSent(err) ? { outcome: 'retry', error } : { outcome: 'unknown', error };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      return {
        outcome: 'unknown',
        error: `HTTP ${res.status}, answer cut: ${describeFetchError(err, this.o.timeoutMs, signal)}`,
      };
    }
    if (res.status >= 200 && res.status < 300) {
      const status = statusOf(text);
      if (status === 'succeeded') return { outcome: 'succeeded' };
      if (status === 'declined')
        return { outcome: 'declined', reason: 'PLATFORM_DECLINED', detail: text.slice(0, 200) };
      return { outcome: 'unknown', error: `HTTP ${res.status} without a status of succeeded or declined` };
    }
    if (res.status === 408 || res.status === 429) return { outcome: 'retry', error: `HTTP ${res.status}` };
    // the key is held by another request (one still under way: the IETF draft "The Idempotency-Key HTTP
    // Header Field"); the worker decides whether an earlier request of its own can be that one
    if (res.status === 409)
      return { outcome: 'declined', reason: 'PLATFORM_REJECTED', detail: 'HTTP 409', keyHeld: true };
    if (res.status >= 400 && res.status < 500)
      return { outcome: 'declined', reason: 'PLATFORM_REJECTED', detail: `HTTP ${res.status}` };
    return { outcome: 'unknown', error: `HTTP ${res.status}` };
  }

  private async askStatus(req: ChargeRequest, signal?: AbortSignal): Promise<StatusResult> {
    const url = this.o.statusUrl!.replace('{key}', encodeURIComponent(req.idempotencyKey));
    try {
      const res = await fetch(url, {
        method: 'GET',
        redirect: 'manual',
        signal: this.signal(signal),
        headers: {
          'idempotency-key': req.idempotencyKey,
          [SIGNATURE_HEADER]: signatureHeader(this.o.secret, this.now(), req.idempotencyKey),
          'user-agent': this.o.userAgent ?? 'gnpay',
        },
      });
      const text = await res.text();
      if (res.status === 404) return { outcome: 'absent' };
      if (res.status === 200) {
        const status = statusOf(text);
        if (status === 'succeeded') return { outcome: 'succeeded' };
        if (status === 'declined')
          return { outcome: 'declined', reason: 'PLATFORM_DECLINED', detail: text.slice(0, 200) };
      }
      return { outcome: 'unknown', error: `status call: HTTP ${res.status}` };
    } catch (err) {
      return { outcome: 'unknown', error: `status call: ${describeFetchError(err, this.o.timeoutMs, signal)}` };
    }
  }
}

function statusOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { status?: unknown }).status;
  } catch {
    return undefined;
  }
}

function causeCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string; cause?: { code?: string } } };
  return e.cause?.code ?? e.cause?.cause?.code ?? e.code;
}

function notSent(err: unknown): boolean {
  const code = causeCode(err);
  return code !== undefined && NOT_SENT.has(code);
}

/** "timeout after 300 ms", "fetch failed: ECONNREFUSED", "fetch failed: other side closed", "aborted: shutting down" */
export function describeFetchError(err: unknown, timeoutMs: number, signal?: AbortSignal): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (signal?.aborted) return 'aborted: shutting down';
  if (e.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message}: ${cause}` : e.message;
}

registerDriver({
  name: 'http',
  description: "the operator's payment platform (payments.http)",
  create: ({ payments, readSecret, version }) =>
    new HttpDriver({
      url: payments.http.url!,
      secret: readSecret(payments.http.secret, payments.http.secretFile, 'payments.http.secret')!,
      timeoutMs: payments.http.timeoutMs,
      statusUrl: payments.http.statusUrl,
      refundUrl: payments.http.refundUrl,
      userAgent: `gnpay/${version}`,
    }),
  problems: ({ http }) => {
    const out: DriverProblem[] = [];
    if (http.url === null)
      out.push({ path: 'payments.http.url', message: 'payments.http.url is required when payments.driver is "http"' });
    if (http.secret === null && http.secretFile === null)
      out.push({
        path: 'payments.http.secret',
        message: 'payments.http.secret or payments.http.secretFile is required when payments.driver is "http"',
      });
    return out;
  },
});
