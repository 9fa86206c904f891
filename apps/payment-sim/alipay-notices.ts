/** Alipay notifications: form-encoded trade_status_sync posts, signed, forgeable on request. */
import { randomBytes } from 'node:crypto';
import { fenToYuanString } from '../../domain/money';
import { alipayDateTime, flipBase64, signAlipayParams } from './alipay-signing';
import type { ProviderEvents, SimClock } from './ledger';
import { concerning, type Notifier, type OutgoingNotification } from './notifier';
import type { SimKeys } from './sim-keys';
import type { ForgeMode, SimRefund, SimTrade } from './types';

export class AlipayNotices implements ProviderEvents {
  constructor(
    private readonly keys: SimKeys,
    private readonly notifier: Notifier,
    private readonly clock: SimClock,
  ) {}

  private alipayNotification(trade: SimTrade, kind: 'payment' | 'refund', tradeStatus: string, extra: Record<string, string>, outRefundNo?: string): OutgoingNotification {
    const notifyId = `2024${randomBytes(14).toString('hex')}`;
    const a = this.keys.dev.alipay;
    const now = this.clock.now();
    const base: Record<string, string> = {
      notify_time: alipayDateTime(now),
      notify_type: 'trade_status_sync',
      notify_id: notifyId,
      app_id: a.appId,
      auth_app_id: a.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.transactionId,
      out_trade_no: trade.outTradeNo,
      buyer_id: '2088000000000001',
      buyer_logon_id: 'sim***@example.com',
      seller_id: '2088000000000999',
      seller_email: 'seller@example.com',
      trade_status: tradeStatus,
      total_amount: fenToYuanString(trade.totalFen),
      receipt_amount: fenToYuanString(trade.totalFen),
      buyer_pay_amount: fenToYuanString(trade.totalFen),
      subject: trade.description,
      gmt_create: trade.createdAt,
      ...(trade.paidAt ? { gmt_payment: trade.paidAt } : {}),
      ...extra,
    };
    return {
      provider: 'alipay',
      notificationId: notifyId,
      kind,
      ...concerning(trade, outRefundNo),
      event: tradeStatus,
      url: trade.notifyUrl,
      render: (forge?: ForgeMode) => {
        let signed: Record<string, string>;
        if (forge === 'wrong-app-id') signed = signAlipayParams({ ...base, app_id: '2021000000000000', auth_app_id: '2021000000000000' }, this.keys.alipayKey);
        else if (forge === 'unknown-key') signed = signAlipayParams(base, this.keys.attackerKey);
        else signed = signAlipayParams(base, this.keys.alipayKey);
        // Alipay notifications carry no timestamp window, key serial or ciphertext; those WeChat
        // forgeries map to the nearest Alipay equivalent (a broken signature / a changed amount).
        if (forge === 'bad-signature' || forge === 'signature-probe' || forge === 'stale-timestamp' || forge === 'unknown-serial') signed.sign = flipBase64(signed.sign);
        if (forge === 'tampered-amount' || forge === 'tampered-ciphertext') signed.total_amount = fenToYuanString(trade.totalFen + 1);
        return { headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(signed).toString() };
      },
    };
  }

  paid(trade: SimTrade): void {
    if (!trade.notifyUrl) return;
    this.notifier.emit(this.alipayNotification(trade, 'payment', 'TRADE_SUCCESS', {}));
  }

  /** Alipay tells only of a refund that moved money (a trade status change), not of a failed one. */
  refundSettled(refund: SimRefund, trade: SimTrade): void {
    if (refund.status !== 'SUCCESS') return;
    if (!trade.notifyUrl) return;
    const status = trade.status === 'REFUNDED' ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
    this.notifier.emit(
      this.alipayNotification(
        trade,
        'refund',
        status,
        { out_biz_no: refund.outRefundNo, refund_fee: fenToYuanString(trade.refundedFen), gmt_refund: refund.successTime ?? alipayDateTime(this.clock.now()), ...(status === 'TRADE_CLOSED' ? { gmt_close: refund.successTime ?? '' } : {}) },
        refund.outRefundNo,
      ),
    );
  }
}
