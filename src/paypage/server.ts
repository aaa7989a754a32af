// The pay page's listener: HTTPS at the pay host (plain HTTP only as a lab
// option), separate from the SP API. Each TLS connection is bound to a
// subscriber passively: the listener learns the connection's ClientHello
// random from Node's `keylog` event (the second field of the line: nothing
// else of it is used, and it is never logged) and looks it up in the store,
// where the probe put the random of every ClientHello to the pay host it saw
// inside a GTP tunnel, with the MSISDN the network says owns that tunnel.
//
//   GET  <payUrl>   bound: identifies the subscriber for the order (never
//                   charges) and shows merchant, description, amount, expiry,
//                   the masked number, Confirm and Cancel.
//                   unbound (Wi-Fi, a proxy, a device off the mobile network):
//                   a page saying to open the link on mobile data; nothing of
//                   the subscriber or the order is shown.
//   POST <payUrl>   Confirm / Cancel. Only on a bound connection whose MSISDN
//                   was shown this order's page, with the anti-CSRF token of
//                   that page (HMAC of order, MSISDN and the nonce in a
//                   SameSite=Strict cookie), from the page's own origin.
// No GET changes anything but the identification; nothing is loaded from
// another origin; the page works without JavaScript.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { capConnections, connectionCap, DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../api/listener-limits';
import type { Metrics } from '../metrics';
import type { Store } from '../store';
import type { Binding } from '../store/bindings';
import type { ConsentLimits } from '../store/consent';
import { isReserved } from '../store/orders';
import { AUTHORIZE_PATH } from '../camara/number-verification';
import { maskForPage } from '../store/views';
import type { OrderRow } from '../store/types';
import { confirmPage, CSRF_PLACEHOLDER, messagePage, pickLocale, reasonText, securityHeaders, sha256Hex } from './page';
import { tokenFromRequest } from './token';

export interface PayServerOptions {
  store: Store;
  /** the pay URL template (the token is taken from requests the way it is put in URLs) */
  payUrlTemplate: () => string;
  limits: () => ConsentLimits;
  /** PEM certificate (chain) and key; null: plain HTTP (lab only: nothing can be bound or confirmed) */
  tls: { cert: string | Buffer; key: string | Buffer } | null;
  /** how long a request waits for the probe's report of its connection */
  bindTimeoutMs: number;
  listenerLimits?: ListenerLimits;
  metrics?: Metrics;
  log?: Logger;
  /** a confirmation queued a charge (wake the payment worker) */
  onConfirmed?: () => void;
  /** how long a page waits for a confirmed order's charge to settle before showing "processing" */
  settleWaitMs?: number;
}

const NONCE_RE = /^[A-Za-z0-9_-]{22}$/;
const MAX_BODY = 2048;

type BindState = { binding: Binding | null; at: number };

export class PayServer {
  readonly server: Server;
  private readonly randoms = new WeakMap<Socket, string>();
  private readonly bound = new WeakMap<Socket, BindState>();
  private readonly cookieName: string;
  private readonly secure: boolean;
  url = '';

  constructor(private readonly o: PayServerOptions) {
    this.secure = o.tls !== null;
    this.cookieName = this.secure ? '__Host-gnpay_csrf' : 'gnpay_csrf';
    const limits = o.listenerLimits ?? DEFAULT_LISTENER_LIMITS;
    const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
    const common = {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      maxHeaderSize: 8192,
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: Error) => {
        o.log?.error({ err: { message: err.message } }, 'pay page failed');
        if (!res.headersSent)
          this.send(
            res,
            500,
            messagePage({ title: 'Something went wrong', message: 'Nothing was charged. Please try again.' }, 'en'),
            'error',
          );
        else res.destroy();
      });
    };
    if (o.tls) {
      // TLS 1.2+; Node offers no 0-RTT (early data) and no Encrypted Client Hello, as binding needs
      const s = https.createServer({ ...common, cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, handler);
      s.on('keylog', (line: Buffer, socket: TLSSocket) => {
        // "<LABEL> <client_random> <secret>": only the second field is kept
        const sp1 = line.indexOf(0x20);
        const sp2 = sp1 < 0 ? -1 : line.indexOf(0x20, sp1 + 1);
        if (sp2 - sp1 !== 65 || this.randoms.has(socket)) return;
        const random = line.toString('latin1', sp1 + 1, sp2).toLowerCase();
        if (/^[0-9a-f]{64}$/.test(random)) this.randoms.set(socket, random);
      });
      this.server = s;
    } else {
      this.server = http.createServer(common, handler);
    }
    this.server.setTimeout(limits.idleTimeoutMs);
    capConnections(this.server, { ...limits, maxConnections: connectionCap(limits) });
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as { address: string; port: number };
    const h = a.address.includes(':') ? `[${a.address}]` : a.address;
    this.url = `${this.secure ? 'https' : 'http'}://${h}:${a.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  /** The client random of a TLS socket (learned from keylog), or null. */
  randomOf(socket: Socket): string | null {
    return this.randoms.get(socket) ?? null;
  }

  private async bindingOf(req: IncomingMessage): Promise<Binding | null> {
    const socket = req.socket;
    const random = this.randoms.get(socket);
    if (!random) return null;
    const known = this.bound.get(socket);
    if (known?.binding) return known.binding;
    const t0 = performance.now();
    // the first request of a connection waits for the probe; later ones look once more
    const b = await this.o.store.bindings.lookup(random, known ? 0 : this.o.bindTimeoutMs);
    this.o.metrics?.payBindSeconds.observe({ outcome: b ? 'bound' : 'unbound' }, (performance.now() - t0) / 1000);
    this.bound.set(socket, { binding: b, at: Date.now() });
    return b;
  }

  private send(
    res: ServerResponse,
    status: number,
    html: string,
    page: string,
    extra: Record<string, string | string[]> = {},
  ): void {
    this.o.metrics?.payPages.inc({ page });
    res.writeHead(status, {
      ...securityHeaders(this.secure),
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(html)),
      ...extra,
    });
    res.end(html);
  }

  private redirect(res: ServerResponse, location: string, page: string): void {
    this.o.metrics?.payPages.inc({ page });
    res.writeHead(303, { ...securityHeaders(this.secure), Location: location, 'Content-Length': '0' });
    res.end();
  }

  private csrf(order: OrderRow, msisdn: string, nonce: string): string {
    return createHmac('sha256', this.o.store.consent.csrfKey())
      .update(`${order.id}|${msisdn}|${nonce}`)
      .digest('base64url');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const locale = pickLocale(req.headers['accept-language']);
    if (req.method !== 'GET' && req.method !== 'POST') {
      req.resume();
      return this.send(
        res,
        405,
        messagePage({ title: 'Not allowed', message: 'This page only shows payments.' }, locale),
        'rejected',
        { Allow: 'GET, POST' },
      );
    }
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === AUTHORIZE_PATH)
      return this.authorize(req, res, locale);
    const token = tokenFromRequest(this.o.payUrlTemplate(), req.headers.host ?? '', req.url ?? '/');
    const order = token ? this.o.store.orders.findByToken(token) : null;
    if (!order) {
      req.resume();
      return this.send(
        res,
        404,
        messagePage({ title: 'Payment not found', message: 'This payment link is not valid.' }, locale),
        'notfound',
      );
    }
    const binding = await this.bindingOf(req);
    if (!binding) {
      req.resume();
      return this.send(
        res,
        req.method === 'POST' ? 403 : 200,
        messagePage(
          {
            title: 'Open this link on mobile data',
            message:
              'Your phone number could not be recognised on this connection. Turn off Wi-Fi (and any VPN or proxy), then open the payment link again on your mobile data connection. Nothing was charged.',
          },
          locale,
        ),
        'unbound',
      );
    }
    if (req.method === 'POST') return this.post(req, res, order, binding, locale);
    return this.get(req, res, order, binding, locale);
  }

  private sp(order: OrderRow): { name: string } {
    return this.o.store.sps.get(order.sp_id) ?? { name: 'the merchant' };
  }

  private async get(
    req: IncomingMessage,
    res: ServerResponse,
    order: OrderRow,
    b: Binding,
    locale: string,
  ): Promise<void> {
    const sp = this.sp(order);
    const ua = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null;
    let o = this.o.store.orders.expireIfDue(order);
    // the subscriber who confirmed sees the outcome (waiting a little for the charge)
    if (o.msisdn === b.msisdn && o.confirmed_at !== null) {
      o = await this.settled(o);
      return this.outcome(res, o, sp.name, locale);
    }
    const open = o.status === 'pending' || (o.status === 'identified' && o.confirmed_at === null);
    if (!open) {
      return this.send(
        res,
        200,
        messagePage(
          {
            title: 'Payment not available',
            message: 'This payment is no longer available. Nothing was charged.',
            returnUrl: o.return_url,
            merchant: sp.name,
          },
          locale,
        ),
        'closed',
      );
    }
    const template = confirmPage(
      {
        merchant: sp.name,
        description: o.description,
        amount: o.amount,
        currency: o.currency,
        expiresAt: o.expires_at,
        maskedMsisdn: maskForPage(b.msisdn),
      },
      locale,
    );
    const digest = sha256Hex(template);
    this.o.store.consent.identify(o, { binding: b, userAgent: ua, pageDigest: digest });
    const existing = cookie(req.headers.cookie, this.cookieName);
    const nonce = existing && NONCE_RE.test(existing) ? existing : randomBytes(16).toString('base64url');
    const html = template.replace(CSRF_PLACEHOLDER, this.csrf(o, b.msisdn, nonce));
    const attrs = `Path=/; HttpOnly; SameSite=Strict${this.secure ? '; Secure' : ''}`;
    return this.send(res, 200, html, 'page', { 'Set-Cookie': `${this.cookieName}=${nonce}; ${attrs}` });
  }

  private async post(
    req: IncomingMessage,
    res: ServerResponse,
    order: OrderRow,
    b: Binding,
    locale: string,
  ): Promise<void> {
    const reject = (why: string) => {
      this.o.log?.warn({ orderId: order.id, why }, 'pay page: confirmation refused');
      return this.send(
        res,
        403,
        messagePage(
          {
            title: 'Not confirmed',
            message: 'This confirmation could not be accepted. Nothing was charged. Open the payment link again.',
          },
          locale,
        ),
        'rejected',
      );
    };
    // only the page itself may post: browsers say where a request comes from
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') {
      req.resume();
      return reject(`sec-fetch-site ${String(site)}`);
    }
    // the page sends no referrer, so browsers may say "Origin: null" for its own form; any real origin must be the page's
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      origin !== 'null' &&
      origin !== `${this.secure ? 'https' : 'http'}://${req.headers.host ?? ''}`
    ) {
      req.resume();
      return reject('origin');
    }
    const ctype = (String(req.headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase();
    if (ctype !== 'application/x-www-form-urlencoded') {
      req.resume();
      return reject('content-type');
    }
    const body = await readBody(req, MAX_BODY);
    if (body === null) return reject('body too large');
    const form = new URLSearchParams(body);
    const nonce = cookie(req.headers.cookie, this.cookieName);
    const given = form.get('csrf') ?? '';
    if (!nonce || !NONCE_RE.test(nonce) || !safeEq(given, this.csrf(order, b.msisdn, nonce))) return reject('csrf');
    const action = form.get('action');
    const sp = this.sp(order);
    if (action === 'cancel') {
      return this.send(
        res,
        200,
        messagePage(
          {
            title: 'Payment cancelled',
            message: 'You cancelled. Nothing was charged.',
            returnUrl: order.return_url,
            merchant: sp.name,
          },
          locale,
        ),
        'cancel',
      );
    }
    if (action !== 'confirm') return reject('action');
    const ua = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null;
    const r = this.o.store.consent.confirm(order, { binding: b, userAgent: ua }, this.o.limits());
    if (r.outcome === 'not-identified') return reject('not identified');
    if (r.outcome === 'confirmed') {
      this.o.log?.info({ orderId: order.id }, 'pay page: confirmed');
      this.o.onConfirmed?.();
    }
    if (r.outcome === 'not-open' && r.order.msisdn !== b.msisdn) {
      return this.send(
        res,
        409,
        messagePage(
          {
            title: 'Payment not available',
            message: 'This payment is no longer available. Nothing was charged.',
            returnUrl: order.return_url,
            merchant: sp.name,
          },
          locale,
        ),
        'closed',
      );
    }
    // POST-redirect-GET: the page of the order now shows the outcome to this subscriber
    return this.redirect(res, req.url ?? '/', 'confirm');
  }

  /**
   * Number Verification: the device opened the SP's authorization URL; this
   * connection's binding (if any) goes into a one-time code, and the device
   * is sent back to the SP's registered redirect_uri at once.
   */
  private async authorize(req: IncomingMessage, res: ServerResponse, locale: string): Promise<void> {
    req.resume();
    const q = new URL(req.url ?? '/', 'https://x').searchParams;
    const binding = await this.bindingOf(req);
    const r = this.o.store.numberVerification.authorize(
      {
        responseType: q.get('response_type'),
        clientId: q.get('client_id'),
        redirectUri: q.get('redirect_uri'),
        state: q.get('state'),
        scope: q.get('scope'),
        codeChallenge: q.get('code_challenge'),
        codeChallengeMethod: q.get('code_challenge_method'),
      },
      binding?.msisdn ?? null,
    );
    if (r.kind === 'error-page')
      return this.send(
        res,
        r.status,
        messagePage({ title: 'Cannot verify', message: r.message }, locale),
        'authorize-error',
      );
    this.o.log?.info({ bound: r.bound }, 'number verification: code issued');
    this.o.metrics?.payPages.inc({ page: r.bound ? 'authorize' : 'authorize-unbound' });
    res.writeHead(302, { ...securityHeaders(this.secure), Location: r.location, 'Content-Length': '0' });
    res.end();
  }

  /** Waits (bounded) for a confirmed order to reach a final state. */
  private async settled(o: OrderRow): Promise<OrderRow> {
    const deadline = Date.now() + (this.o.settleWaitMs ?? 3000);
    let cur = o;
    while (cur.status === 'identified' && !isReserved(cur) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      cur = this.o.store.orders.find(o.id) ?? cur;
    }
    return cur;
  }

  private outcome(res: ServerResponse, o: OrderRow, merchant: string, locale: string): void {
    const back = { returnUrl: o.return_url, merchant };
    if (isReserved(o)) {
      return this.send(
        res,
        200,
        messagePage(
          {
            title: 'Payment confirmed',
            message: `Thank you. ${merchant} completes the payment; you are charged only when it does.`,
            ...back,
          },
          locale,
        ),
        'reserved',
      );
    }
    if (o.status === 'paid')
      return this.send(
        res,
        200,
        messagePage({ title: 'Payment done', message: `Thank you. ${merchant} has been paid.`, ...back }, locale),
        'paid',
      );
    if (o.status === 'declined' || o.status === 'failed' || o.status === 'conflict') {
      return this.send(
        res,
        200,
        messagePage({ title: 'Payment declined', message: reasonText(o.reason), ...back }, locale),
        'declined',
      );
    }
    // still under way: the page reloads itself (no JavaScript needed)
    return this.send(
      res,
      200,
      messagePage(
        { title: 'Payment in progress', message: 'Your payment is being processed. This page updates by itself.' },
        locale,
      ),
      'processing',
      { Refresh: '2' },
    );
  }
}

function cookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

function safeEq(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const chunks: Buffer[] = [];
    let over = false;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('latin1')));
    req.on('error', reject);
  });
}
