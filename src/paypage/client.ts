// A client for the pay page that keeps one TLS connection and knows its
// ClientHello random (from its own keylog): what the demo, the benchmark and
// the tests use to play a phone whose ClientHello the probe reports.
import https from 'node:https';

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
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, servername });
    this.agent.on('keylog', (line: Buffer) => {
      const r = line.toString('latin1').split(' ')[1];
      if (r && !this.random) {
        this.random = r.toLowerCase();
        this.onRandom?.(this.random);
      }
    });
  }

  request(
    method: 'GET' | 'POST',
    path: string,
    o: { form?: Record<string, string>; headers?: Record<string, string>; cookies?: boolean } = {},
  ): Promise<PayResponse> {
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const headers: Record<string, string> = { Host: this.servername, ...(o.headers ?? {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (o.cookies !== false && this.cookies.size)
      headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, this.base), { method, headers, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => {
          for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [kv = ''] = c.split(';');
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
  if (!m?.[1]) throw new Error('no csrf field in the page');
  return m[1];
}
