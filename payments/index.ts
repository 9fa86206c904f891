import { AlipayProvider } from './alipay/client';
import type { PaymentConfig } from './config';
import type { PaymentProvider, ProviderName } from './provider';
import { WechatPayProvider } from './wechatpay/client';

export * from './provider';
export * from './bills';
export { readPaymentConfig } from './config';
export type { PaymentConfig, WechatPayConfig, AlipayConfig } from './config';
export { ensureDevKeys } from './dev-keys';
export type { DevKeys } from './dev-keys';
export { classifyWechatPayError, classifyAlipayError, isRefundTooFrequent } from './error-classes';

export function createPaymentProviders(config: PaymentConfig): Record<ProviderName, PaymentProvider> {
  return {
    wechatpay: new WechatPayProvider({ config: config.wechatpay, timeoutMs: config.httpTimeoutMs }),
    alipay: new AlipayProvider({ config: config.alipay, timeoutMs: config.httpTimeoutMs }),
  };
}
