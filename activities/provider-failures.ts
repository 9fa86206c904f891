import { ApplicationFailure } from '@temporalio/common';
import { ProviderError } from '../payments';
import { ErrorCode } from '../domain/error-codes';

/**
 * Turns a provider error into the Temporal failure that makes the retry policy do the right thing:
 * retryable errors (5xx, SYSTEM_ERROR, rate limits, timeouts with an unknown outcome) are retried with
 * backoff; needs-operator and final errors stop at once (no retry storm against the provider's
 * 6 qps limit for erroring calls) and let the workflow park the case for support.
 */
export function toActivityFailure(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  const details = [{ provider: err.provider, code: err.code, httpStatus: err.httpStatus, outcomeUnknown: err.outcomeUnknown }];
  if (err.errorClass === 'retryable') {
    // A rate limit asks for a slower retry than the default backoff.
    const nextRetryDelay = err.code === 'FREQUENCY_LIMITED' || err.httpStatus === 429 ? '10s' : undefined;
    return ApplicationFailure.create({ message: err.message, type: ErrorCode.ProviderRetryable, nonRetryable: false, details, nextRetryDelay });
  }
  const type = err.errorClass === 'needs-operator' ? ErrorCode.ProviderNeedsOperator : ErrorCode.ProviderFinal;
  return ApplicationFailure.create({ message: err.message, type, nonRetryable: true, details });
}

/** A provider call whose failure is the activity's failure, classified as above. */
export async function askProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
