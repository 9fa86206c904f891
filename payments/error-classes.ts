import type { ProviderErrorClass } from './provider';

/**
 * Which provider errors are worth retrying, which need a human, and which will never succeed.
 * Sources: payments.md §1.3 (WeChat Pay refund/query tables) and §2.1/§2.3 (Alipay gateway codes
 * and ACQ sub-codes). Codes we invent for transport faults are listed with them so that one
 * table decides every retry.
 */

/** Our own codes for failures that never reached a verified provider answer. */
export const TRANSPORT_CODES = ['TIMEOUT', 'NETWORK_ERROR', 'INVALID_RESPONSE_SIGNATURE', 'INVALID_RESPONSE'] as const;

const WECHATPAY_RETRYABLE = new Set<string>([
  ...TRANSPORT_CODES,
  'SYSTEM_ERROR',
  'SYSTEMERROR',
  'SERVICE_UNAVAILABLE',
  'FREQUENCY_LIMITED',
  'RATELIMIT_EXCEEDED',
  'BANK_ERROR',
  'BIZ_ERR_NEED_RETRY',
]);

/** Business conditions that a retry cannot fix until someone acts (top up, contact the buyer). */
const WECHATPAY_NEEDS_OPERATOR = new Set<string>(['NOT_ENOUGH', 'USER_ACCOUNT_ABNORMAL']);

export function classifyWechatPayError(code: string, httpStatus?: number): ProviderErrorClass {
  if (WECHATPAY_NEEDS_OPERATOR.has(code)) return 'needs-operator';
  if (WECHATPAY_RETRYABLE.has(code)) return 'retryable';
  // An unlisted 5xx or 429 is still the provider saying "not now": same parameters, try again.
  if (httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429)) return 'retryable';
  return 'final';
}

const ALIPAY_RETRYABLE_SUB_CODES = new Set<string>([
  ...TRANSPORT_CODES,
  'ACQ.SYSTEM_ERROR',
  'isp.unknow-error',
  'aop.unknow-error',
]);

const ALIPAY_NEEDS_OPERATOR_SUB_CODES = new Set<string>([
  'ACQ.SELLER_BALANCE_NOT_ENOUGH',
  'ACQ.REASON_TRADE_BEEN_FREEZEN',
  'ACQ.BUYER_ERROR',
]);

/**
 * `code` is the gateway code ('20000', '40004', ...) or one of our transport codes;
 * `subCode` is Alipay's sub_code when there is one.
 */
export function classifyAlipayError(code: string, subCode?: string, httpStatus?: number): ProviderErrorClass {
  if (subCode !== undefined && ALIPAY_NEEDS_OPERATOR_SUB_CODES.has(subCode)) return 'needs-operator';
  if (subCode !== undefined && ALIPAY_RETRYABLE_SUB_CODES.has(subCode)) return 'retryable';
  if (ALIPAY_RETRYABLE_SUB_CODES.has(code)) return 'retryable';
  // 20000: "service unavailable, outcome unknown" whatever the sub_code says.
  if (code === '20000') return 'retryable';
  if (httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429)) return 'retryable';
  return 'final';
}

/**
 * A refund create the provider turned down for coming too soon after another refund of the same
 * payment (the spacing of domain/refund-provider-rules.ts): WeChat Pay's 429 FREQUENCY_LIMITED;
 * for Alipay, whose documentation names no code for it, ACQ.SYSTEM_ERROR, the answer the simulator
 * gives and whose documented remedy ("retry with the same parameters") is the same. The refund
 * workflow waits for a new slot and resubmits the same number (querying first).
 */
export function isRefundTooFrequent(provider: 'wechatpay' | 'alipay', code: string): boolean {
  return provider === 'wechatpay' ? code === 'FREQUENCY_LIMITED' : code === 'ACQ.SYSTEM_ERROR';
}
