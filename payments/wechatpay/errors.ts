/**
 * How a WeChat Pay call that went wrong becomes a ProviderError: no answer at all, an answer whose
 * signature does not check, an answer we cannot read, or WeChat's own error body (its code classified
 * by error-classes.ts); likewise for the trade bill download.
 */
import { classifyWechatPayError } from '../error-classes';
import { ProviderError } from '../provider';
import type { WechatErrorBody } from './dto';

/** A verified answer we cannot make sense of: we do not know what WeChat Pay did. */
export function malformedAnswer(message: string): ProviderError {
  return new ProviderError({ provider: 'wechatpay', errorClass: 'retryable', code: 'INVALID_RESPONSE', message, outcomeUnknown: true });
}

/** fetch threw: the request may or may not have reached WeChat Pay. */
export function unansweredCall(err: unknown, timeoutMs: number): ProviderError {
  const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
  return new ProviderError({
    provider: 'wechatpay',
    errorClass: 'retryable',
    code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
    message: timedOut ? `no answer within ${timeoutMs} ms` : (err as Error).message,
    outcomeUnknown: true,
    cause: err,
  });
}

/** An answer that should be signed by WeChat Pay and is not provably so. */
export function unverifiedAnswer(httpStatus: number, problem: string): ProviderError {
  return new ProviderError({
    provider: 'wechatpay',
    errorClass: 'retryable',
    code: 'INVALID_RESPONSE_SIGNATURE',
    message: `HTTP ${httpStatus} answer not accepted: ${problem}`,
    httpStatus,
    outcomeUnknown: true,
  });
}

/** A non-2xx answer: WeChat's error code when the body has one, else the HTTP status. */
export function errorAnswer(httpStatus: number, body: Buffer, mutating: boolean): ProviderError {
  let error: Partial<WechatErrorBody> = {};
  try {
    error = JSON.parse(body.toString('utf8')) as WechatErrorBody;
  } catch {
    // keep the HTTP status as the only information
  }
  const code = typeof error.code === 'string' && error.code !== '' ? error.code : `HTTP_${httpStatus}`;
  const errorClass = classifyWechatPayError(code, httpStatus);
  return new ProviderError({
    provider: 'wechatpay',
    errorClass,
    code,
    message: typeof error.message === 'string' ? error.message : `HTTP ${httpStatus}`,
    httpStatus,
    outcomeUnknown: mutating && httpStatus >= 500,
  });
}

/** The bill download never got an answer (it changes nothing, so the outcome is not in doubt). */
export function billDownloadUnanswered(err: unknown): ProviderError {
  return new ProviderError({ provider: 'wechatpay', errorClass: 'retryable', code: 'NETWORK_ERROR', message: (err as Error).message, cause: err });
}

/** The bill download was answered without a file. */
export function billDownloadRefused(httpStatus: number, text: string): ProviderError {
  let code = `HTTP_${httpStatus}`;
  try {
    code = (JSON.parse(text) as WechatErrorBody).code || code;
  } catch {
    // not JSON
  }
  return new ProviderError({ provider: 'wechatpay', errorClass: classifyWechatPayError(code, httpStatus), code, message: `bill download: HTTP ${httpStatus}`, httpStatus });
}
