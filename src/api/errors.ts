// Errors as {status, code, message} with a code of the registry.
import type { FastifyError } from 'fastify';
import { ERROR_CODES, type ErrorCode } from '../client/codes';
import type { ApiErrorBody } from '../client/types';
import { isStorageError } from '../store/db';
import { DomainError } from '../store/errors';

export { DomainError as ApiError };

export function errorBody(code: ErrorCode, message: string): ApiErrorBody {
  return { status: ERROR_CODES[code].status, code, message };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "body/amount must be >= 1", "body must NOT have additional property 'x'" */
export function validationMessage(context: string, errors: AjvError[]): string {
  const e = errors[0];
  if (!e) return `${context} is invalid`;
  const where = `${context}${e.instancePath}`;
  if (e.keyword === 'additionalProperties')
    return `${where} must NOT have additional property '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'enum' && e.instancePath === '/currency') return `${where} must be an ISO 4217 currency code`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/** Maps anything thrown while handling a request to the registry. */
export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof DomainError) return errorBody(err.code, err.message);
  if (isStorageError(err)) return errorBody('UNAVAILABLE', 'the database cannot be written just now; retry');
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation)
    return errorBody('INVALID_ARGUMENT', validationMessage(fe.validationContext ?? 'request', fe.validation));
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody('PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errorBody(
        'INVALID_ARGUMENT',
        fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the body is empty' : 'the body is not valid JSON',
      );
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return errorBody('INVALID_ARGUMENT', fe.message);
  }
  return errorBody('INTERNAL', 'internal error');
}
