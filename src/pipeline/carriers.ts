// The carriers the decode engine looks for: the one implied by the pay URL
// template first (so an order's payUrl always works), then the configured ones.
import type { Config } from '../config';
import { parsePayUrlTemplate } from '../store/payurl';

export function activeCarriers(config: Pick<Config, 'payUrlTemplate' | 'carriers'>): string[] {
  return [...new Set([parsePayUrlTemplate(config.payUrlTemplate).carrier, ...config.carriers])];
}
