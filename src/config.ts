// The configuration: one YAML (or JSON) file validated at start (every problem
// at once, with its line and column), embedded defaults, flags on top.
// Reloaded on SIGHUP by the daemon.
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { didYouMean, readConfigFile, type ConfigSource, type Problem } from './config-file';
import { carrierError } from './native';
import type { EngineLimits } from './native/types';
import { parsePayUrlTemplate } from './store/payurl';
import { keyFileOf, loadOrCreateKey } from './store/secrets';
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
  limits: { perMsisdn: { amountPerDay: number | null; ordersPerHour: number | null } };
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
  /** progressSeconds: a progress line of a replay every N seconds when stderr is not a terminal (null: none) */
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; redactPersonalData: boolean; destination: 'stdout' | 'stderr'; progressSeconds: number | null };
  secrets: { apiKeyPepper: string | null; webhookSecretKey: string | null; webhookSecretKeyFile: string | null };
  /** live capture (consumed by the capture engine) */
  capture: { interfaces: string[]; bufferMiB: number | null; snaplen: number | null; filter: string | null };
  /** decode engine bounds (consumed by the capture engine) */
  decode: { limits: Partial<EngineLimits> };
  /** checkpoint of the engine's tunnel table in the database (consumed by the capture engine) */
  checkpoint: { intervalSeconds: number; maxAgeHours: number };
  shutdown: { timeoutMs: number };
  /** sightings that matched no order are deleted after retentionDays (null: kept forever) */
  audit: { retentionDays: number | null };
  /** PRAGMA quick_check of the database at start (always) and every intervalMinutes (null: only at start) */
  integrity: { intervalMinutes: number | null };
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
  limits: { perMsisdn: { amountPerDay: null, ordersPerHour: null } },
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
  log: { level: 'info', redactPersonalData: true, destination: 'stdout', progressSeconds: 30 },
  secrets: { apiKeyPepper: null, webhookSecretKey: null, webhookSecretKeyFile: null },
  capture: { interfaces: [], bufferMiB: null, snaplen: null, filter: null },
  decode: { limits: {} },
  checkpoint: { intervalSeconds: 10, maxAgeHours: 24 },
  shutdown: { timeoutMs: 10_000 },
  audit: { retentionDays: 30 },
  integrity: { intervalMinutes: 60 },
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
  limits: obj({ perMsisdn: obj({ amountPerDay: nullablePosInt, ordersPerHour: nullablePosInt }) }),
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
  log: obj({ level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, redactPersonalData: { type: 'boolean' }, destination: { enum: ['stdout', 'stderr'] }, progressSeconds: nullablePosInt }, ['level', 'redactPersonalData', 'destination']),
  secrets: obj({ apiKeyPepper: nullableStr, webhookSecretKey: nullableStr, webhookSecretKeyFile: nullableStr }),
  capture: obj({ interfaces: { type: 'array', items: str }, bufferMiB: nullablePosInt, snaplen: nullablePosInt, filter: nullableStr }),
  decode: obj({ limits: obj(Object.fromEntries(LIMIT_KEYS.map((k) => [k, posInt])), []) }),
  checkpoint: obj({ intervalSeconds: posInt, maxAgeHours: posInt }),
  shutdown: obj({ timeoutMs: posInt }),
  audit: obj({ retentionDays: nullablePosInt }),
  integrity: obj({ intervalMinutes: nullablePosInt }),
});

export class ConfigError extends Error {
  constructor(
    message: string,
    /** every problem found (a config file is reported whole, not one error a run) */
    readonly problems: Problem[] = [],
  ) {
    super(`config: ${message}`);
    this.name = 'ConfigError';
  }
}

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(SCHEMA);

function keyOf(e: ErrorObject): string {
  const path = e.instancePath.slice(1).replace(/\//g, '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  if (e.keyword === 'additionalProperties') return [path, String(e.params.additionalProperty)].filter(Boolean).join('.');
  if (e.keyword === 'required') return [path, String(e.params.missingProperty)].filter(Boolean).join('.');
  return path;
}

/** The keys the schema knows at `path` (for "did you mean"). */
function knownKeys(path: string): string[] {
  let node = SCHEMA as { properties?: Record<string, unknown> };
  for (const part of path ? path.split('.') : []) node = (node.properties?.[part] ?? {}) as typeof node;
  return Object.keys(node.properties ?? {});
}

function describe(e: ErrorObject): Problem {
  const key = keyOf(e);
  const name = key || '(the file)';
  switch (e.keyword) {
    case 'additionalProperties': {
      const parent = e.instancePath.slice(1).replace(/\//g, '.');
      const guess = didYouMean(String(e.params.additionalProperty), knownKeys(parent));
      return { path: key, message: `${name} is not a known key${guess ? ` (did you mean ${[parent, guess].filter(Boolean).join('.')}?)` : ''}` };
    }
    case 'required':
      return { path: key, message: `${name} is required` };
    case 'enum':
      return { path: key, message: `${name} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path: key, message: `${name} ${e.message}` };
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

function listenProblem(path: string, value: string, example: string): Problem | null {
  try {
    parseListen(value);
    return null;
  } catch {
    return { path, message: `${path} must be HOST:PORT (e.g. ${example}), got "${value}"` };
  }
}

/** Checks that need more than the schema (formats, relations between keys); each skipped when what it reads has the wrong type. */
function semanticProblems(cfg: Config): Problem[] {
  const out: Array<Problem | null> = [];
  const run = (check: () => void) => {
    try {
      check();
    } catch {
      /* a value of the wrong type: the schema says so */
    }
  };
  run(() => out.push(listenProblem('listen', cfg.listen, '127.0.0.1:8080')));
  run(() => void (cfg.opsListen !== null && out.push(listenProblem('opsListen', cfg.opsListen, '127.0.0.1:9464'))));
  run(() => {
    try {
      parsePayUrlTemplate(cfg.payUrlTemplate);
    } catch (err) {
      out.push({ path: 'payUrlTemplate', message: `payUrlTemplate ${(err as Error).message}` });
    }
  });
  run(() =>
    cfg.carriers.forEach((s, i) => {
      const err = carrierError(s);
      if (err) out.push({ path: `carriers[${i}]`, message: `carriers[${i}]: ${err}` });
    }),
  );
  run(() =>
    cfg.webhooks.allowDestinations.forEach((c, i) => {
      try {
        parseCidr(c);
      } catch (err) {
        out.push({ path: `webhooks.allowDestinations[${i}]`, message: `webhooks.allowDestinations[${i}]: ${(err as Error).message}` });
      }
    }),
  );
  run(() => void (cfg.orders.defaultTtlSeconds > cfg.orders.maxTtlSeconds && out.push({ path: 'orders.defaultTtlSeconds', message: 'orders.defaultTtlSeconds must not exceed orders.maxTtlSeconds' })));
  run(() => {
    const h = cfg.payments.http;
    if (h.url !== null && !isUrl(h.url)) out.push({ path: 'payments.http.url', message: 'payments.http.url must be a URL' });
    if (h.statusUrl !== null && (!h.statusUrl.includes('{key}') || !isUrl(h.statusUrl.replace('{key}', 'k')))) {
      out.push({ path: 'payments.http.statusUrl', message: 'payments.http.statusUrl must be a URL with {key} where the idempotency key goes' });
    }
    if (cfg.payments.driver === 'http') {
      if (h.url === null) out.push({ path: 'payments.http.url', message: 'payments.http.url is required when payments.driver is "http"' });
      if (h.secret === null && h.secretFile === null) out.push({ path: 'payments.http.secret', message: 'payments.http.secret or payments.http.secretFile is required when payments.driver is "http"' });
    }
  });
  return out.filter((p): p is Problem => p !== null);
}

/** Every problem of a complete configuration (empty: valid). */
export function validateConfig(c: unknown): Problem[] {
  const schema = validate(c) ? [] : validate.errors!.map(describe);
  // the checks beyond the schema too, each on what it can read (a key of the wrong type is already reported)
  const bad = new Set(schema.map((p) => p.path));
  const more = isPlainObject(c) ? semanticProblems(c as unknown as Config) : [];
  return [...schema, ...more.filter((p) => !bad.has(p.path))];
}

/** Validates a complete configuration; throws ConfigError listing every problem. */
export function checkConfig(c: unknown): Config {
  const problems = validateConfig(c);
  if (problems.length) throw new ConfigError(formatProblems(problems, null), problems);
  return c as Config;
}

function hasPath(v: unknown, path: string): boolean {
  let node: unknown = v;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (node === null || typeof node !== 'object' || !(part in (node as object))) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}

/**
 * One line per problem: FILE:LINE:COLUMN: what (the key's position in the file;
 * a key that comes from a command-line flag is said so).
 */
export function formatProblems(problems: Problem[], source: ConfigSource | null, flags: ConfigInput = {}): string {
  const line = (p: Problem) => {
    if (p.path !== '' && hasPath(flags, p.path)) return `${p.message} (from the command line)`;
    if (!source) return p.message;
    const pos = p.path === '' && /^\d+:\d+: /.test(p.message) ? null : source.position(p.path);
    return `${source.file}:${pos ? `${pos}: ` : ''}${p.message}`;
  };
  if (problems.length === 1) return line(problems[0]);
  return `${problems.length} problems${source ? ` in ${source.file}` : ''}:\n${problems.map((p) => `  ${line(p)}`).join('\n')}`;
}

/** Reads a config file (YAML or JSON; null: defaults only), merges the flags over it and validates, reporting every problem. */
export function loadConfig(file: string | null, flags: ConfigInput = {}): Config {
  let fromFile: unknown = {};
  let source: ConfigSource | null = null;
  if (file !== null) {
    const read = readConfigFile(file);
    if ('message' in read) throw new ConfigError(read.message, [read]);
    source = read;
    if (read.syntax.length) throw new ConfigError(formatProblems(read.syntax, read), read.syntax);
    fromFile = read.value;
    if (!isPlainObject(fromFile)) {
      const p = { path: '', message: 'the file must hold a mapping of keys (a YAML mapping or a JSON object)' };
      throw new ConfigError(formatProblems([p], read), [p]);
    }
  }
  const merged = merge(merge(structuredClone(DEFAULTS), fromFile), flags);
  const problems = validateConfig(merged);
  if (problems.length) throw new ConfigError(formatProblems(problems, source, flags), problems);
  return merged as Config;
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

/**
 * Store options (secrets) of a configuration. Webhook secrets are encrypted
 * under the configured key, else under the key beside the database
 * (`<db>.key`, made at first use).
 */
export function storeOptions(config: Config): { secrets: { apiKeyPepper?: string; webhookSecretKey?: string | (() => string) } } {
  const s = config.secrets;
  const configured = readSecret(s.webhookSecretKey, s.webhookSecretKeyFile, 'secrets.webhookSecretKey') ?? undefined;
  const db = config.db;
  return {
    secrets: {
      apiKeyPepper: s.apiKeyPepper ?? undefined,
      webhookSecretKey: configured ?? (db ? () => loadOrCreateKey(keyFileOf(db)) : undefined),
    },
  };
}
