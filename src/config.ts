// The configuration: one JSON file validated at start (errors name the key),
// embedded defaults, flags on top. Reloaded on SIGHUP by the daemon.
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { carrierError, payHostError } from './native';
import type { EngineLimits } from './native/types';
import { parsePayUrlTemplate } from './store/payurl';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from './api/listener-limits';
import { parseCidr } from './webhooks/destination';

export interface Config {
  /** HOST:PORT of the API (port 0: any free port) */
  listen: string;
  /** HOST:PORT of the operations listener (/metrics, /healthz, /readyz); null: none (then /metrics is served only with api.metrics) */
  opsListen: string | null;
  /** the SQLite database file */
  db: string | null;
  /** where the subscriber's phone goes to pay; {token} is replaced by the order's token */
  payUrlTemplate: string;
  /** extra token carriers ("kind:arg"); the one implied by payUrlTemplate is always active */
  carriers: string[];
  /** bodyLimitBytes: largest request body; metrics: serve /metrics on the SP listener too (default false) */
  api: { bodyLimitBytes: number; metrics: boolean; version?: string };
  /** timeouts and connection cap of every listener (SP API, operations, pay page) */
  listeners: ListenerLimits;
  orders: { defaultTtlSeconds: number; maxTtlSeconds: number };
  /**
   * per-MSISDN limits, checked at the confirmation: perTransaction and perMonth
   * (calendar month, UTC) in major units of the order's currency (on by
   * default); amountPerDay (minor units) and ordersPerHour (off by default)
   */
  limits: { perMsisdn: { perTransaction: number | null; perMonth: number | null; amountPerDay: number | null; ordersPerHour: number | null } };
  /** the pay page: its own listener, where the subscriber confirms */
  pay: {
    /** HOST:PORT of the pay page (null: no pay page is served) */
    listen: string | null;
    /** PEM files of the pay host's certificate (chain) and key */
    tls: { cert: string | null; key: string | null };
    /** lab only: serve the pay page over plain HTTP (no connection can then be bound, nothing can be confirmed) */
    insecureHttp: boolean;
    /** more pay host names (the payUrlTemplate's host is always one) */
    hosts: string[];
    /** how long a pay-page request waits for the probe's report of its connection's ClientHello */
    bindTimeoutMs: number;
    /** how long the probe's ClientHello reports are kept */
    bindingTtlSeconds: number;
  };
  rateLimit: { ordersPerMinute: number | null };
  payments: {
    driver: 'ledger' | 'http';
    concurrency: number;
    retry: { baseMs: number; maxMs: number };
    /** maxAttempts: attempts none of which can have charged before an order is failed; statusUrl: the platform's status call ({key}) */
    http: { url: string | null; secret: string | null; secretFile: string | null; timeoutMs: number; maxAttempts: number; statusUrl: string | null };
  };
  webhooks: {
    timeoutMs: number;
    retryHours: number;
    /** deliveries in flight in all, and for one SP */
    concurrency: number;
    perSpConcurrency: number;
    retry: { baseMs: number; maxMs: number };
    /** per endpoint: `failures` in a row pause it for baseMs, doubling up to maxMs, then one probe */
    breaker: { failures: number; baseMs: number; maxMs: number };
    /** CIDRs webhooks may reach although loopback, private, link-local, shared or reserved (refused by default) */
    allowDestinations: string[];
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; redactPersonalData: boolean; destination: 'stdout' | 'stderr' };
  secrets: { apiKeyPepper: string | null; webhookSecretKey: string | null; webhookSecretKeyFile: string | null };
  /** live capture (consumed by the capture engine) */
  capture: { interfaces: string[]; bufferMiB: number | null; snaplen: number | null; filter: string | null };
  /** decode engine bounds (consumed by the capture engine) */
  decode: { limits: Partial<EngineLimits> };
  /** checkpoint of the engine's tunnel table in the database (consumed by the capture engine) */
  checkpoint: { intervalSeconds: number; maxAgeHours: number };
  shutdown: { timeoutMs: number };
  /**
   * sightings (only those of known tokens are stored): unlinked ones from older
   * versions deleted after retentionDays (null: kept); at most maxSightings rows
   * (the oldest go first); each tunnel's sightings rate-limited
   */
  audit: { retentionDays: number | null; maxSightings: number; perTunnelPerSecond: number; perTunnelBurst: number };
  /** PRAGMA quick_check of the database at start (always) and every intervalMinutes (null: only at start) */
  integrity: { intervalMinutes: number | null };
  /** live capture: sightings the database cannot take (disk full) wait in <db>.spool, set aside at start (null: no spool) */
  spool: { sizeMiB: number | null };
}

export const DEFAULTS: Config = {
  listen: '127.0.0.1:8080',
  opsListen: null,
  db: null,
  payUrlTemplate: 'http://pay.example.net/pay?pay_token={token}',
  carriers: [],
  api: { bodyLimitBytes: 16 * 1024, metrics: false },
  listeners: { ...DEFAULT_LISTENER_LIMITS },
  orders: { defaultTtlSeconds: 900, maxTtlSeconds: 86_400 },
  limits: { perMsisdn: { perTransaction: 50, perMonth: 300, amountPerDay: null, ordersPerHour: null } },
  pay: {
    listen: null,
    tls: { cert: null, key: null },
    insecureHttp: false,
    hosts: [],
    bindTimeoutMs: 2000,
    bindingTtlSeconds: 600,
  },
  rateLimit: { ordersPerMinute: 600 },
  payments: {
    driver: 'ledger',
    concurrency: 8,
    retry: { baseMs: 500, maxMs: 60_000 },
    http: { url: null, secret: null, secretFile: null, timeoutMs: 10_000, maxAttempts: 8, statusUrl: null },
  },
  webhooks: {
    timeoutMs: 10_000,
    retryHours: 24,
    concurrency: 8,
    perSpConcurrency: 2,
    retry: { baseMs: 1000, maxMs: 900_000 },
    breaker: { failures: 5, baseMs: 5000, maxMs: 300_000 },
    allowDestinations: [],
  },
  log: { level: 'info', redactPersonalData: true, destination: 'stdout' },
  secrets: { apiKeyPepper: null, webhookSecretKey: null, webhookSecretKeyFile: null },
  capture: { interfaces: [], bufferMiB: null, snaplen: null, filter: null },
  decode: { limits: {} },
  checkpoint: { intervalSeconds: 10, maxAgeHours: 24 },
  shutdown: { timeoutMs: 10_000 },
  audit: { retentionDays: 30, maxSightings: 1_000_000, perTunnelPerSecond: 20, perTunnelBurst: 100 },
  integrity: { intervalMinutes: 60 },
  spool: { sizeMiB: 16 },
};

/** Any JSON-like partial of a Config (the file, the flags). */
export type ConfigInput = { [K in keyof Config]?: unknown };

const posInt = { type: 'integer', minimum: 1 };
const nullablePosInt = { type: ['integer', 'null'], minimum: 1 };
const str = { type: 'string', minLength: 1 };
const nullableStr = { type: ['string', 'null'], minLength: 1 };
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: 'object', additionalProperties: false, required, properties });
const retry = obj({ baseMs: posInt, maxMs: posInt });

const LIMIT_KEYS = ['maxSessions', 'maxPendingRequests', 'pendingTimeoutSeconds', 'maxFragmentDatagrams', 'maxFragmentBytes', 'fragmentTimeoutSeconds', 'maxTcpFlows', 'maxRequestHeadBytes', 'tcpFlowTimeoutSeconds'];

const SCHEMA = obj({
  listen: str,
  opsListen: nullableStr,
  db: nullableStr,
  payUrlTemplate: str,
  carriers: { type: 'array', items: str },
  api: obj({ bodyLimitBytes: { type: 'integer', minimum: 256, maximum: 10 * 1024 * 1024 }, metrics: { type: 'boolean' }, version: str }, ['bodyLimitBytes', 'metrics']),
  listeners: obj({ headersTimeoutMs: posInt, requestTimeoutMs: posInt, keepAliveTimeoutMs: posInt, idleTimeoutMs: posInt, maxConnections: posInt }),
  orders: obj({ defaultTtlSeconds: posInt, maxTtlSeconds: posInt }),
  limits: obj({
    perMsisdn: obj(
      { perTransaction: { type: ['number', 'null'], exclusiveMinimum: 0 }, perMonth: { type: ['number', 'null'], exclusiveMinimum: 0 }, amountPerDay: nullablePosInt, ordersPerHour: nullablePosInt },
      [],
    ),
  }),
  pay: obj(
    {
      listen: nullableStr,
      tls: obj({ cert: nullableStr, key: nullableStr }, []),
      insecureHttp: { type: 'boolean' },
      hosts: { type: 'array', items: str, maxItems: 7 },
      bindTimeoutMs: { type: 'integer', minimum: 0, maximum: 30_000 },
      bindingTtlSeconds: posInt,
    },
    [],
  ),
  rateLimit: obj({ ordersPerMinute: nullablePosInt }),
  payments: obj({
    driver: { enum: ['ledger', 'http'] },
    concurrency: posInt,
    retry,
    http: obj({ url: nullableStr, secret: nullableStr, secretFile: nullableStr, timeoutMs: posInt, maxAttempts: posInt, statusUrl: nullableStr }),
  }),
  webhooks: obj({
    timeoutMs: posInt,
    retryHours: { type: 'number', exclusiveMinimum: 0 },
    concurrency: posInt,
    perSpConcurrency: posInt,
    retry,
    breaker: obj({ failures: posInt, baseMs: posInt, maxMs: posInt }),
    allowDestinations: { type: 'array', items: str },
  }),
  log: obj({ level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, redactPersonalData: { type: 'boolean' }, destination: { enum: ['stdout', 'stderr'] } }),
  secrets: obj({ apiKeyPepper: nullableStr, webhookSecretKey: nullableStr, webhookSecretKeyFile: nullableStr }),
  capture: obj({ interfaces: { type: 'array', items: str }, bufferMiB: nullablePosInt, snaplen: nullablePosInt, filter: nullableStr }),
  decode: obj({ limits: obj(Object.fromEntries(LIMIT_KEYS.map((k) => [k, posInt])), []) }),
  checkpoint: obj({ intervalSeconds: posInt, maxAgeHours: posInt }),
  shutdown: obj({ timeoutMs: posInt }),
  audit: obj({ retentionDays: nullablePosInt, maxSightings: { type: 'integer', minimum: 1000 }, perTunnelPerSecond: { type: 'number', exclusiveMinimum: 0 }, perTunnelBurst: posInt }, []),
  integrity: obj({ intervalMinutes: nullablePosInt }),
  spool: obj({ sizeMiB: nullablePosInt }),
});

export class ConfigError extends Error {
  constructor(message: string) {
    super(`config: ${message}`);
    this.name = 'ConfigError';
  }
}

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(SCHEMA);

function keyOf(e: ErrorObject): string {
  const path = e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') return [path, String(e.params.additionalProperty)].filter(Boolean).join('.');
  if (e.keyword === 'required') return [path, String(e.params.missingProperty)].filter(Boolean).join('.');
  return path || '(the file)';
}

function describe(e: ErrorObject): string {
  const key = keyOf(e);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${key} is not a known key`;
    case 'required':
      return `${key} is required`;
    case 'enum':
      return `${key} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${key} ${e.message}`;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) replaces. `undefined` leaves the value. */
export function merge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out as T;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`listen must be HOST:PORT (e.g. 127.0.0.1:8080), got "${listen}"`);
  return { host: m[1] ?? m[2], port };
}

function isUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Validates a complete configuration; throws ConfigError naming the key. */
export function checkConfig(c: unknown): Config {
  if (!validate(c)) throw new ConfigError(describe(validate.errors![0]));
  const cfg = c as unknown as Config;
  parseListen(cfg.listen);
  if (cfg.opsListen !== null) {
    try {
      parseListen(cfg.opsListen);
    } catch {
      throw new ConfigError(`opsListen must be HOST:PORT (e.g. 127.0.0.1:9464), got "${cfg.opsListen}"`);
    }
  }
  try {
    parsePayUrlTemplate(cfg.payUrlTemplate);
  } catch (err) {
    throw new ConfigError(`payUrlTemplate ${(err as Error).message}`);
  }
  cfg.carriers.forEach((s, i) => {
    const err = carrierError(s);
    if (err) throw new ConfigError(`carriers[${i}]: ${err}`);
  });
  if (cfg.pay.listen !== null) {
    try {
      parseListen(cfg.pay.listen);
    } catch {
      throw new ConfigError(`pay.listen must be HOST:PORT (e.g. 0.0.0.0:443), got "${cfg.pay.listen}"`);
    }
    if (!cfg.pay.insecureHttp && (cfg.pay.tls.cert === null || cfg.pay.tls.key === null)) {
      throw new ConfigError('pay.tls.cert and pay.tls.key are required for the pay page (pay.insecureHttp is for labs only)');
    }
  }
  cfg.pay.hosts.forEach((h, i) => {
    const err = payHostError(h);
    if (err) throw new ConfigError(`pay.hosts[${i}]: ${err}`);
  });
  cfg.webhooks.allowDestinations.forEach((c, i) => {
    try {
      parseCidr(c);
    } catch (err) {
      throw new ConfigError(`webhooks.allowDestinations[${i}]: ${(err as Error).message}`);
    }
  });
  if (cfg.orders.defaultTtlSeconds > cfg.orders.maxTtlSeconds) throw new ConfigError('orders.defaultTtlSeconds must not exceed orders.maxTtlSeconds');
  const h = cfg.payments.http;
  if (h.url !== null && !isUrl(h.url)) throw new ConfigError('payments.http.url must be a URL');
  if (h.statusUrl !== null && (!h.statusUrl.includes('{key}') || !isUrl(h.statusUrl.replace('{key}', 'k')))) {
    throw new ConfigError('payments.http.statusUrl must be a URL with {key} where the idempotency key goes');
  }
  if (cfg.payments.driver === 'http') {
    if (h.url === null) throw new ConfigError('payments.http.url is required when payments.driver is "http"');
    if (h.secret === null && h.secretFile === null) throw new ConfigError('payments.http.secret or payments.http.secretFile is required when payments.driver is "http"');
  }
  return cfg;
}

/** Reads a JSON config file (null: defaults only), merges the flags over it and validates. */
export function loadConfig(file: string | null, flags: ConfigInput = {}): Config {
  let fromFile: unknown = {};
  if (file !== null) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
    try {
      fromFile = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(fromFile)) throw new ConfigError(`${file} must hold a JSON object`);
  }
  return checkConfig(merge(merge(structuredClone(DEFAULTS), fromFile), flags));
}

/** Reads a secret that the config gives inline or as a file (trailing newline trimmed). */
export function readSecret(inline: string | null, file: string | null, key: string): string | null {
  if (inline !== null) return inline;
  if (file === null) return null;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(`${key}File: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
}

/** The pay host names: the payUrlTemplate's host (its suffix when the token is in the host) and pay.hosts. */
export function payHosts(config: Pick<Config, 'payUrlTemplate' | 'pay'>): string[] {
  const m = /^https?:\/\/([^/?#]*)/i.exec(config.payUrlTemplate);
  let host = (m?.[1] ?? '').replace(/:[0-9]+$/, '').toLowerCase();
  if (host.startsWith('{token}.')) host = host.slice('{token}.'.length);
  return [...new Set([host, ...config.pay.hosts.map((h) => h.toLowerCase().replace(/\.$/, ''))].filter((h) => h && !/^[0-9.]+$/.test(h) && !h.startsWith('[')))];
}

/** Store options (secrets, audit bounds) of a configuration. */
export function storeOptions(config: Config) {
  const s = config.secrets;
  const a = config.audit;
  return {
    sightings: { perTunnelPerSecond: a.perTunnelPerSecond, perTunnelBurst: a.perTunnelBurst, maxRows: a.maxSightings },
    secrets: {
      apiKeyPepper: s.apiKeyPepper ?? undefined,
      webhookSecretKey: readSecret(s.webhookSecretKey, s.webhookSecretKeyFile, 'secrets.webhookSecretKey') ?? undefined,
    },
  };
}
