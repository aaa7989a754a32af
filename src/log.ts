// Logging: pino JSON lines with string levels, the host name and the pid, so
// that Loki, ELK and `jq 'select(.level == "error")'` read them as they come.
// MSISDN, IMSI and IMEI are personal data and are redacted unless
// log.redactPersonalData is false; secrets are always redacted. Errors carry
// their message, name, code and stack.
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';

const PERSONAL = ['msisdn', 'imsi', 'imei'];
const SECRET = ['apiKey', 'webhookSecret', 'secret', 'authorization', 'password', 'token'];

/** Redaction paths: the key at the top level and up to three levels down. */
export function redactPaths(personal: boolean): string[] {
  const keys = personal ? [...SECRET, ...PERSONAL] : SECRET;
  const out: string[] = [];
  for (const k of keys) out.push(k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`);
  out.push('req.headers.authorization', 'req.headers["idempotency-key"]');
  return out;
}

export interface LogOptions {
  level: string;
  redactPersonalData: boolean;
  destination?: 'stdout' | 'stderr' | NodeJS.WritableStream | { write(s: string): void };
}

export function createLogger(o: LogOptions): Logger {
  const dest =
    o.destination === 'stderr'
      ? pino.destination({ fd: 2, sync: true })
      : o.destination === 'stdout' || o.destination === undefined
        ? pino.destination({ fd: 1, sync: true })
        : o.destination;
  return pino(
    {
      level: o.level,
      base: { service: 'gnpay', pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(o.redactPersonalData), censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    dest,
  );
}

/**
 * An error as a log field: message, name, code and stack of an Error (and its
 * cause); anything else thrown (a string, an object) as its message, never the
 * empty `{"type":"Object","stack":""}` of pino's serializer.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const out: Record<string, unknown> = pino.stdSerializers.err(err);
    if (!out.message) out.message = err.message || String(err);
    return out;
  }
  if (typeof err === 'object' && err !== null) {
    const o = err as Record<string, unknown>;
    return {
      type: typeof o.name === 'string' ? o.name : 'Error',
      message: typeof o.message === 'string' ? o.message : JSON.stringify(err),
      ...(o.code !== undefined ? { code: o.code } : {}),
    };
  }
  return { type: typeof err, message: String(err) };
}
