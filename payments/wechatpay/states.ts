/** WeChat Pay's trade and refund states in our words. */
import type { PaymentState, RefundStatus } from '../provider';
import type { WechatRefundStatus, WechatTradeState } from './dto';

export const TRADE_STATE: Record<WechatTradeState, PaymentState> = {
  SUCCESS: 'PAID',
  // WeChat reports REFUND ("转入退款") for a trade with refunds; the simulator only does so once fully refunded.
  REFUND: 'REFUNDED',
  NOTPAY: 'NOTPAY',
  USERPAYING: 'NOTPAY',
  PAYERROR: 'NOTPAY',
  CLOSED: 'CLOSED',
  REVOKED: 'CLOSED',
};

export const REFUND_STATUS: Record<WechatRefundStatus, RefundStatus> = {
  SUCCESS: 'SUCCESS',
  PROCESSING: 'PROCESSING',
  ABNORMAL: 'ABNORMAL',
  CLOSED: 'CLOSED',
};
