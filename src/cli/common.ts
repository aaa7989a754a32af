// Shared CLI plumbing: exit codes and errors that carry them.
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or configuration (a
// restart cannot fix it: the unit's RestartPreventExitStatus), 3 unreadable or
// corrupt capture, 4 a listener cannot bind its address (in use, not
// permitted; the service manager may retry).
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CAPTURE = 3;
export const EXIT_LISTEN = 4;

/** A listener that cannot bind its address. */
export class ListenError extends Error {
  constructor(
    readonly listener: string,
    readonly address: string,
    readonly code: string,
    cause: Error,
  ) {
    super(
      `cannot listen on ${address} (${listener}): ${code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : cause.message}`,
    );
    this.name = 'ListenError';
  }
}

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** commander option parser for positive integers. */
export function parsePositiveInt(name: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${name} must be a positive integer, got "${value}"`);
    }
    return Number(value);
  };
}

/** commander collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return (previous ?? []).concat([value]);
}
