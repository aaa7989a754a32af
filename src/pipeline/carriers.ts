// The carriers the decode engine looks for: the one implied by the pay URL
// template first (so an order's payUrl always works), then the configured ones.
import type { Config } from '../config';
import { DEFAULT_PAY_URL_TEMPLATE } from '../pay-url-default';
import { parsePayUrlTemplate } from '../store/payurl';

export function activeCarriers(config: Pick<Config, 'payUrlTemplate' | 'carriers'>): string[] {
  return [...new Set([parsePayUrlTemplate(config.payUrlTemplate).carrier, ...config.carriers])];
}

/** The carriers of the default configuration: what `gnpay run` and `gnpay decode` look for when told nothing else. */
export const DEFAULT_CARRIERS: readonly string[] = activeCarriers({
  payUrlTemplate: DEFAULT_PAY_URL_TEMPLATE,
  carriers: [],
});
