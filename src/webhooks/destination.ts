// Where webhooks may go. An SP's webhook URL is the SP's to choose, so it
// must not reach into the operator's network: loopback (gnpay's own
// operations listener), link-local (cloud metadata at 169.254.169.254),
// private, shared (CGNAT), multicast and reserved addresses are refused
// unless the operator allows a range (webhooks.allowDestinations). The check
// runs on the address a connection is actually made to, in the lookup of
// that very connection: a name that resolves to a public address when
// checked and to 127.0.0.1 when connected (DNS rebinding) cannot get through,
// and neither can a literal address, an IPv4-mapped IPv6 address (Node's
// BlockList judges it by the IPv4 address it maps) or NAT64.
import { lookup as dnsLookup, Resolver, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const DENIED: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['64:ff9b:1::', 48, 'ipv6', 'NAT64'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001::', 23, 'ipv6', 'IETF protocol assignments'],
  ['fc00::', 7, 'ipv6', 'private (unique local)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

export class DestinationNotAllowedError extends Error {
  readonly code = 'EDESTINATION';
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`destination ${address} not allowed: ${why} (webhooks.allowDestinations)`);
    this.name = 'DestinationNotAllowedError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFn = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** Parses "10.0.0.0/8", "127.0.0.1", "fd00::/8" (throws on anything else). */
export function parseCidr(s: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } {
  const [address = '', bits, extra] = s.split('/');
  const v = isIP(address);
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (
    !v ||
    extra !== undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))
  ) {
    throw new Error(`"${s}" is not an address or an address/prefix (CIDR)`);
  }
  return { address, prefix, type: v === 4 ? 'ipv4' : 'ipv6' };
}

export class DestinationPolicy {
  private readonly denied = DENIED.map(([a, p, type, why]) => {
    const b = new BlockList();
    b.addSubnet(a, p, type);
    return { list: b, why };
  });
  private readonly allowed = new BlockList();

  /** `allow`: CIDRs the operator allows although they are in a refused range. */
  constructor(
    allow: readonly string[] = [],
    private readonly resolve: LookupFn = dnsLookup,
  ) {
    for (const c of allow) {
      const { address, prefix, type } = parseCidr(c);
      this.allowed.addSubnet(address, prefix, type);
    }
  }

  /** Why `address` is refused, or null when a webhook may go there. */
  refusal(address: string): string | null {
    const v = isIP(address);
    if (!v) return 'not an IP address';
    const type = v === 4 ? 'ipv4' : 'ipv6';
    if (this.allowed.check(address, type)) return null;
    for (const d of this.denied) if (d.list.check(address, type)) return d.why;
    return null;
  }

  /** Throws DestinationNotAllowedError for a refused literal address (names are checked when connecting). */
  checkHost(hostname: string): void {
    const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    if (!isIP(bare)) return;
    const why = this.refusal(bare);
    if (why) throw new DestinationNotAllowedError(bare, why);
  }

  /**
   * A `lookup` for http(s).request / net.connect: resolves as usual, then
   * keeps only allowed addresses (an error when none is left), so the
   * connection can only be made to an address that passed the check.
   */
  readonly lookup: LookupFn = (hostname, options, callback) => {
    const all = (options as { all?: boolean }).all === true;
    this.resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, all ? [] : '', undefined);
      const list = Array.isArray(addresses) ? addresses : [{ address: addresses, family: isIP(addresses) }];
      const ok = list.filter((a) => this.refusal(a.address) === null);
      if (ok.length === 0) {
        const first = list[0];
        return callback(
          first
            ? new DestinationNotAllowedError(first.address, this.refusal(first.address) ?? 'no address')
            : Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }),
          all ? [] : '',
          undefined,
        );
      }
      if (all) return callback(null, ok);
      const [first] = ok as [LookupAddress, ...LookupAddress[]];
      callback(null, first.address, first.family);
    });
  };
}

/**
 * A lookup through given DNS servers (resolve4/resolve6, no cache, no hosts
 * file): for tests with a DNS server of their own, and for operators who
 * want webhooks resolved by a particular resolver.
 */
export function resolverLookup(servers: string[]): LookupFn {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers(servers);
  return (hostname, options, callback) => {
    const family = (options as { family?: number }).family ?? 0;
    const out: LookupAddress[] = [];
    let pending = family === 0 ? 2 : 1;
    let firstErr: NodeJS.ErrnoException | null = null;
    const done = (err: NodeJS.ErrnoException | null, addrs: string[] | undefined, fam: 4 | 6) => {
      if (err) firstErr ??= err;
      for (const a of addrs ?? []) out.push({ address: a, family: fam });
      if (--pending > 0) return;
      if (out.length === 0)
        return callback(
          firstErr ?? Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }),
          [],
          undefined,
        );
      if ((options as { all?: boolean }).all) return callback(null, out);
      const [first] = out as [LookupAddress, ...LookupAddress[]];
      callback(null, first.address, first.family);
    };
    if (family !== 6) r.resolve4(hostname, (e, a) => done(e, a, 4));
    if (family !== 4) r.resolve6(hostname, (e, a) => done(e, a, 6));
  };
}

/** The URL without its user name and password, for logs and listings. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = u.username ? '***' : '';
    u.password = u.password ? '***' : '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
