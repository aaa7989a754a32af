// The daemon's exit-code policy (the codes themselves are one table in cli/common).
import { EXIT_CAPTURE, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli/common';
import { errorCode, NATIVE_ERROR_CODES } from '../native/errors';

/** A source that failed: an unreadable capture file 3, a filter libpcap rejects 2, anything else 1 (by err.code). */
export function sourceFailureCode(err: unknown): number {
  const c = errorCode(err);
  if (c === NATIVE_ERROR_CODES.captureFile) return EXIT_CAPTURE;
  if (c === NATIVE_ERROR_CODES.badFilter) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** A clean stop that lost sightings (or left a payment in doubt) still fails: the run did not do all its work. */
export function finalCode(code: number, lost: { sightings: number; inDoubt?: number }): number {
  if (code === EXIT_OK && (lost.sightings > 0 || (lost.inDoubt ?? 0) > 0)) return EXIT_FAILURE;
  return code;
}
