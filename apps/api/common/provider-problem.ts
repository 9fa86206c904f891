import { DomainError, ErrorCode } from '../../../domain/error-codes';
import type { ProviderError } from '../../../payments';

/** Retry-After of a PROVIDER_UNAVAILABLE answer: how long the caller waits before sending the request again. */
export const PROVIDER_RETRY_AFTER_SECONDS = 2;

/**
 * The API's answer when WeChat Pay or Alipay failed a call made for the request. The provider's error
 * class decides, not the words: a retryable failure (no answer in time, no connection, an unreadable
 * or unverifiable answer, the provider's own "call again" codes) is 503 PROVIDER_UNAVAILABLE with
 * Retry-After, since the call reuses its stable number and sending the request again is safe; anything
 * else is the provider's refusal, 502 PROVIDER_FAILED. `what` says which call, e.g. "create the payment".
 */
export function providerProblem(err: ProviderError, what: string): DomainError {
  if (err.retryable) {
    return new DomainError(ErrorCode.PROVIDER_UNAVAILABLE, `${err.provider} did not ${what} (${err.message}); nothing was refused: send the same request again`, {
      retryAfterSeconds: PROVIDER_RETRY_AFTER_SECONDS,
    });
  }
  return new DomainError(ErrorCode.PROVIDER_FAILED, `${err.provider} refused to ${what}: ${err.message}`);
}
