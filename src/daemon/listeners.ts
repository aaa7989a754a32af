// The daemon's listeners: the SP API, the operations listener (/metrics,
// /healthz, /readyz) and the pay page. Each is one entry of LISTENERS, opened
// in that order and closed in that order; a new listener is a new entry.
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { Readiness } from '../api/app';
import { ListenError } from '../cli/common';
import { parseListen, type Config } from '../config';
import type { DaemonContext } from './context';

// fastify, the routes and the pay page are loaded when a listener opens: a
// daemon replaying capture files has its capture threads running by then
const api = () => require('../api/app') as typeof import('../api/app');

/** What a listener is given: the daemon's services and its state. */
export interface ListenerDeps {
  ctx: DaemonContext;
  version: string;
  /** the API accepts requests (false while starting and draining, or while the database refuses writes) */
  ready: () => boolean;
  readiness: () => Readiness;
  /** a request failed because the database cannot be written */
  onStorageError: (err: Error) => void;
  /** a confirmation on the pay page queued a charge */
  onConfirmed: () => void;
  /** an order or refund changed through the API (the workers are woken) */
  onChange: () => void;
  /** whether the payment driver can refund */
  refundsSupported: () => boolean;
}

/** A listening server. */
export interface Listener {
  readonly url: string;
  /** stops accepting, lets requests in flight finish */
  close(): Promise<void>;
  /** ends every connection now (a shutdown that ran out of time) */
  cutOff(): void;
}

export type ListenerName = 'sp' | 'ops' | 'pay';

interface ListenerSpec {
  name: ListenerName;
  /** whether the configuration asks for it */
  enabled(config: Config): boolean;
  open(deps: ListenerDeps): Promise<Listener>;
}

export const LISTENERS: readonly ListenerSpec[] = [
  { name: 'sp', enabled: () => true, open: openSpApi },
  { name: 'ops', enabled: (c) => c.opsListen !== null, open: openOps },
  { name: 'pay', enabled: (c) => c.pay.listen !== null, open: openPay },
];

export class Listeners {
  private readonly open = new Map<ListenerName, Listener>();

  constructor(private readonly specs: readonly ListenerSpec[] = LISTENERS) {}

  /** Opens the configured listeners in order (a failure leaves the ones opened before it to close()). */
  async start(deps: ListenerDeps): Promise<void> {
    const config = deps.ctx.config();
    for (const spec of this.specs) {
      if (spec.enabled(config)) this.open.set(spec.name, await spec.open(deps));
    }
  }

  /** A listener's URL, null when it is not served. */
  url(name: ListenerName): string | null {
    return this.open.get(name)?.url ?? null;
  }

  async close(): Promise<void> {
    for (const l of this.open.values()) await l.close();
  }

  cutOff(): void {
    for (const l of this.open.values()) l.cutOff();
  }
}

function openSpApi({
  ctx,
  version,
  ready,
  readiness,
  onStorageError,
  onChange,
  refundsSupported,
}: ListenerDeps): Promise<Listener> {
  const { store, metrics, log } = ctx;
  const config = ctx.config();
  const { DestinationPolicy } = require('../webhooks/destination') as typeof import('../webhooks/destination');
  const app = api().buildApp({
    store,
    metrics,
    logger: log,
    version,
    bodyLimitBytes: config.api.bodyLimitBytes,
    serveMetrics: config.api.metrics,
    limits: config.listeners,
    ready,
    readiness,
    onStorageError,
    perMsisdnLimits: () => ctx.config().limits.perMsisdn,
    refundsSupported,
    webhookPolicy: () => new DestinationPolicy(ctx.config().webhooks.allowDestinations),
    onChange,
    settings: () => {
      const c = ctx.config();
      return {
        payUrlTemplate: c.payUrlTemplate,
        defaultTtlSeconds: c.orders.defaultTtlSeconds,
        maxTtlSeconds: c.orders.maxTtlSeconds,
        ordersPerMinute: c.rateLimit.ordersPerMinute,
      };
    },
  });
  return listenFastify(app, 'SP API, listen', config.listen);
}

function openOps({ ctx, ready, readiness }: ListenerDeps): Promise<Listener> {
  const config = ctx.config();
  const app = api().buildOpsApp({ store: ctx.store, metrics: ctx.metrics, ready, readiness, limits: config.listeners });
  return listenFastify(app, 'operations, opsListen', config.opsListen!);
}

async function openPay({ ctx, onConfirmed }: ListenerDeps): Promise<Listener> {
  const config = ctx.config();
  const tls = config.pay.insecureHttp
    ? null
    : { cert: readFileSync(config.pay.tls.cert!), key: readFileSync(config.pay.tls.key!) };
  if (!tls)
    ctx.log.warn(
      'the pay page is served over plain HTTP (pay.insecureHttp): no connection can be bound, nothing can be confirmed; for labs only',
    );
  const { PayServer } = require('../paypage/server') as typeof import('../paypage/server');
  const pay = new PayServer({
    store: ctx.store,
    payUrlTemplate: () => ctx.config().payUrlTemplate,
    limits: () => ctx.config().limits.perMsisdn,
    tls,
    bindTimeoutMs: config.pay.bindTimeoutMs,
    listenerLimits: config.listeners,
    metrics: ctx.metrics,
    log: ctx.log,
    onConfirmed,
  });
  const l = parseListen(config.pay.listen!);
  const url = await pay.listen(l.host, l.port);
  return {
    url,
    close: () => pay.close(),
    cutOff: () => {
      pay.server.closeAllConnections();
      pay.server.close();
    },
  };
}

/** app.listen, with an address that cannot be bound reported as a ListenError (exit 4) naming the listener. */
export async function listenFastify(app: FastifyInstance, name: string, address: string): Promise<Listener> {
  try {
    await app.listen(parseListen(address));
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new ListenError(name, address, code, err as Error);
    throw err;
  }
  return {
    url: urlOf(app),
    close: () => app.close(),
    cutOff: () => {
      app.server.closeAllConnections();
      app.server.close();
    },
  };
}

function urlOf(app: FastifyInstance): string {
  const addr = app.server.address() as { address: string; port: number };
  return `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
}
