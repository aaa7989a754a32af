// Logging: pino JSON lines. MSISDN, IMSI and IMEI are personal data and are
// redacted unless log.redactPersonalData is false; secrets are always redacted.
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
  const dest = o.destination === 'stderr' ? pino.destination({ fd: 2, sync: true }) : o.destination === 'stdout' || o.destination === undefined ? pino.destination({ fd: 1, sync: true }) : o.destination;
  return pino(
    {
      level: o.level,
      base: { service: 'gnpay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths(o.redactPersonalData), censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    dest as pino.DestinationStream,
  );
}
