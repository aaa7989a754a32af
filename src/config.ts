// The configuration: one YAML (or JSON) file validated at start (every problem
// at once, with its line and column), embedded defaults, flags on top.
// Reloaded on SIGHUP by the daemon. The keys, their types, defaults and
// reloadability are declared once, in config-schema.ts (read at run time as
// the JSON that `npm run docs` writes from it, src/config-schema-data.ts);
// the checks a JSON Schema cannot express are semanticProblems() below.
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { didYouMean, readConfigFile, type ConfigSource, type Problem } from './config-file';
import { defaultsOf, isReloadable, keysAt } from './config-keys';
import type { Config } from './config-schema';
import { carrierError, payHostError } from './native';
import { driverProblems } from './payments/drivers';
import { parsePayUrlTemplate } from './store/payurl';
import { keyFileOf, loadOrCreateKey } from './store/secrets';
import { parseCidr } from './webhooks/destination';

export type { Config } from './config-schema';

/** The defaults of every key (from the schema). */
export const DEFAULTS: Config = defaultsOf() as Config;

/** Any JSON-like partial of a Config (the file, the flags). */
export type ConfigInput = { [K in keyof Config]?: unknown };

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

// compiled ahead of time (src/config-validator.ts, written by `npm run docs`
// from ConfigSchema) and loaded on first use: commands that only read the
// defaults (gnpay decode without --config) do not load it
let compiled: ValidateFunction | null = null;
function validator(): ValidateFunction {
  compiled ??= (require('./config-validator') as { validate: ValidateFunction }).validate;
  return compiled;
}

function keyOf(e: ErrorObject): string {
  const path = e.instancePath
    .slice(1)
    .replace(/\//g, '.')
    .replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  if (e.keyword === 'additionalProperties')
    return [path, String(e.params.additionalProperty)].filter(Boolean).join('.');
  if (e.keyword === 'required') return [path, String(e.params.missingProperty)].filter(Boolean).join('.');
  return path;
}

function describe(e: ErrorObject): Problem {
  const key = keyOf(e);
  const name = key || '(the file)';
  switch (e.keyword) {
    case 'additionalProperties': {
      const parent = e.instancePath.slice(1).replace(/\//g, '.');
      const guess = didYouMean(String(e.params.additionalProperty), keysAt(parent));
      return {
        path: key,
        message: `${name} is not a known key${guess ? ` (did you mean ${[parent, guess].filter(Boolean).join('.')}?)` : ''}`,
      };
    }
    case 'required':
      return { path: key, message: `${name} is required` };
    case 'enum':
      return {
        path: key,
        message: `${name} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
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
  return { host: m[1] ?? m[2] ?? '', port };
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
        out.push({
          path: `webhooks.allowDestinations[${i}]`,
          message: `webhooks.allowDestinations[${i}]: ${(err as Error).message}`,
        });
      }
    }),
  );
  run(() => {
    if (cfg.pay.listen === null) return;
    out.push(listenProblem('pay.listen', cfg.pay.listen, '0.0.0.0:443'));
    if (!cfg.pay.insecureHttp && (cfg.pay.tls.cert === null || cfg.pay.tls.key === null)) {
      out.push({
        path: 'pay.tls',
        message: 'pay.tls.cert and pay.tls.key are required for the pay page (pay.insecureHttp is for labs only)',
      });
    }
  });
  run(() =>
    cfg.pay.hosts.forEach((h, i) => {
      const err = payHostError(h);
      if (err) out.push({ path: `pay.hosts[${i}]`, message: `pay.hosts[${i}]: ${err}` });
    }),
  );
  run(
    () =>
      void (
        cfg.orders.defaultTtlSeconds > cfg.orders.maxTtlSeconds &&
        out.push({
          path: 'orders.defaultTtlSeconds',
          message: 'orders.defaultTtlSeconds must not exceed orders.maxTtlSeconds',
        })
      ),
  );
  run(() => {
    const h = cfg.payments.http;
    if (h.url !== null && !isUrl(h.url))
      out.push({ path: 'payments.http.url', message: 'payments.http.url must be a URL' });
    if (h.statusUrl !== null && (!h.statusUrl.includes('{key}') || !isUrl(h.statusUrl.replace('{key}', 'k')))) {
      out.push({
        path: 'payments.http.statusUrl',
        message: 'payments.http.statusUrl must be a URL with {key} where the idempotency key goes',
      });
    }
    if (h.refundUrl !== null && !isUrl(h.refundUrl))
      out.push({ path: 'payments.http.refundUrl', message: 'payments.http.refundUrl must be a URL' });
    // what the selected driver requires (payments/drivers/<name>.ts)
    out.push(...driverProblems(cfg.payments));
  });
  return out.filter((p): p is Problem => p !== null);
}

/** Every problem of a complete configuration (empty: valid). */
export function validateConfig(c: unknown): Problem[] {
  const validate = validator();
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
    if (node === null || typeof node !== 'object' || !(part in node)) return false;
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
  if (problems.length === 1 && problems[0]) return line(problems[0]);
  // in the order of the file (what has no position, e.g. a flag, last)
  const rank = (p: Problem) => {
    const pos = source && p.path !== '' && !hasPath(flags, p.path) ? source.position(p.path) : null;
    const [l = 0, c = 0] = (pos ?? '999999999:0').split(':').map(Number);
    return l * 1e6 + c;
  };
  const sorted = problems
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
  return `${problems.length} problems${source ? ` in ${source.file}` : ''}:\n${sorted.map((p) => `  ${line(p)}`).join('\n')}`;
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
  return merged;
}

/** The dotted paths of the leaves (scalars, arrays) where two configurations differ. */
export function changedKeys(a: unknown, b: unknown, prefix = ''): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/**
 * A reload: the new configuration, except that every changed key the schema
 * does not mark reloadable keeps its running value (listed in `kept`).
 */
export function applyReload(running: Config, next: Config): { config: Config; kept: string[] } {
  const kept = changedKeys(running, next).filter((k) => !isReloadable(k));
  const out = structuredClone(next) as unknown as Record<string, unknown>;
  for (const key of kept) {
    const parts = key.split('.');
    let dst = out;
    let src = running as unknown as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) {
      dst = dst[p] as Record<string, unknown>;
      src = src[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (last === undefined) continue;
    if (src[last] === undefined) delete dst[last];
    else dst[last] = structuredClone(src[last]);
  }
  return { config: out as unknown as Config, kept };
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
export function storeOptions(config: Config): {
  sightings: { perTunnelPerSecond: number; perTunnelBurst: number; maxRows: number };
  secrets: { apiKeyPepper?: string; webhookSecretKey?: string | (() => string) };
} {
  const s = config.secrets;
  const a = config.audit;
  const configured = readSecret(s.webhookSecretKey, s.webhookSecretKeyFile, 'secrets.webhookSecretKey') ?? undefined;
  const db = config.db;
  return {
    sightings: { perTunnelPerSecond: a.perTunnelPerSecond, perTunnelBurst: a.perTunnelBurst, maxRows: a.maxSightings },
    secrets: {
      apiKeyPepper: s.apiKeyPepper ?? undefined,
      webhookSecretKey: configured ?? (db ? () => loadOrCreateKey(keyFileOf(db)) : undefined),
    },
  };
}

/** The pay host names: the payUrlTemplate's host (its suffix when the token is in the host) and pay.hosts. */
export function payHosts(config: Pick<Config, 'payUrlTemplate' | 'pay'>): string[] {
  const m = /^https?:\/\/([^/?#]*)/i.exec(config.payUrlTemplate);
  let host = (m?.[1] ?? '').replace(/:[0-9]+$/, '').toLowerCase();
  if (host.startsWith('{token}.')) host = host.slice('{token}.'.length);
  return [
    ...new Set(
      [host, ...config.pay.hosts.map((h) => h.toLowerCase().replace(/\.$/, ''))].filter(
        (h) => h && !/^[0-9.]+$/.test(h) && !h.startsWith('['),
      ),
    ),
  ];
}
