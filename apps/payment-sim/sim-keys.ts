import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { ensureDevKeys, DevKeys } from '../../payments/dev-keys';

/** The simulator's side of the development keys, loaded once per server. */
export interface SimKeys {
  dev: DevKeys;
  /** Verifies the merchant's WeChat Pay requests. */
  merchantKey: KeyObject;
  /** Signs WeChat Pay answers and notifications. */
  wechatPlatformKey: KeyObject;
  /** Verifies the merchant's Alipay requests. */
  appPublicKey: KeyObject;
  /** Signs Alipay answers, notifications and return parameters. */
  alipayKey: KeyObject;
  /** Signs forgeries "from an unknown key". */
  attackerKey: KeyObject;
}

export function loadSimKeys(keysDir: string): SimKeys {
  const dev = ensureDevKeys(keysDir);
  return {
    dev,
    merchantKey: createPublicKey(dev.wechatpay.merchantPublicKeyPem),
    wechatPlatformKey: createPrivateKey(dev.wechatpay.platformPrivateKeyPem),
    appPublicKey: createPublicKey(dev.alipay.appPublicKeyPem),
    alipayKey: createPrivateKey(dev.alipay.alipayPrivateKeyPem),
    attackerKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  };
}
