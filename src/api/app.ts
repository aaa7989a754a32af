// The SP API on fastify, built apart from the server: buildApp(deps) for
// inject() in unit tests, app.listen() in the daemon.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { FastifyRouteSchemaDef, FastifyValidationResult } from 'fastify/types/schema';
import type { Logger } from 'pino';
import { createMetrics, type Metrics } from '../metrics';
import type { Store } from '../store';
import type { Sp } from '../store/types';
import { eventView, orderView, refundView } from '../store/views';
import { isStorageError } from '../store/db';
import { ApiError, toErrorBody } from './errors';
import { capConnections, DEFAULT_LISTENER_LIMITS, listenerOptions, type ListenerLimits } from './listener-limits';
import { buildOpenApi } from './openapi';
import { RateLimiter } from './ratelimit';
import { ROUTES } from './routes';
import { CORRELATOR_PATTERN, EmptyBody } from './schemas';
import { registerCamaraRoutes } from '../camara/routes';
import { registerRefundRoutes } from '../camara/refund-routes';
import { registerNumberVerificationRoutes } from '../camara/number-verification';
import { webhookUrlProblem } from '../webhooks/check';
import { DestinationPolicy } from '../webhooks/destination';
import { CamaraError } from '../camara/store';
import { DEFAULT_LIMITS, type ConsentLimits } from '../store/consent';
import type { CreateOrderInput } from '../store/orders';
import type { SimulatedOutcome } from '../store/sandbox';
import type { OrderStatus } from '../store/types';

/** Settings the API reads on every request (a config reload changes them). */
export interface ApiSettings {
  payUrlTemplate: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** order creations per minute per SP key; null = unlimited */
  ordersPerMinute: number | null;
}

export interface AppDeps {
  store: Store;
  /** compile every route's schemas when the routes are added, not on first use (tests) */
  eagerSchemas?: boolean;
  settings: () => ApiSettings;
  bodyLimitBytes?: number;
  metrics?: Metrics;
  logger?: Logger;
  /** whether the API serves requests: false while starting or draining */
  ready?: () => boolean;
  /** /readyz: whether the probe does its job (capture running, database open); default: ready() */
  readiness?: () => Readiness;
  clock?: () => number;
  version?: string;
  /** an order changed through the API (the webhook worker is woken) */
  onChange?: () => void;
  /** serve /metrics here too (default false: global counts are the operator's, not the SPs'; the operations listener serves them) */
  serveMetrics?: boolean;
  /** timeouts and connection cap of the listener (DEFAULT_LISTENER_LIMITS when absent) */
  limits?: ListenerLimits;
  /** a request failed because the database cannot be written (disk full, I/O errors) */
  onStorageError?: (err: Error) => void;
  /** per-MSISDN limits (CAMARA checks the per-payment limit before a payment is made); default DEFAULT_LIMITS */
  perMsisdnLimits?: () => ConsentLimits;
  /** the destination policy webhook URLs set through the API must pass (default: the built-in refusals) */
  webhookPolicy?: () => DestinationPolicy;
  /** whether the payment driver gives money back (default true: the ledger does) */
  refundsSupported?: () => boolean;
}

/** Dependencies of the operations listener. */
export interface OpsDeps {
  store: Store;
  metrics: Metrics;
  ready?: () => boolean;
  readiness?: () => Readiness;
  limits?: ListenerLimits;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

/** What /readyz reports: ready or not, why not, and the state of the capture. */
export interface Readiness {
  ready: boolean;
  reason: string | null;
  capture?: string;
}

/** /healthz, /readyz and /metrics: served by the SP API, or by the operations listener when there is one. */
function operationsHandlers(deps: OpsDeps): Record<'healthz' | 'readyz' | 'metrics', Handler> {
  return {
    healthz: () => ({ status: 'ok' }),
    readyz: (_req, reply) => {
      const r: Readiness = deps.readiness?.() ?? {
        ready: deps.ready?.() ?? true,
        reason: deps.ready?.() === false ? 'starting or stopping' : null,
      };
      const ok = r.ready && deps.store.db.open;
      reply.code(ok ? 200 : 503);
      if (ok) return { status: 'ok', ...(r.capture !== undefined ? { capture: r.capture } : {}) };
      return {
        status: 'unavailable',
        reason: r.ready ? 'database closed' : r.reason,
        ...(r.capture !== undefined ? { capture: r.capture } : {}),
      };
    },
    metrics: async (_req, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  };
}

function notFound(req: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).send({ status: 404, code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
}

/** The operations listener (opsListen): /metrics, /healthz and /readyz only, apart from the SP API. */
export function buildOpsApp(deps: OpsDeps): FastifyInstance {
  const limits = deps.limits ?? DEFAULT_LISTENER_LIMITS;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    return503OnClosing: false,
    // no route has a schema: nothing of Ajv or fast-json-stringify is loaded for it
    schemaController: {
      compilersFactory: { buildSerializer: serializerFactory(false), buildValidator: validatorFactory(false) },
    },
    ...listenerOptions(limits),
  });
  capConnections(app.server, limits, () => deps.metrics.connectionsDropped.inc({ listener: 'ops' }));
  const h = operationsHandlers(deps);
  app.addHook('onRequest', async (_req, reply) => void reply.header('cache-control', 'no-store'));
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ listener: 'ops', method: req.method, route, status: String(reply.statusCode) });
    deps.metrics.httpSeconds.observe({ listener: 'ops', method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.addHook('onSend', closeUnreadRequests);
  app.setNotFoundHandler(notFound);
  app.get('/healthz', h.healthz);
  app.get('/readyz', h.readyz);
  app.get('/metrics', h.metrics);
  for (const route of ['/healthz', '/readyz', '/metrics']) {
    deps.metrics.httpRequests.inc({ listener: 'ops', method: 'GET', route, status: '200' }, 0);
    deps.metrics.httpSeconds.zero({ listener: 'ops', method: 'GET', route });
  }
  return app;
}

declare module 'fastify' {
  interface FastifyRequest {
    sp: Sp | null;
    correlator: string;
  }
  interface FastifyContextConfig {
    auth?: boolean;
    operationId?: string;
  }
}

const CORRELATOR_RE = new RegExp(CORRELATOR_PATTERN);

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer[ ]+([\x21-\x7e]{1,200})$/i.exec(h);
  return m?.[1] ?? null;
}

/**
 * A response sent before its request's body was read (401, 413, 415, an early
 * error) closes the connection: the client is not left trickling a body that
 * nobody reads.
 */
async function closeUnreadRequests(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!req.raw.complete) reply.header('connection', 'close');
}

type SerializerFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']
>;
type RouteSerializer = ReturnType<ReturnType<SerializerFactory>>;

/**
 * fastify's own response serializer builder (fast-json-stringify), with each
 * route's serializer compiled on its first response: a daemon that replays a
 * capture and exits does not pay for the code generation of routes nobody
 * calls. `eager` compiles them as the routes are added (the tests: every
 * schema compiles).
 */
function serializerFactory(eager: boolean): SerializerFactory {
  // fastify's dependency, resolved from fastify itself, loaded (with fast-json-stringify and Ajv) on first use
  let build: SerializerFactory | undefined;
  const builder = (): SerializerFactory =>
    (build ??= (
      createRequire(require.resolve('fastify'))('@fastify/fast-json-stringify-compiler') as () => SerializerFactory
    )());
  return (externalSchemas, options) => {
    let compile: ReturnType<SerializerFactory> | undefined;
    const compiler = () => (compile ??= builder()(externalSchemas, options));
    return (route) => {
      if (eager) return compiler()(route);
      let s: RouteSerializer | undefined;
      return (data) => (s ??= compiler()(route))(data);
    };
  };
}

type ValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

let ajvs: { strict: import('ajv').default; lenient: import('ajv').default } | null = null;

/**
 * The two Ajv instances every route's validator comes from, made on first
 * use: strict for bodies (no coercion, nothing removed); lenient for query
 * strings and parameters, which are text coerced to the schema's types.
 */
function validators(): NonNullable<typeof ajvs> {
  if (ajvs) return ajvs;
  const { default: Ajv } = require('ajv') as typeof import('ajv');
  const formats = { 'date-time': true } as const;
  ajvs = {
    strict: new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, formats }),
    lenient: new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false, formats }),
  };
  return ajvs;
}

/**
 * The listeners' validator builder, given to fastify in place of its own
 * (@fastify/ajv-compiler, which loads Ajv as the server is made): each
 * route's validator is compiled on its first call, and Ajv is loaded only
 * then, so that a daemon that replays a capture and exits loads none of it.
 * `eager` compiles them as the routes are added (the tests: every schema
 * compiles).
 */
function validatorFactory(eager: boolean): ValidatorFactory {
  // fastify's type names Ajv's validate function; any function with `errors` is what it calls
  return (() =>
    ({ schema, httpPart }: FastifyRouteSchemaDef<unknown>) => {
      const compile = () =>
        (httpPart === 'body' ? validators().strict : validators().lenient).compile(schema as object);
      return eager ? compile() : lazyValidator(compile);
    }) as unknown as ValidatorFactory;
}

/** A validator compiled on its first call (see serializerFactory); fastify reads `errors` off the function it was given. */
function lazyValidator(compile: () => ValidateFunction): FastifyValidationResult {
  let v: ValidateFunction | undefined;
  const f: FastifyValidationResult = (data: unknown): boolean => {
    v ??= compile();
    const ok = v(data);
    f.errors = v.errors as FastifyValidationResult['errors'];
    return ok;
  };
  f.errors = null;
  return f;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { store } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const limits = deps.limits ?? DEFAULT_LISTENER_LIMITS;
  const limiter = new RateLimiter(deps.clock);
  const openapi = buildOpenApi(deps.version ?? '0.0.0');
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as unknown as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes ?? 16 * 1024,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // while draining, requests on open connections get UNAVAILABLE from the hook below (our error format)
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    schemaController: {
      compilersFactory: {
        buildSerializer: serializerFactory(deps.eagerSchemas === true),
        buildValidator: validatorFactory(deps.eagerSchemas === true),
      },
    },
    ...listenerOptions(limits),
  });
  capConnections(app.server, limits, () => metrics.connectionsDropped.inc({ listener: 'api' }));
  app.addHook('onSend', closeUnreadRequests);

  app.removeContentTypeParser('text/plain');
  app.decorateRequest('sp', null);
  app.decorateRequest('correlator', '');

  app.addHook('onRequest', async (req, reply) => {
    const given = req.headers['x-correlator'];
    const valid = typeof given === 'string' && given.length > 0 && CORRELATOR_RE.test(given);
    req.correlator = valid ? given : randomUUID();
    reply.header('x-correlator', req.correlator);
    reply.header('cache-control', 'no-store');
    if (given !== undefined && !valid)
      throw new ApiError('INVALID_ARGUMENT', 'x-correlator must match ' + CORRELATOR_PATTERN);
    const cfg = req.routeOptions.config;
    if (!cfg.auth) return;
    if (deps.ready && !deps.ready()) throw new ApiError('UNAVAILABLE', 'gnpay is starting or shutting down; retry');
    const key = bearer(req);
    const sp = key ? store.sps.authenticate(key) : null;
    if (!sp)
      throw new ApiError(
        'UNAUTHENTICATED',
        key ? 'invalid or revoked API key' : 'missing Authorization: Bearer <api key>',
      );
    req.sp = sp;
    if (
      cfg.operationId === 'createOrder' ||
      cfg.operationId === 'camara.preparePayment' ||
      cfg.operationId === 'camara.createPayment'
    ) {
      const perMinute = deps.settings().ordersPerMinute;
      if (perMinute) {
        const r = limiter.take(sp.id, perMinute);
        if (!r.ok) {
          reply.header('retry-after', String(r.retryAfterSeconds));
          throw new ApiError(
            'TOO_MANY_REQUESTS',
            `more than ${perMinute} orders per minute; retry after ${r.retryAfterSeconds} s`,
          );
        }
      }
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    metrics.httpRequests.inc({ listener: 'api', method: req.method, route, status: String(reply.statusCode) });
    metrics.httpSeconds.observe({ listener: 'api', method: req.method, route }, ms / 1000);
    // the access log: what an SP quoting its x-correlator is looking for (probes and scrapes only at debug)
    const line = {
      method: req.method,
      route,
      url: req.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(ms * 10) / 10,
      spId: req.sp?.id ?? null,
      correlator: req.correlator,
    };
    if (req.routeOptions.config.auth) req.log.info(line, 'request');
    else req.log.debug(line, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    const body =
      err instanceof CamaraError ? { status: err.status, code: err.code, message: err.message } : toErrorBody(err);
    if (isStorageError(err)) {
      deps.onStorageError?.(err as Error);
      reply.header('retry-after', '5');
    }
    if (body.status >= 500) req.log.error({ err, correlator: req.correlator }, 'request failed');
    reply.code(body.status).type('application/json').send(body);
  });
  app.setNotFoundHandler(notFound);

  const handlers: Record<string, Handler> = {
    createOrder: (req, reply) => {
      const s = deps.settings();
      const key = req.headers['idempotency-key'];
      const { order, replayed } = store.orders.create(req.sp!.id, req.body as CreateOrderInput, {
        idempotencyKey: typeof key === 'string' ? key : undefined,
        returnOrigins: req.sp!.returnOrigins,
        payUrlTemplate: s.payUrlTemplate,
        defaultTtlSeconds: s.defaultTtlSeconds,
        maxTtlSeconds: s.maxTtlSeconds,
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      else deps.onChange?.();
      reply.code(201);
      return orderView(order, req.sp!.scopes);
    },
    listOrders: (req) => {
      const q = req.query as { status?: OrderStatus; reference?: string; limit: number; after?: string };
      const sp = req.sp!;
      const after = q.after === undefined ? undefined : store.cursors.decode('orders', sp.id, q.after);
      const page = store.orders.list(sp.id, { status: q.status, reference: q.reference, limit: q.limit, after });
      return {
        orders: page.orders.map((o) => orderView(o, sp.scopes)),
        nextCursor: page.nextCursor === null ? null : store.cursors.encode('orders', sp.id, page.nextCursor),
      };
    },
    createRefund: (req, reply) => {
      if (deps.refundsSupported && !deps.refundsSupported())
        throw new ApiError(
          'REFUNDS_NOT_SUPPORTED',
          'the payment platform takes no refunds (payments.http.refundUrl is not set)',
        );
      const key = req.headers['idempotency-key'];
      const b = req.body as { amount?: number; reason?: string };
      const { refund, replayed } = store.refunds.create(req.sp!.id, (req.params as { id: string }).id, {
        amount: b.amount,
        reason: b.reason,
        idempotencyKey: typeof key === 'string' ? key : undefined,
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      else deps.onChange?.();
      reply.code(201);
      return refundView(refund);
    },
    setWebhook: (req) => {
      const b = req.body as { url: string | null; rotateSecret?: boolean; overlapSeconds?: number };
      if (b.url !== null) {
        const problem = webhookUrlProblem(b.url, deps.webhookPolicy?.() ?? new DestinationPolicy());
        if (problem) throw new ApiError('INVALID_ARGUMENT', `url ${problem}`);
      }
      const sp = req.sp!;
      store.sps.update(sp.id, { webhookUrl: b.url });
      const out: Record<string, unknown> = { url: b.url };
      if (b.rotateSecret) {
        const r = store.sps.rotate(sp.id, { apiKey: false, webhookSecret: true }, b.overlapSeconds ?? 86_400);
        out.secret = r.webhookSecret;
        out.previousSecretValidUntil = new Date(r.previousValidUntil).toISOString();
      }
      req.log.info(
        { spId: sp.id, rotated: !!b.rotateSecret, correlator: req.correlator },
        'webhook settings changed by the SP',
      );
      return out;
    },
    listRefunds: (req) => {
      const o = store.orders.get(req.sp!.id, (req.params as { id: string }).id);
      return { refunds: store.refunds.list(o.id).map(refundView), remainingAmount: store.refunds.remaining(o) };
    },
    getRefund: (req) => {
      const p = req.params as { id: string; refundId: string };
      return refundView(store.refunds.get(req.sp!.id, p.id, p.refundId));
    },
    simulateOrder: (req) => {
      const b = req.body as { outcome: SimulatedOutcome; msisdn?: string };
      const o = store.sandbox.simulate(
        req.sp!,
        (req.params as { id: string }).id,
        b.outcome,
        b.msisdn,
        (deps.perMsisdnLimits ?? (() => DEFAULT_LIMITS))(),
      );
      deps.onChange?.();
      req.log.info(
        { spId: req.sp!.id, orderId: o.id, outcome: b.outcome, correlator: req.correlator },
        'sandbox order simulated',
      );
      return orderView(o, req.sp!.scopes);
    },
    getOrder: (req) => orderView(store.orders.get(req.sp!.id, (req.params as { id: string }).id), req.sp!.scopes),
    cancelOrder: (req) => {
      const o = store.orders.cancel(req.sp!.id, (req.params as { id: string }).id);
      deps.onChange?.();
      return orderView(o, req.sp!.scopes);
    },
    listEvents: (req) => {
      const q = req.query as { after: string; limit: number };
      const sp = req.sp!;
      const after = store.cursors.decode('events', sp.id, q.after);
      store.orders.expireDue();
      const rows = store.events.list(sp.id, after, q.limit);
      const cursor = (e: { seq: number }) => store.cursors.encode('events', sp.id, e.seq);
      const last = rows.at(-1);
      return { events: rows.map((e) => eventView(e, sp.scopes, cursor(e))), nextCursor: last ? cursor(last) : q.after };
    },
    openapi: () => openapi,
    ...operationsHandlers({ store, metrics, ready: deps.ready, readiness: deps.readiness }),
  };

  registerNumberVerificationRoutes(app, store);
  registerRefundRoutes(app, { store, refundsSupported: deps.refundsSupported, onChange: deps.onChange });
  registerCamaraRoutes(app, {
    store,
    settings: deps.settings,
    limits: deps.perMsisdnLimits ?? (() => DEFAULT_LIMITS),
    onChange: deps.onChange,
  });

  for (const r of ROUTES) {
    if (r.operationId === 'metrics' && deps.serveMetrics !== true) continue;
    const handler = handlers[r.operationId];
    if (!handler) throw new Error(`no handler for the operation ${r.operationId}`);
    // the series of each route's success exists from the start (0)
    const ok =
      Object.keys(r.schema.response)
        .map(Number)
        .find((c) => c >= 200 && c < 300) ?? 200;
    metrics.httpRequests.inc({ listener: 'api', method: r.method, route: r.url, status: String(ok) }, 0);
    metrics.httpSeconds.zero({ listener: 'api', method: r.method, route: r.url });
    app.route({
      method: r.method,
      url: r.url,
      schema: r.schema,
      config: { auth: r.auth, operationId: r.operationId },
      // a POST whose body schema allows nothing may come without a body
      ...(r.schema.body === EmptyBody ? { preValidation: async (req: FastifyRequest) => void (req.body ??= {}) } : {}),
      handler,
    });
  }
  return app;
}
