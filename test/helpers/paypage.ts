// Pay-page test helpers: a self-signed certificate for the pay host (openssl),
// and a client that keeps one TLS connection and knows its ClientHello random
// (from its own keylog), as the probe would report it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { HelloEvent } from '../../src/native/types';

export function makeCert(dir: string, names = ['pay.example.net', '*.pay.example.net']): { cert: Buffer; key: Buffer; certFile: string; keyFile: string } {
  const certFile = join(dir, 'pay.crt');
  const keyFile = join(dir, 'pay.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
}

export interface PayResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One kept-alive TLS connection to the pay listener, with cookies. */
export class PayClient {
  readonly agent: https.Agent;
  random: string | null = null;
  cookies = new Map<string, string>();
  /** called with the connection's client random as soon as it is known (during the handshake) */
  onRandom: ((random: string) => void) | null = null;

  constructor(
    readonly base: string,
    readonly servername = 'pay.example.net',
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, servername } as https.AgentOptions);
    this.agent.on('keylog', (line: Buffer, _socket: TLSSocket) => {
      const r = line.toString('latin1').split(' ')[1];
      if (r && !this.random) {
        this.random = r.toLowerCase();
        this.onRandom?.(this.random);
      }
    });
  }

  request(method: 'GET' | 'POST', path: string, o: { form?: Record<string, string>; headers?: Record<string, string>; cookies?: boolean } = {}): Promise<PayResponse> {
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const headers: Record<string, string> = { Host: this.servername, ...(o.headers ?? {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (o.cookies !== false && this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, this.base), { method, headers, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => {
          for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [kv] = c.split(';');
            const i = kv.indexOf('=');
            this.cookies.set(kv.slice(0, i), kv.slice(i + 1));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The csrf token of a rendered confirmation page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no csrf field in the page');
  return m[1];
}

/** A hello event as the probe reports it. */
export function hello(random: string, msisdn: string | null, extra: Partial<HelloEvent> = {}): HelloEvent {
  return {
    type: 'hello', ts: '2025-01-01T00:00:00.000000Z', packet: 1, random, sni: 'pay.example.net', msisdn, imsi: msisdn ? '262017000000001' : null,
    ueIp: '10.202.0.2', dst: '10.204.0.1', teid: 1, gsnSrc: '10.201.0.1', gsnDst: '10.201.0.254', resolvedBy: msisdn ? 'teid' : null, request: 1, ...extra,
  };
}
