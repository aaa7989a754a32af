// The pay page's HTML: server-rendered, no JavaScript, one inline style
// allowed by its hash in the Content-Security-Policy, nothing from any other
// origin. Amounts and dates are formatted for the browser's language
// (Accept-Language, Intl), the number that will pay is masked.
import { createHash } from 'node:crypto';

export const STYLE = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45}
body{margin:0;padding:1rem;background:#f4f5f7;color:#1b1d21}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{margin:.5rem 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem;margin:1rem 0}
dt{color:#4a4f57}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.amount{font-size:1.6rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}
button,a.button{font:inherit;font-size:1.05rem;min-height:48px;padding:.7rem 1.2rem;border-radius:8px;border:2px solid #0b57d0;cursor:pointer;text-decoration:none;display:inline-flex;align-items:center;justify-content:center}
button.confirm{background:#0b57d0;color:#fff;flex:1 1 12rem}
button.cancel{background:#fff;color:#0b57d0;flex:1 1 8rem}
a.button{background:#fff;color:#0b57d0}
.note{color:#4a4f57;font-size:.9rem}
.outcome{font-size:1.1rem;font-weight:600}
@media (prefers-color-scheme:dark){body{background:#111316;color:#e6e7ea}main{background:#1c1f24}dt,.note{color:#b3b7bf}button.cancel,a.button{background:#1c1f24;color:#8ab4f8;border-color:#8ab4f8}button.confirm{background:#8ab4f8;color:#111316;border-color:#8ab4f8}}
`;

export const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`;

/** The response headers of every pay-page response. */
export function securityHeaders(secure: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Security-Policy': `default-src 'none'; style-src '${STYLE_HASH}'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'interest-cohort=()',
  };
  if (secure) h['Strict-Transport-Security'] = 'max-age=31536000';
  return h;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The first language of an Accept-Language header that Intl supports, else "en". */
export function pickLocale(acceptLanguage: string | undefined): string {
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = (part.split(';')[0] ?? '').trim();
    if (!tag || tag === '*' || tag.length > 35) continue;
    try {
      const [l] = Intl.NumberFormat.supportedLocalesOf([tag]);
      if (l) return l;
    } catch {
      // not a well-formed language tag
    }
  }
  return 'en';
}

export function formatAmount(minor: number, currency: string, locale: string): string {
  const f = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}

export function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(new Date(ms));
}

function layout(title: string, body: string, lang: string): string {
  return (
    `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}

export interface PageOrder {
  merchant: string;
  description: string;
  amount: number;
  currency: string;
  expiresAt: number;
  /** the number that will pay, masked */
  maskedMsisdn: string;
}

/** The token placeholder of a rendered confirmation page; replaced per view (the digest covers the rest). */
export const CSRF_PLACEHOLDER = '\u0000csrf\u0000';

/** The confirmation page: merchant, description, amount, expiry, the masked number, Confirm and Cancel. */
export function confirmPage(o: PageOrder, locale: string): string {
  const amount = formatAmount(o.amount, o.currency, locale);
  const body =
    `<h1>Confirm your payment</h1>` +
    `<p>You are about to pay <strong>${escapeHtml(o.merchant)}</strong> with your mobile phone bill.</p>` +
    `<dl>` +
    `<dt>Merchant</dt><dd>${escapeHtml(o.merchant)}</dd>` +
    `<dt>For</dt><dd>${escapeHtml(o.description || '-')}</dd>` +
    `<dt>Amount</dt><dd class="amount">${escapeHtml(amount)}</dd>` +
    `<dt>Charged to</dt><dd><span aria-label="phone number ending in ${escapeHtml(o.maskedMsisdn.slice(-2).split('').join(' '))}">${escapeHtml(o.maskedMsisdn)}</span></dd>` +
    `<dt>Valid until</dt><dd>${escapeHtml(formatTime(o.expiresAt, locale))}</dd>` +
    `</dl>` +
    `<form method="post">` +
    `<input type="hidden" name="csrf" value="${CSRF_PLACEHOLDER}">` +
    `<div class="actions">` +
    `<button class="confirm" type="submit" name="action" value="confirm">Confirm payment of ${escapeHtml(amount)}</button>` +
    `<button class="cancel" type="submit" name="action" value="cancel">Cancel</button>` +
    `</div></form>` +
    `<p class="note">Nothing is charged unless you press Confirm. The amount is added to your phone bill or taken from your prepaid balance.</p>`;
  return layout(`Pay ${amount} to ${o.merchant}`, body, locale);
}

export interface OutcomePage {
  title: string;
  message: string;
  returnUrl?: string | null;
  merchant?: string;
}

/** Any page without a form: outcomes, the "open on mobile data" page, errors. */
export function messagePage(p: OutcomePage, locale: string): string {
  const back = p.returnUrl
    ? `<div class="actions"><a class="button" href="${escapeHtml(p.returnUrl)}" rel="noreferrer">Back to ${escapeHtml(p.merchant ?? 'the shop')}</a></div>`
    : '';
  return layout(
    p.title,
    `<h1>${escapeHtml(p.title)}</h1><p class="outcome" role="status">${escapeHtml(p.message)}</p>${back}`,
    locale,
  );
}

/** A person-readable reason for a declined or failed order. */
export function reasonText(reason: string | null): string {
  switch (reason) {
    case 'INSUFFICIENT_FUNDS':
      return 'Your balance is too low for this payment. Nothing was charged.';
    case 'CURRENCY_MISMATCH':
      return 'Your account cannot pay in this currency. Nothing was charged.';
    case 'LIMIT_PER_TRANSACTION':
      return 'This amount is above the limit for a single payment by phone. Nothing was charged.';
    case 'LIMIT_PER_MONTH':
      return 'This payment would go over your monthly limit for payments by phone. Nothing was charged.';
    case 'LIMIT_AMOUNT_PER_DAY':
      return 'This payment would go over your daily limit for payments by phone. Nothing was charged.';
    case 'LIMIT_ORDERS_PER_HOUR':
      return 'You have made too many payments by phone in the last hour. Nothing was charged; try again later.';
    case 'PLATFORM_DECLINED':
    case 'PLATFORM_REJECTED':
      return 'Your operator declined this payment. Nothing was charged.';
    case 'PHONE_NUMBER_MISMATCH':
      return 'This payment was requested for another phone number. Nothing was charged.';
    case 'TOKEN_CONFLICT':
      return 'This payment link was used from another phone. Nothing was charged.';
    default:
      return 'The payment could not be completed. Nothing was charged.';
  }
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
