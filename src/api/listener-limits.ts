// Limits every gnpay listener applies (SP API, operations, pay page): a client
// that trickles its request head or body, or keeps idle connections open, is
// cut off after a bounded time, and the number of connections a listener holds
// is capped (below the process's file descriptor limit), so that slow or
// hostile clients cannot exhaust descriptors the database, the webhooks and
// the other listeners need.
//
// Use: Fastify({ ...other, ...listenerOptions(limits) }) (or
// listenerOptions(limits, tlsOptions) for HTTPS), then capConnections(app.server, limits).
import { readFileSync } from 'node:fs';
import type { Server as HttpServer, ServerOptions as HttpServerOptions } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';

export interface ListenerLimits {
  /** the whole request head (line and headers) must arrive within this */
  headersTimeoutMs: number;
  /** the whole request (head and body) must arrive within this */
  requestTimeoutMs: number;
  /** an idle kept-alive connection is closed after this */
  keepAliveTimeoutMs: number;
  /** a connection with no byte in either direction for this long is closed */
  idleTimeoutMs: number;
  /** connections held at once by one listener; more are closed at once (also capped to a quarter of the descriptor limit) */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 1024,
};

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or null when unknown. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync(limitsFile, 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The connection cap of one listener: the configured one, at most a quarter of the descriptors (at least 16). */
export function connectionCap(l: ListenerLimits, fdLimit = openFileLimit()): number {
  return fdLimit === null ? l.maxConnections : Math.max(16, Math.min(l.maxConnections, Math.floor(fdLimit / 4)));
}

function serverOptions(l: ListenerLimits): HttpServerOptions {
  const headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return {
    headersTimeout,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // how often Node looks for requests over their time (its default, 30 s, would let them run that much longer)
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

/** Fastify options that put the limits on the listener's server (HTTPS when `tls` is given). */
export function listenerOptions(l: ListenerLimits, tls?: HttpsServerOptions): Record<string, unknown> {
  const s = serverOptions(l);
  return {
    ...(tls ? { https: { ...tls, ...s } } : { http: s }),
    connectionTimeout: l.idleTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
  };
}

/** Caps the connections `server` holds; `onDrop` hears of each connection refused for it. */
export function capConnections(server: HttpServer, l: ListenerLimits, onDrop?: () => void): number {
  const cap = connectionCap(l);
  server.maxConnections = cap;
  if (onDrop) server.on('drop', onDrop);
  return cap;
}
