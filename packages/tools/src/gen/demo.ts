// `gnpay demo`: one subscriber whose phone opens a payment URL. The capture
// is made at run time from the URL template (`{token}` is replaced).
import { httpRequest, httpResponse, tlsClientHello } from './app';
import { isToken, makeToken, Rng } from './bytes';
import { type Expect } from './model';
import { DEFAULT_CARRIERS, type GenResult, sinkFor } from './output';
import { Scenario } from './scenario';
import { type CaptureFormat, MemorySink, openWriter } from './writer';
import { LINKTYPE } from './net';
import type { Carrier, Via } from '../../../../dist/native/types';

export interface DemoOptions {
  /** e.g. "http://pay.example.net/pay?pay_token={token}", "https://{token}.pay.example.net/", "http://pay.example.net/pay/{token}" */
  payUrl: string;
  msisdn: string;
  imsi: string;
  imei?: string | null;
  apn?: string;
  ueIp?: string;
  /** the token to put in the URL (default: a random one, host-safe when it goes in a host name) */
  token?: string;
  /** carriers gnpay is configured with (to predict the sightings); default DEFAULT_CARRIERS */
  carriers?: readonly string[];
  /** write here; otherwise the bytes are returned in `capture` */
  out?: string;
  format?: CaptureFormat;
  seed?: number;
  /** capture start (seconds since the epoch), default now */
  startSec?: number;
  /** end with a Delete PDP Context (default false: the phone stays attached) */
  detach?: boolean;
  /** https: the ClientHello's random (32 bytes), e.g. that of a real TLS connection to bind */
  random?: Buffer;
}

export interface DemoResult extends GenResult {
  token: string;
  url: string;
}

function splitCarrier(spec: string): [string, string] {
  const i = spec.indexOf(':');
  return [spec.slice(0, i), spec.slice(i + 1)];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The tokens a URL's request carries for a carrier set (docs: token_carriers.h),
 * for `via` http (query, path, host) or dns / tls-sni (host only), in carrier
 * order, one per token.
 */
export function urlTokens(carriers: readonly string[], url: URL, via: Via): Expect[] {
  const out: Expect[] = [];
  const seen = new Set<string>();
  const add = (token: string, carrier: Carrier) => {
    const t = carrier === 'host' ? token.toLowerCase() : token;
    if (!isToken(t) || seen.has(t)) return;
    seen.add(t);
    out.push({ token: t, carrier, via });
  };
  for (const spec of carriers) {
    const [kind, arg] = splitCarrier(spec);
    if (kind === 'host') {
      const host = url.hostname.toLowerCase().replace(/\.$/, '');
      const suffix = arg.toLowerCase().replace(/^\.|\.$/g, '');
      if (host.endsWith('.' + suffix)) {
        const labels = host.slice(0, -suffix.length - 1).split('.');
        add(labels[0]!, 'host');
      }
    } else if (via !== 'http') {
      continue;
    } else if (kind === 'query') {
      for (const part of url.search.replace(/^\?/, '').split('&')) {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        if (safeDecode(part.slice(0, eq)) === arg) add(safeDecode(part.slice(eq + 1)), 'query');
      }
    } else if (kind === 'path') {
      if (url.pathname.startsWith(arg)) add(url.pathname.slice(arg.length).split('/')[0]!, 'path');
    }
  }
  return out;
}

/**
 * One GTPv1 subscriber attaches, its phone resolves the URL's host (DNS) and
 * opens the URL: HTTP GET for http:, a TLS ClientHello with SNI for https:.
 */
export function demoCapture(o: DemoOptions): DemoResult {
  const rng = new Rng(o.seed ?? 4242);
  const inHost = /\/\/[^/]*\{token\}/.test(o.payUrl);
  const token = o.token ?? makeToken(rng, 24, inHost);
  const url = new URL(o.payUrl.split('{token}').join(token));
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`payUrl must be http: or https:, got ${url.protocol}`);
  const carriers = o.carriers ?? DEFAULT_CARRIERS;
  const sink = sinkFor(o.out);
  const w = openWriter(o.format ?? 'pcap', sink, { linktype: LINKTYPE.ETHERNET });
  const s = new Scenario(w, { seed: o.seed ?? 4242, startSec: o.startSec ?? Math.floor(Date.now() / 1000) });
  const pdp = s.createPdp({
    imsi: o.imsi,
    msisdn: o.msisdn,
    imei: o.imei ?? null,
    apn: o.apn ?? 'internet',
    ueIp: o.ueIp ?? '10.45.0.2',
    sgsnC: '192.0.2.10',
    sgsnU: '192.0.2.11',
    ggsnC: '198.51.100.1',
    ggsnU: '198.51.100.2',
  })!;
  const path = s.pdpPath(pdp);
  const host = url.hostname;
  const isIpHost = /^[0-9.]+$/.test(host) || host.startsWith('[');
  const server = url.protocol === 'https:' ? '203.0.113.43' : '203.0.113.80';
  if (!isIpHost) {
    s.dnsQuery(path, host, { expects: urlTokens(carriers, url, 'dns') });
    s.dnsResponse(path, host, [server]);
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const f = s.tcp(path, { server, dport: port });
  if (url.protocol === 'https:') {
    const ch = tlsClientHello({ sni: isIpHost ? null : host, rng, random: o.random });
    f.send(ch, { heads: [{ end: ch.length, expects: isIpHost ? [] : urlTokens(carriers, url, 'tls-sni') }] });
    f.respond(Buffer.alloc(1200, 0x16));
  } else {
    const req = httpRequest({ target: url.pathname + url.search, host: url.host });
    f.request(req, urlTokens(carriers, url, 'http'));
    f.respond(httpResponse({ body: '<html><body>Payment page</body></html>' }));
  }
  f.close();
  if (o.detach) s.deletePdp(pdp);
  w.close();
  return {
    capture: sink instanceof MemorySink ? sink.bytes() : undefined,
    events: s.events,
    stats: { carriers: [...carriers], ...s.expectedStats() },
    token,
    url: url.toString(),
  };
}
