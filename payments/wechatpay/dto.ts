/** Wire shapes of the WeChat Pay v3 endpoints we call (payments.md §1.1, §1.7). */

export interface WechatAmountRequest {
  total: number;
  currency: 'CNY';
}

export interface NativePrepayRequest {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  time_expire?: string;
  notify_url: string;
  amount: WechatAmountRequest;
}

export interface NativePrepayResponse {
  code_url: string;
}

export type WechatTradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export interface Transaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: WechatTradeState;
  trade_state_desc?: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid?: string };
  amount?: { total?: number; payer_total?: number; currency?: string; payer_currency?: string };
}

export interface CloseOrderRequest {
  mchid: string;
}

export interface CreateRefundRequest {
  out_trade_no: string;
  out_refund_no: string;
  reason: string;
  notify_url: string;
  amount: { refund: number; total: number; currency: 'CNY' };
}

export type WechatRefundStatus = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

export interface Refund {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  channel: 'ORIGINAL' | 'BALANCE' | 'OTHER_BALANCE' | 'OTHER_BANKCARD';
  user_received_account: string;
  success_time?: string;
  create_time: string;
  status: WechatRefundStatus;
  funds_account?: string;
  amount: {
    total: number;
    refund: number;
    payer_total: number;
    payer_refund: number;
    settlement_refund?: number;
    settlement_total?: number;
    discount_refund?: number;
    currency: 'CNY';
  };
}

export interface WechatErrorBody {
  code: string;
  message: string;
  detail?: unknown;
}

export interface NotificationEnvelope {
  id: string;
  create_time: string;
  resource_type: string;
  event_type: string;
  summary?: string;
  resource: {
    original_type: string;
    algorithm: string;
    ciphertext: string;
    associated_data?: string;
    nonce: string;
  };
}

export interface RefundNotificationResource {
  mchid: string;
  transaction_id: string;
  out_trade_no: string;
  refund_id: string;
  out_refund_no: string;
  refund_status: WechatRefundStatus;
  success_time?: string;
  user_received_account?: string;
  amount: { total: number; refund: number; payer_total: number; payer_refund: number };
}

/** GET /v3/bill/tradebill answer: where to download the day's bill and the SHA1 of the (uncompressed) file. */
export interface TradeBillAnswer {
  hash_type: 'SHA1';
  hash_value: string;
  download_url: string;
}
