// The order token of a pay-page request, taken from where the pay URL
// template puts it: https://{token}.pay.example.net/ (the Host's leftmost
// label), https://pay.example.net/pay/{token} (the path segment after the
// prefix), https://pay.example.net/pay?pay_token={token} (the query parameter).
import { parsePayUrlTemplate } from '../store/payurl';

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

export function tokenFromRequest(template: string, host: string, url: string): string | null {
  let carrier: string;
  try {
    carrier = parsePayUrlTemplate(template).carrier;
  } catch {
    return null;
  }
  const i = carrier.indexOf(':');
  const kind = carrier.slice(0, i);
  const arg = carrier.slice(i + 1);
  let u: URL;
  try {
    u = new URL(url, 'http://x');
  } catch {
    return null;
  }
  let t: string | null = null;
  if (kind === 'host') {
    const h = host
      .toLowerCase()
      .replace(/:[0-9]+$/, '')
      .replace(/\.$/, '');
    if (h.endsWith(`.${arg}`)) t = h.slice(0, -arg.length - 1);
  } else if (kind === 'path') {
    if (u.pathname.startsWith(arg)) t = u.pathname.slice(arg.length).split('/')[0] ?? null;
  } else {
    const all = u.searchParams.getAll(arg);
    if (all.length === 1) t = all[0] ?? null;
  }
  return t !== null && TOKEN.test(t) ? t : null;
}
