/**
 * How an Alipay call that went wrong becomes a ProviderError: an answer we cannot read, a business
 * refusal (code / sub_code, classified by error-classes.ts), or an alipay-sdk failure before any
 * verified answer (transport, HTTP status, unverifiable body).
 */
import { classifyAlipayError } from '../error-classes';
import { ProviderError } from '../provider';
import type { AlipayResult } from './dto';

/** A verified answer we cannot make sense of: we do not know what Alipay did. */
export function malformedAnswer(message: string): ProviderError {
  return new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: 'INVALID_RESPONSE', message, outcomeUnknown: true });
}

/** A verified answer whose code is not 10000. */
export function businessError(res: AlipayResult, mutating: boolean): ProviderError {
  const code = res.sub_code ?? res.code;
  const errorClass = classifyAlipayError(res.code, res.sub_code);
  return new ProviderError({
    provider: 'alipay',
    errorClass,
    code,
    message: `${res.code} ${res.msg}${res.sub_msg ? `: ${res.sub_msg}` : ''}`,
    // 20000 / ACQ.SYSTEM_ERROR: "此时业务处理结果是未知的".
    outcomeUnknown: mutating && errorClass === 'retryable',
  });
}

/** Anything alipay-sdk threw: the SDK reports HTTP statuses and transport faults only in its message. */
export function sdkFailure(err: unknown, mutating: boolean): ProviderError {
  const e = err as Error & { cause?: Error & { name?: string; code?: string } };
  const message = e?.message ?? String(err);
  const statusMatch = /status: (\d{3})/.exec(message);
  if (statusMatch) {
    const httpStatus = Number(statusMatch[1]);
    return new ProviderError({
      provider: 'alipay',
      errorClass: classifyAlipayError(`HTTP_${httpStatus}`, undefined, httpStatus),
      code: `HTTP_${httpStatus}`,
      message,
      httpStatus,
      outcomeUnknown: mutating && httpStatus >= 500,
      cause: err,
    });
  }
  if (message.startsWith('HttpClient Request error')) {
    const timedOut = /timeout/i.test(`${e.cause?.name ?? ''} ${e.cause?.code ?? ''} ${message}`);
    return new ProviderError({
      provider: 'alipay',
      errorClass: 'retryable',
      code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
      message,
      outcomeUnknown: true,
      cause: err,
    });
  }
  return new ProviderError({
    provider: 'alipay',
    errorClass: 'retryable',
    code: /验签|sign/i.test(message) ? 'INVALID_RESPONSE_SIGNATURE' : 'INVALID_RESPONSE',
    message,
    outcomeUnknown: true,
    cause: err,
  });
}
