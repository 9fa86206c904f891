import { DomainError, ERROR_CATALOGUE, ErrorCode, isErrorCode } from '../../../domain/error-codes';

/**
 * The first answer to a request with an Idempotency-Key, kept so that a retry gets it again
 * (cancellations, after-sale applications, goodwill refunds). A refusal is kept as its code and
 * detail and, answered or replayed, thrown, so the exception filter writes it like every other
 * refusal (application/problem+json).
 */
export interface StoredAnswer {
  httpStatus: number;
  body: any;
}

/** A refusal to keep: its code's status, and the code and detail. */
export function refusedAnswer(refusal: DomainError): StoredAnswer {
  return { httpStatus: ERROR_CATALOGUE[refusal.code].status, body: { code: refusal.code, detail: refusal.message, ...refusal.details } };
}

/**
 * Sets the status of an answer that went through and returns its body; throws a refusal. Answers
 * kept before problem documents ({ statusCode, error, code?, message }) replay with the same code
 * (CONFLICT when they had none).
 */
export function answerOf(stored: StoredAnswer, response: { status(code: number): unknown }): unknown {
  if (stored.httpStatus < 400) {
    response.status(stored.httpStatus);
    return stored.body;
  }
  const { code, detail, message, statusCode: _status, error: _error, ...details } = (stored.body ?? {}) as Record<string, unknown>;
  const text = typeof detail === 'string' ? detail : typeof message === 'string' ? message : 'refused';
  throw new DomainError(isErrorCode(code) ? code : ErrorCode.CONFLICT, text, Object.keys(details).length ? details : undefined);
}
