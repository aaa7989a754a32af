// One webhook POST over node:http(s): the destination policy checks the
// address each new connection is made to (its lookup), credentials in the URL
// go into an Authorization header and never into an error message, redirects
// are not followed, the answer's body is read and dropped (at most 64 KiB),
// and the attempt ends at its timeout or when `signal` aborts (shutdown).
import http from 'node:http';
import https from 'node:https';
import type { DestinationPolicy } from './destination';

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  policy: DestinationPolicy;
  /** aborts the attempt (shutdown) */
  signal?: AbortSignal;
  agents?: { http: http.Agent; https: https.Agent };
}

export class PostError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'aborted' | 'refused' | 'network',
  ) {
    super(message);
    this.name = 'PostError';
  }
}

const MAX_ANSWER = 64 * 1024;

export function keepAliveAgents(): { http: http.Agent; https: https.Agent } {
  return {
    http: new http.Agent({ keepAlive: true, timeout: 30_000 }),
    https: new https.Agent({ keepAlive: true, timeout: 30_000 }),
  };
}

/** POSTs `body` to `url`; resolves with the HTTP status, rejects with a PostError whose message never holds the URL. */
export function post(url: string, body: string, o: PostOptions): Promise<number> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(new PostError('the webhook URL is not a URL', 'network'));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return Promise.reject(new PostError(`the webhook URL's scheme ${u.protocol} is not http(s)`, 'network'));
  try {
    o.policy.checkHost(u.hostname);
  } catch (err) {
    return Promise.reject(new PostError((err as Error).message, 'refused'));
  }
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  const mod = u.protocol === 'https:' ? https : http;
  const auth =
    u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
  return new Promise<number>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      if (timeout.aborted) return reject(new PostError(`timeout after ${o.timeoutMs} ms`, 'timeout'));
      if (o.signal?.aborted) return reject(new PostError('aborted: shutting down', 'aborted'));
      if (err.code === 'EDESTINATION') return reject(new PostError(err.message, 'refused'));
      reject(
        new PostError(
          err.code ? `${err.code}${err.syscall ? ` (${err.syscall})` : ''}` : 'connection failed',
          'network',
        ),
      );
    };
    const req = mod.request(
      {
        protocol: u.protocol,
        hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
        port: u.port || undefined,
        path: `${u.pathname}${u.search}`,
        method: 'POST',
        auth,
        headers: { ...o.headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: o.policy.lookup,
        agent: o.agents ? (u.protocol === 'https:' ? o.agents.https : o.agents.http) : false,
        signal,
      },
      (res) => {
        let got = 0;
        res.on('data', (c: Buffer) => {
          got += c.length;
          if (got > MAX_ANSWER) res.destroy();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}
