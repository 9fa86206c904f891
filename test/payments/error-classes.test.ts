import { classifyAlipayError, classifyWechatPayError } from '../../payments/error-classes';

describe('WeChat Pay error classes (payments.md §1.3)', () => {
  it.each([
    ['SYSTEM_ERROR', 500, 'retryable'],
    ['SERVICE_UNAVAILABLE', 503, 'retryable'],
    ['FREQUENCY_LIMITED', 429, 'retryable'],
    ['RATELIMIT_EXCEEDED', 429, 'retryable'],
    ['BANK_ERROR', 500, 'retryable'],
    ['TIMEOUT', undefined, 'retryable'],
    ['NETWORK_ERROR', undefined, 'retryable'],
    ['INVALID_RESPONSE_SIGNATURE', 200, 'retryable'],
    ['INVALID_RESPONSE', 200, 'retryable'],
    ['HTTP_502', 502, 'retryable'],
    ['NOT_ENOUGH', 403, 'needs-operator'],
    ['USER_ACCOUNT_ABNORMAL', 403, 'needs-operator'],
    ['PARAM_ERROR', 400, 'final'],
    ['INVALID_REQUEST', 400, 'final'],
    ['RESOURCE_NOT_EXISTS', 404, 'final'],
    ['ORDER_NOT_EXIST', 404, 'final'],
    ['MCH_NOT_EXISTS', 404, 'final'],
    ['SIGN_ERROR', 401, 'final'],
    ['NO_AUTH', 403, 'final'],
    ['ORDER_PAID', 400, 'final'],
  ] as const)('%s (HTTP %p) is %s', (code, status, expected) => {
    expect(classifyWechatPayError(code, status)).toBe(expected);
  });
});

describe('Alipay error classes (payments.md §2.1, §2.3)', () => {
  it.each([
    ['40004', 'ACQ.SYSTEM_ERROR', 'retryable'],
    ['20000', 'isp.unknow-error', 'retryable'],
    ['20000', 'aop.unknow-error', 'retryable'],
    ['20000', undefined, 'retryable'],
    ['TIMEOUT', undefined, 'retryable'],
    ['INVALID_RESPONSE_SIGNATURE', undefined, 'retryable'],
    ['40004', 'ACQ.SELLER_BALANCE_NOT_ENOUGH', 'needs-operator'],
    ['40004', 'ACQ.REASON_TRADE_BEEN_FREEZEN', 'needs-operator'],
    ['40004', 'ACQ.TRADE_NOT_EXIST', 'final'],
    ['40004', 'ACQ.DISCORDANT_REPEAT_REQUEST', 'final'],
    ['40004', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'final'],
    ['40004', 'ACQ.TRADE_HAS_FINISHED', 'final'],
    ['40004', 'ACQ.TRADE_STATUS_ERROR', 'final'],
    ['40004', 'ACQ.INVALID_PARAMETER', 'final'],
    ['40004', 'ACQ.TRADE_NOT_ALLOW_REFUND', 'final'],
    ['40002', 'isv.invalid-signature', 'final'],
    ['40006', 'isv.insufficient-isv-permissions', 'final'],
  ] as const)('%s / %s is %s', (code, subCode, expected) => {
    expect(classifyAlipayError(code, subCode)).toBe(expected);
  });

  it('treats HTTP 5xx without a body as retryable', () => {
    expect(classifyAlipayError('HTTP_502', undefined, 502)).toBe('retryable');
    expect(classifyAlipayError('HTTP_404', undefined, 404)).toBe('final');
  });
});
