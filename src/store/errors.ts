// A failure the API reports with a code of the registry (src/client/codes.ts).
import { ERROR_CODES, type ErrorCode } from '../client/codes';

export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
    this.status = ERROR_CODES[code].status;
  }
}
