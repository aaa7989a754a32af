// The `http` driver: a signed JSON POST to the operator's payment platform.
//   POST <url>  {idempotencyKey, msisdn: "+<digits>", amount, currency, reference, description}
//   Gnpay-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>   Idempotency-Key: <order id>
// 2xx {"status":"succeeded"} or {"status":"declined"} is final; 408, 429, 5xx,
// timeouts, resets and unreadable answers are retried (same key); other 4xx decline.
import { signatureHeader, SIGNATURE_HEADER } from '../client/signature';
import type { ChargeRequest, ChargeResult, PaymentDriver } from './types';

export interface HttpDriverOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  userAgent?: string;
  clock?: () => number;
}

export class HttpDriver implements PaymentDriver {
  readonly name = 'http';

  constructor(private readonly o: HttpDriverOptions) {}

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    const body = JSON.stringify({
      idempotencyKey: req.idempotencyKey,
      msisdn: `+${req.msisdn}`,
      amount: req.amount,
      currency: req.currency,
      reference: req.reference,
      description: req.description,
    });
    const t = Math.floor((this.o.clock ?? Date.now)() / 1000);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'idempotency-key': req.idempotencyKey,
          [SIGNATURE_HEADER]: signatureHeader(this.o.secret, t, body),
          'user-agent': this.o.userAgent ?? 'gnpay',
        },
      });
      text = await res.text();
    } catch (err) {
      return { outcome: 'retry', error: describeFetchError(err, this.o.timeoutMs) };
    }
    if (res.status >= 200 && res.status < 300) {
      let status: unknown;
      try {
        status = (JSON.parse(text) as { status?: unknown }).status;
      } catch {
        status = undefined;
      }
      if (status === 'succeeded') return { outcome: 'succeeded' };
      if (status === 'declined') return { outcome: 'declined', reason: 'PLATFORM_DECLINED', detail: text.slice(0, 200) };
      return { outcome: 'retry', error: `HTTP ${res.status} without a status of succeeded or declined` };
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      return { outcome: 'declined', reason: 'PLATFORM_REJECTED', detail: `HTTP ${res.status}` };
    }
    return { outcome: 'retry', error: `HTTP ${res.status}` };
  }
}

/** "timeout after 300 ms", "fetch failed: ECONNREFUSED", "fetch failed: other side closed" */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message}: ${cause}` : e.message;
}
