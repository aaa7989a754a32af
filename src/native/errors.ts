// The stable codes (`err.code`) of the errors the native addon throws and of
// the capture errors src/native raises from them: match these, never the
// message text.
export const NATIVE_ERROR_CODES = {
  /** an argument of the wrong type, or a method called on another kind of object (TypeError) */
  invalidArgument: 'ERR_GNPAY_INVALID_ARG',
  /** a number out of its range (RangeError) */
  outOfRange: 'ERR_GNPAY_OUT_OF_RANGE',
  /** the engine was closed */
  engineClosed: 'ERR_GNPAY_ENGINE_CLOSED',
  /** a BPF filter expression libpcap rejects (CaptureFilterError) */
  badFilter: 'ERR_GNPAY_BAD_FILTER',
  /** a live interface that cannot be opened or captured on */
  captureOpen: 'ERR_GNPAY_CAPTURE_OPEN',
  /** the --write file cannot be opened (CaptureWriteError) */
  write: 'ERR_GNPAY_WRITE',
  /** a capture file that cannot be read to its end (CaptureFileError) */
  captureFile: 'ERR_GNPAY_CAPTURE_FILE',
  /** a checkpoint that cannot be imported */
  checkpoint: 'ERR_GNPAY_CHECKPOINT',
  /** next() called again before its previous promise settled */
  streamBusy: 'ERR_GNPAY_STREAM_BUSY',
  /** the systemd notification could not be sent */
  sdNotify: 'ERR_GNPAY_SD_NOTIFY',
} as const;

export type NativeErrorCode = (typeof NATIVE_ERROR_CODES)[keyof typeof NATIVE_ERROR_CODES];

/** The code of an error (native or from src/native), or null. */
export function errorCode(err: unknown): string | null {
  const c = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : null;
}
