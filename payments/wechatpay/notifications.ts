/**
 * WeChat Pay's notifications: the signature checked against the platform key, the AES-GCM resource
 * decrypted with the API v3 key, then the payment or refund it reports, in our words. Anything we
 * cannot trust or read is refused, and WeChat Pay sends it again.
 */
import type { KeyObject } from 'node:crypto';
import type { WechatPayConfig } from '../config';
import { NotificationRejectedError, ProviderNotification } from '../provider';
import { rfc3339ToIso } from '../provider-time';
import type { NotificationEnvelope, RefundNotificationResource, Transaction } from './dto';
import { decryptResource, wechatpaySignatureProblem } from './signing';
import { REFUND_STATUS } from './states';

export function readWechatPayNotification(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  config: WechatPayConfig,
  platformKeys: Map<string, KeyObject>,
  nowMs: number,
): ProviderNotification {
  const problem = wechatpaySignatureProblem(headers, rawBody, platformKeys, nowMs);
  if (problem) throw new NotificationRejectedError(problem);

  let envelope: NotificationEnvelope;
  try {
    envelope = JSON.parse(rawBody.toString('utf8')) as NotificationEnvelope;
  } catch {
    throw new NotificationRejectedError('body is not JSON');
  }
  if (!envelope || typeof envelope.id !== 'string' || !envelope.resource || typeof envelope.resource.ciphertext !== 'string') {
    throw new NotificationRejectedError('not a WeChat Pay notification envelope');
  }
  if (typeof envelope.event_type !== 'string') throw new NotificationRejectedError('notification without a string event_type');
  let plaintext: string;
  try {
    plaintext = decryptResource(envelope.resource, config.apiV3Key);
  } catch (err) {
    throw new NotificationRejectedError(`resource does not decrypt: ${(err as Error).message}`);
  }
  let resource: unknown;
  try {
    resource = JSON.parse(plaintext);
  } catch {
    throw new NotificationRejectedError('decrypted resource is not JSON');
  }

  if (envelope.event_type === 'TRANSACTION.SUCCESS') {
    const tx = resource as Transaction;
    if (tx.mchid !== config.mchid || tx.appid !== config.appid) throw new NotificationRejectedError('payment notification for another merchant or app');
    if (tx.trade_state !== 'SUCCESS' || !tx.transaction_id || typeof tx.amount?.total !== 'number') {
      throw new NotificationRejectedError('payment notification without a successful transaction');
    }
    return {
      provider: 'wechatpay',
      notificationId: envelope.id,
      kind: 'payment',
      outTradeNo: tx.out_trade_no,
      transactionId: tx.transaction_id,
      state: 'PAID',
      amountFen: tx.amount.total,
      ...(tx.success_time ? { paidAt: notifiedInstant(tx.success_time, 'success_time') } : {}),
    };
  }
  if (envelope.event_type.startsWith('REFUND.')) {
    const r = resource as RefundNotificationResource;
    if (r.mchid !== config.mchid) throw new NotificationRejectedError('refund notification for another merchant');
    const status = REFUND_STATUS[r.refund_status];
    if (!status || typeof r.amount?.refund !== 'number') throw new NotificationRejectedError('refund notification without refund_status/amount');
    return {
      provider: 'wechatpay',
      notificationId: envelope.id,
      kind: 'refund',
      outTradeNo: r.out_trade_no,
      outRefundNo: r.out_refund_no,
      providerRefundId: r.refund_id,
      status,
      refundFen: r.amount.refund,
      ...(r.success_time ? { succeededAt: notifiedInstant(r.success_time, 'success_time') } : {}),
    };
  }
  throw new NotificationRejectedError(`unsupported event_type ${envelope.event_type}`);
}

/** A time in a signed notification; an unreadable one refuses the notification (WeChat Pay sends it again). */
function notifiedInstant(text: string, field: string): string {
  try {
    return rfc3339ToIso(text, field);
  } catch (err) {
    throw new NotificationRejectedError((err as Error).message);
  }
}
