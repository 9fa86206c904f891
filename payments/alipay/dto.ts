/**
 * Wire shapes of the Alipay OpenAPI v2 answers we read (snake_case: the SDK runs with camelcase off
 * so names match the docs).
 */

export interface AlipayResult {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

export interface PrecreateResult extends AlipayResult {
  out_trade_no?: string;
  qr_code?: string;
}

export interface TradeQueryResult extends AlipayResult {
  trade_no?: string;
  out_trade_no?: string;
  trade_status?: 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';
  total_amount?: string;
  send_pay_date?: string;
}

export interface RefundCreateResult extends AlipayResult {
  trade_no?: string;
  out_trade_no?: string;
  fund_change?: string;
  refund_fee?: string;
  gmt_refund_pay?: string;
}

export interface BillUrlResult extends AlipayResult {
  bill_download_url?: string;
}

export interface RefundQueryResultWire extends AlipayResult {
  out_request_no?: string;
  out_trade_no?: string;
  trade_no?: string;
  refund_amount?: string;
  refund_status?: string;
  gmt_refund_pay?: string;
}
