// CAMARA amounts are decimal numbers in major units ("4.99" EUR); gnpay keeps
// integer minor units (499). The conversion works on the decimal digits of the
// number as written: a JSON number is parsed to the nearest double, whose
// shortest round-trip form (String(n)) gives back the decimal that was written
// for any amount of at most 15 significant digits. No floating-point
// arithmetic touches the value: the digits are shifted as text and checked
// against the currency's number of decimal places.
import { currencyExponent } from '../store/consent';

/** The most minor units an amount may have (as the /v1 API). */
export const MAX_MINOR = 1_000_000_000_000;

export type MinorResult = { ok: true; minor: number } | { ok: false; why: string };

/** Major units (a JSON number) to minor units of `currency`, exactly, or why not. */
export function toMinorUnits(value: number, currency: string): MinorResult {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    return { ok: false, why: 'must be a positive number' };
  const exp = currencyExponent(currency);
  const [mantissa = '', e] = String(value).toLowerCase().split('e');
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = (intPart + fracPart).replace(/^0+/, '') || '0';
  // value = digits * 10^(scale); minor = digits * 10^(scale + exp)
  const scale = (e === undefined ? 0 : Number(e)) - fracPart.length;
  const shift = scale + exp;
  let minor: bigint;
  if (shift >= 0) {
    if (shift > 15) return { ok: false, why: 'is too large' };
    minor = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const cut = digits.length + shift;
    const dropped = cut > 0 ? digits.slice(cut) : digits;
    if (/[1-9]/.test(dropped)) return { ok: false, why: `has more decimal places than ${currency} has (${exp})` };
    minor = cut > 0 ? BigInt(digits.slice(0, cut)) : 0n;
  }
  if (minor < 1n) return { ok: false, why: `is less than the smallest unit of ${currency}` };
  if (minor > BigInt(MAX_MINOR)) return { ok: false, why: 'is too large' };
  return { ok: true, minor: Number(minor) };
}

/** Minor units to the JSON number of major units that prints exactly (499 EUR -> 4.99; 5 JPY -> 5; 1234 KWD -> 1.234). */
export function toMajorUnits(minor: number, currency: string): number {
  const exp = currencyExponent(currency);
  if (exp === 0) return minor;
  const s = String(minor).padStart(exp + 1, '0');
  return Number(`${s.slice(0, -exp)}.${s.slice(-exp)}`);
}
