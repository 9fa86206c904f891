import { ensureDevKeys } from '../../payments/dev-keys';
import { encryptResource, newNonce, responseMessage, signRsaSha256, unixSeconds } from '../../payments/wechatpay/signing';
import type { TestSystem } from './system';

/**
 * Posts a WeChat Pay TRANSACTION.SUCCESS notification for `transaction` to the API, encrypted and
 * signed with the development platform keys exactly as WeChat Pay would: only what the API checks
 * after the signature (the amount, whether the provider confirms it) can refuse it.
 */
export async function postSignedWechatPayment(system: TestSystem, eventId: string, transaction: Record<string, unknown>): Promise<Response> {
  const w = ensureDevKeys(system.config.payments.keysDir).wechatpay;
  const nonce = newNonce(12);
  const ciphertext = encryptResource(JSON.stringify({ mchid: w.mchid, appid: w.appid, ...transaction }), w.apiV3Key, nonce, 'transaction');
  const body = JSON.stringify({ id: eventId, create_time: '', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce } });
  const ts = String(unixSeconds());
  const sigNonce = newNonce();
  return fetch(`${system.apiUrl}/notify/wechatpay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'wechatpay-timestamp': ts, 'wechatpay-nonce': sigNonce, 'wechatpay-serial': w.platformPublicKeyId, 'wechatpay-signature': signRsaSha256(responseMessage(ts, sigNonce, body), w.platformPrivateKeyPem) },
    body,
  });
}
