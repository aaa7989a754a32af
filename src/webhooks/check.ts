// The one check of a webhook URL an SP or the operator sets: an http(s) URL
// whose host, when it is a literal address, the destination policy allows
// (a name is checked again on every connection, where it resolves).
import { DestinationPolicy } from './destination';

/** Why `url` cannot be a webhook URL, or null. */
export function webhookUrlProblem(url: string, policy: DestinationPolicy = new DestinationPolicy()): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an http(s) URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  try {
    policy.checkHost(u.hostname);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}
