// A typed client of the SP API for Node 18+ (global fetch; no dependency).
import { randomUUID } from 'node:crypto';
import { isErrorCode, type ErrorCode } from './codes';
import type { CreateOrderInput, EventPage, Order, OrderEvent, OrderList, OrderStatus } from './types';

export interface ClientOptions {
  /** e.g. "https://gnpay.operator.example" */
  baseUrl: string;
  apiKey: string;
  /** retries of 429, 5xx and network failures (default 3) */
  maxRetries?: number;
  /** per attempt (default 10 000 ms) */
  timeoutMs?: number;
  /** backoff base when the server gives no Retry-After (default 250 ms) */
  retryBaseMs?: number;
  /** the longest wait between attempts, Retry-After included (default 30 000 ms) */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
  userAgent?: string;
}

/** The API answered with an error body {status, code, message}. */
export class GnpayApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'UNKNOWN',
    message: string,
    readonly correlator: string | null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'GnpayApiError';
  }
}

/** The API could not be reached (after the retries). */
export class GnpayNetworkError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'GnpayNetworkError';
  }
}

export interface ListOrdersParams {
  status?: OrderStatus;
  reference?: string;
  limit?: number;
  after?: string;
}

export interface EventsParams {
  /** resume after this cursor (the `cursor` of the last event you processed); default from the start */
  after?: string;
  limit?: number;
  /** keep polling when the feed is drained (default true); false ends at the end of the feed */
  follow?: boolean;
  /** wait between polls of a drained feed (default 1000 ms) */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(v: string | null, now = Date.now()): number | null {
  if (v === null) return null;
  if (/^[0-9]+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export class GnpayClient {
  private readonly base: string;
  private readonly f: typeof fetch;

  constructor(private readonly o: ClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.f = o.fetch ?? fetch;
  }

  /** Creates an order; an idempotency key is generated when none is given, so retries never create two. */
  createOrder(input: CreateOrderInput, opts: { idempotencyKey?: string } = {}): Promise<Order> {
    return this.request<Order>('POST', '/v1/orders', input, { 'idempotency-key': opts.idempotencyKey ?? randomUUID() });
  }

  getOrder(id: string): Promise<Order> {
    return this.request<Order>('GET', `/v1/orders/${encodeURIComponent(id)}`);
  }

  listOrders(p: ListOrdersParams = {}): Promise<OrderList> {
    return this.request<OrderList>('GET', `/v1/orders${query(p)}`);
  }

  /** Cancels a pending order (safe to retry: cancelling a cancelled order returns it). */
  cancelOrder(id: string): Promise<Order> {
    return this.request<Order>('POST', `/v1/orders/${encodeURIComponent(id)}/cancel`);
  }

  /** One page of the event feed. */
  eventsPage(p: { after?: string; limit?: number } = {}): Promise<EventPage> {
    return this.request<EventPage>('GET', `/v1/events${query(p)}`);
  }

  /**
   * The event feed as an async iterator: every state change of your orders in
   * order, polling when drained. Store `event.cursor` after handling an event
   * and pass it as `after` to resume there.
   */
  async *events(p: EventsParams = {}): AsyncGenerator<OrderEvent, void, undefined> {
    let after = p.after ?? '0';
    for (;;) {
      if (p.signal?.aborted) return;
      const page = await this.eventsPage({ after, limit: p.limit });
      for (const e of page.events) {
        yield e;
        after = e.cursor;
        if (p.signal?.aborted) return;
      }
      if (page.events.length === 0) {
        if (p.follow === false) return;
        await sleep(p.pollIntervalMs ?? 1000, p.signal);
      }
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const correlator = randomUUID();
    const maxRetries = this.o.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      let text: string;
      try {
        res = await this.f(`${this.base}${path}`, {
          method,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
          headers: {
            authorization: `Bearer ${this.o.apiKey}`,
            'x-correlator': correlator,
            accept: 'application/json',
            'user-agent': this.o.userAgent ?? 'gnpay-client',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        text = await res.text();
      } catch (err) {
        if (attempt >= maxRetries) throw new GnpayNetworkError(`${method} ${path}: ${(err as Error).message}`, err);
        await sleep(this.backoff(attempt, null));
        continue;
      }
      if (res.ok) return JSON.parse(text) as T;
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      if ((res.status === 429 || res.status >= 500) && attempt < maxRetries) {
        await sleep(this.backoff(attempt, retryAfter));
        continue;
      }
      let parsed: { code?: unknown; message?: unknown } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        /* not an API error body */
      }
      throw new GnpayApiError(
        res.status,
        isErrorCode(parsed.code) ? parsed.code : 'UNKNOWN',
        typeof parsed.message === 'string' ? parsed.message : `HTTP ${res.status}`,
        res.headers.get('x-correlator'),
        retryAfter,
      );
    }
    /* c8 ignore next */
  }

  private backoff(attempt: number, retryAfterSeconds: number | null): number {
    const max = this.o.maxRetryDelayMs ?? 30_000;
    if (retryAfterSeconds !== null) return Math.min(max, retryAfterSeconds * 1000);
    const cap = Math.min(max, (this.o.retryBaseMs ?? 250) * 2 ** attempt);
    return cap / 2 + Math.random() * (cap / 2);
  }
}

function query(p: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
