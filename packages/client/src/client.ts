// Written by `npm run docs` from src/client/client.ts: edit that file.
// A typed client of the SP API: any runtime with fetch and Web Crypto (Node
// 18+, Deno, Bun, browsers, edge runtimes); no dependency.
import { isErrorCode, type ErrorCode } from './codes.js';
import type { CreateOrderInput, EventPage, Order, OrderEvent, OrderList, OrderStatus, WebhookSettings } from './types.js';

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
  /** the x-correlator of each request (to find it in the operator's logs); default a random UUID per call */
  correlator?: () => string;
}

/** Per call: your own x-correlator for this request. */
export interface CallOptions {
  correlator?: string;
}

/** A random UUID from Web Crypto (global in Node 19+, Deno, Bun, browsers; Node 18's webcrypto otherwise). */
function randomUUID(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  // RFC 9562 version 4 and variant bits
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
  createOrder(input: CreateOrderInput, opts: { idempotencyKey?: string } & CallOptions = {}): Promise<Order> {
    return this.request<Order>(
      'POST',
      '/v1/orders',
      input,
      { 'idempotency-key': opts.idempotencyKey ?? randomUUID() },
      opts.correlator,
    );
  }

  getOrder(id: string, opts: CallOptions = {}): Promise<Order> {
    return this.request<Order>('GET', `/v1/orders/${encodeURIComponent(id)}`, undefined, {}, opts.correlator);
  }

  listOrders(p: ListOrdersParams = {}, opts: CallOptions = {}): Promise<OrderList> {
    return this.request<OrderList>('GET', `/v1/orders${query(p)}`, undefined, {}, opts.correlator);
  }

  /** Cancels a pending order (safe to retry: cancelling a cancelled order returns it). */
  cancelOrder(id: string, opts: CallOptions = {}): Promise<Order> {
    return this.request<Order>('POST', `/v1/orders/${encodeURIComponent(id)}/cancel`, undefined, {}, opts.correlator);
  }

  /**
   * Sets (or clears: null) your webhook URL; `rotateSecret` makes a new webhook
   * secret, returned this once (the previous one still signs for `overlapSeconds`, default 86400).
   */
  setWebhook(
    url: string | null,
    opts: { rotateSecret?: boolean; overlapSeconds?: number } & CallOptions = {},
  ): Promise<WebhookSettings> {
    const { correlator, ...rest } = opts;
    return this.request<WebhookSettings>('PUT', '/v1/webhook', { url, ...rest }, {}, correlator);
  }

  /**
   * Sandbox (a test key only): plays the subscriber of your order: `paid`,
   * `declined` or `expired`, with the same state changes, events and webhooks
   * as a real order. `msisdn`: the simulated subscriber (E.164).
   */
  simulateOrder(
    id: string,
    outcome: 'paid' | 'declined' | 'expired',
    opts: { msisdn?: string } & CallOptions = {},
  ): Promise<Order> {
    return this.request<Order>(
      'POST',
      `/v1/test/orders/${encodeURIComponent(id)}/simulate`,
      { outcome, ...(opts.msisdn !== undefined ? { msisdn: opts.msisdn } : {}) },
      {},
      opts.correlator,
    );
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

  private async request<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    given?: string,
  ): Promise<T> {
    const correlator = given ?? this.o.correlator?.() ?? randomUUID();
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
