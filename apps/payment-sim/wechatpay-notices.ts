/** WeChat Pay v3 notifications: encrypted resource, signed like an answer, forgeable on request. */
import { randomBytes } from 'node:crypto';
import { encryptResource, MAX_CLOCK_SKEW_SECONDS, newNonce, responseMessage, rfc3339China, SIGNATURE_PROBE_PREFIX, signRsaSha256, unixSeconds } from '../../payments/wechatpay/signing';
import { flipBase64 } from './alipay-signing';
import type { ProviderEvents } from './ledger';
import { concerning, type Notifier, type OutgoingNotification } from './notifier';
import type { SimKeys } from './sim-keys';
import type { ForgeMode, SimRefund, SimTrade } from './types';
import { wechatTransaction } from './wechatpay-gateway';

export class WechatPayNotices implements ProviderEvents {
  constructor(
    private readonly keys: SimKeys,
    private readonly notifier: Notifier,
  ) {}

  private wechatNotification(
    trade: SimTrade,
    kind: 'payment' | 'refund',
    event: string,
    summary: string,
    originalType: 'transaction' | 'refund',
    url: string,
    resource: Record<string, unknown>,
    outRefundNo?: string,
  ): OutgoingNotification {
    const id = randomBytes(16).toString('hex');
    const w = this.keys.dev.wechatpay;
    const plaintext = JSON.stringify(resource);
    return {
      provider: 'wechatpay',
      notificationId: id,
      kind,
      ...concerning(trade, outRefundNo),
      event,
      url,
      render: (forge?: ForgeMode) => {
        const nonce = newNonce(12);
        let ciphertext = encryptResource(plaintext, w.apiV3Key, nonce, originalType);
        if (forge === 'tampered-ciphertext') {
          const bytes = Buffer.from(ciphertext, 'base64');
          bytes[0] ^= 0x01;
          ciphertext = bytes.toString('base64');
        }
        const body = JSON.stringify({
          id,
          create_time: rfc3339China(new Date()),
          resource_type: 'encrypt-resource',
          event_type: event,
          summary,
          resource: { original_type: originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: originalType, nonce },
        });
        const timestamp = String(forge === 'stale-timestamp' ? unixSeconds() - MAX_CLOCK_SKEW_SECONDS - 60 : unixSeconds());
        const sigNonce = newNonce();
        const signer = forge === 'unknown-key' || forge === 'unknown-serial' ? this.keys.attackerKey : this.keys.wechatPlatformKey;
        let signature = signRsaSha256(responseMessage(timestamp, sigNonce, body), signer);
        if (forge === 'bad-signature') signature = flipBase64(signature);
        if (forge === 'signature-probe') signature = `${SIGNATURE_PROBE_PREFIX}${randomBytes(32).toString('base64')}`;
        return {
          headers: {
            'Content-Type': 'application/json',
            'Wechatpay-Timestamp': timestamp,
            'Wechatpay-Nonce': sigNonce,
            'Wechatpay-Signature': signature,
            'Wechatpay-Serial': forge === 'unknown-serial' ? 'PUB_KEY_ID_0000000000UNKNOWN' : w.platformPublicKeyId,
            'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
            'Request-ID': `sim-${randomBytes(8).toString('hex')}`,
          },
          body,
        };
      },
    };
  }

  paid(trade: SimTrade): void {
    const resource = { ...wechatTransaction(trade, this.keys.dev), trade_state: 'SUCCESS', trade_state_desc: '支付成功' };
    this.notifier.emit(this.wechatNotification(trade, 'payment', 'TRANSACTION.SUCCESS', '支付成功', 'transaction', trade.notifyUrl, resource));
  }

  /** Every settled state is told (SUCCESS, ABNORMAL, CLOSED), when the refund named a notify_url. */
  refundSettled(refund: SimRefund, trade: SimTrade): void {
    if (!refund.notifyUrl) return;
    const resource = {
      mchid: this.keys.dev.wechatpay.mchid,
      transaction_id: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      refund_status: refund.status,
      ...(refund.successTime ? { success_time: refund.successTime } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: refund.totalFen, refund: refund.amountFen, payer_total: refund.totalFen, payer_refund: refund.amountFen },
    };
    const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭', PROCESSING: '退款处理中' }[refund.status];
    this.notifier.emit(this.wechatNotification(trade, 'refund', `REFUND.${refund.status}`, summary, 'refund', refund.notifyUrl, resource, refund.outRefundNo));
  }
}
