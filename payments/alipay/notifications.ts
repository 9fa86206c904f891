/**
 * Alipay's asynchronous notifications (form-encoded POSTs): the signature checked with alipay-sdk,
 * then the payment or refund they report, in our words. Anything we cannot trust or read is
 * refused, and Alipay sends it again.
 */
import type { AlipaySdk } from 'alipay-sdk';
import { yuanStringToFen } from '../../domain/money';
import { NotificationRejectedError, PaymentState, ProviderNotification } from '../provider';
import { alipayTimeToIso } from '../provider-time';

export function readAlipayNotification(sdk: AlipaySdk, appId: string, rawBody: Buffer): ProviderNotification {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawBody.toString('utf8'))) params[k] = v;
  if (!params.sign) throw new NotificationRejectedError('no sign');
  let verified: boolean;
  try {
    verified = sdk.checkNotifySignV2(params);
  } catch (err) {
    throw new NotificationRejectedError(`signature check failed: ${(err as Error).message}`);
  }
  if (!verified) throw new NotificationRejectedError('bad signature');
  if (params.app_id !== appId) throw new NotificationRejectedError(`app_id ${params.app_id} is not ours`);
  const notificationId = params.notify_id;
  const outTradeNo = params.out_trade_no;
  const tradeStatus = params.trade_status;
  if (!notificationId || !outTradeNo || !tradeStatus) throw new NotificationRejectedError('missing notify_id, out_trade_no or trade_status');

  const amount = (name: string): number => {
    const v = params[name];
    if (v === undefined) throw new NotificationRejectedError(`missing ${name}`);
    try {
      return yuanStringToFen(v);
    } catch {
      throw new NotificationRejectedError(`${name} is not a yuan amount: ${v}`);
    }
  };

  // Refund notifications reuse trade_status_sync and are recognised by out_biz_no + refund_fee.
  if (params.out_biz_no && params.refund_fee !== undefined) {
    return {
      provider: 'alipay',
      notificationId,
      kind: 'refund',
      outTradeNo,
      outRefundNo: params.out_biz_no,
      ...(params.trade_no ? { providerRefundId: params.trade_no } : {}),
      status: 'SUCCESS',
      refundFen: amount('refund_fee'),
      ...(params.gmt_refund ? { succeededAt: notifiedInstant(params.gmt_refund, 'gmt_refund') } : {}),
    };
  }
  let state: PaymentState;
  if (tradeStatus === 'TRADE_SUCCESS' || tradeStatus === 'TRADE_FINISHED') state = 'PAID';
  else if (tradeStatus === 'TRADE_CLOSED') state = 'CLOSED';
  else throw new NotificationRejectedError(`unexpected trade_status ${tradeStatus}`);
  if (!params.trade_no) throw new NotificationRejectedError('missing trade_no');
  return {
    provider: 'alipay',
    notificationId,
    kind: 'payment',
    outTradeNo,
    transactionId: params.trade_no,
    state,
    amountFen: amount('total_amount'),
    ...(params.gmt_payment ? { paidAt: notifiedInstant(params.gmt_payment, 'gmt_payment') } : {}),
  };
}

/** A time in a signed notification; an unreadable one refuses the notification (Alipay sends it again). */
function notifiedInstant(text: string, field: string): string {
  try {
    return alipayTimeToIso(text, field);
  } catch (err) {
    throw new NotificationRejectedError((err as Error).message);
  }
}
