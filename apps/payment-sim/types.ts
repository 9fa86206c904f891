/** Shapes of the simulator's control API (`/__sim/...`); shared with test/payments/sim-control.ts. */

export type SimProvider = 'wechatpay' | 'alipay';
export type SimOperation = 'createPayment' | 'queryPayment' | 'closePayment' | 'submitRefund' | 'queryRefund' | 'tradeBill';
export type SimTradeStatus = 'NOTPAY' | 'PAID' | 'CLOSED' | 'REFUNDED';
export type SimRefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

/**
 * One scripted answer. Any other string is a provider error code returned without applying the
 * call (WeChat: PARAM_ERROR, NOT_ENOUGH, ...; Alipay: ACQ.SYSTEM_ERROR, isp.unknow-error, ...).
 */
export type FaultOutcome =
  | '500'
  | 'timeout-before-commit'
  | 'commit-then-timeout'
  | 'commit-then-500'
  | 'rate-limit'
  | 'bad-signature'
  | 'stale-timestamp'
  | 'unknown-serial'
  /** Answered as without a fault, but only after the rule's delayMs: a slow provider (it applies the call even if the client stopped waiting). */
  | 'slow'
  | (string & {});

export interface FaultRule {
  provider?: SimProvider;
  operation: SimOperation;
  /** out_refund_no for refund operations, out_trade_no for the others; absent = any. */
  key?: string;
  outcomes: FaultOutcome[];
  /** For 'slow': how long each answer is held (default 1000 ms). */
  delayMs?: number;
}

/**
 * An outage: every call of these operations (of this provider, or both) answers 500 SYSTEM_ERROR
 * without being applied, until `untilMs` (absent: until DELETE /__sim/outages).
 */
export interface OutageRule {
  provider?: SimProvider;
  operations: SimOperation[];
  untilMs?: number;
}

export interface RefundScript {
  processingMs: number;
  then: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
}

export interface SimTrade {
  provider: SimProvider;
  outTradeNo: string;
  transactionId: string;
  totalFen: number;
  description: string;
  notifyUrl: string;
  returnUrl?: string;
  status: SimTradeStatus;
  /** Alipay: a trade exists for queries only once the buyer scanned or opened the cashier and paid. */
  visible: boolean;
  codeUrl?: string;
  createdAt: string;
  paidAt?: string;
  refundedFen: number;
}

export interface SimRefund {
  provider: SimProvider;
  outTradeNo: string;
  outRefundNo: string;
  refundId: string;
  amountFen: number;
  totalFen: number;
  reason: string;
  notifyUrl?: string;
  status: SimRefundStatus;
  createdAt: string;
  /** When the provider accepted it (the simulator's refund clock, ms): refunds of one trade are its spacing apart. */
  createdAtMs: number;
  /** Refund clock (ms) at which PROCESSING turns into `then`. */
  dueAt: number;
  then: RefundScript['then'];
  successTime?: string;
}

export interface LedgerEntry {
  seq: number;
  provider: SimProvider;
  kind: 'payment' | 'refund';
  outTradeNo: string;
  outRefundNo?: string;
  amountFen: number;
  at: string;
}

export interface RequestLogEntry {
  seq: number;
  at: string;
  provider: SimProvider;
  operation: SimOperation | 'unknown';
  method: string;
  /** Path and query exactly as received. */
  url: string;
  authorization?: string;
  /** Raw request body. */
  body: string;
  /** The business payload: WeChat's JSON body, Alipay's biz_content (timestamps and signs differ per try). */
  business: string;
  key?: string;
  /** 'ok', the fault applied, or the rejection code (SIGN_ERROR, isv.invalid-signature, ...). */
  outcome: string;
  status?: number;
}

export type ForgeMode =
  | 'bad-signature'
  | 'unknown-key'
  | 'unknown-serial'
  | 'tampered-ciphertext'
  | 'stale-timestamp'
  | 'signature-probe'
  | 'wrong-app-id'
  | 'tampered-amount';

export interface NotificationControl {
  provider?: SimProvider;
  kind?: 'payment' | 'refund';
  /** How many upcoming notifications this applies to (default 1). */
  count?: number;
  mode: 'drop' | 'duplicate' | 'delay' | 'reorder' | 'forge';
  /** duplicate: total copies delivered (default 2). */
  times?: number;
  /** delay: how long before the first attempt. */
  delayMs?: number;
  /** forge: what is wrong with the forged copy; the genuine one follows it. */
  forge?: ForgeMode;
}

export interface DeliveryLogEntry {
  seq: number;
  provider: SimProvider;
  notificationId: string;
  kind: 'payment' | 'refund';
  outTradeNo: string;
  outRefundNo?: string;
  /** WeChat event_type or Alipay trade_status. */
  event: string;
  url: string;
  attempt: number;
  copy: number;
  at: string;
  forged?: ForgeMode;
  dropped?: boolean;
  status?: number;
  responseBody?: string;
  error?: string;
  acked: boolean;
}

export interface SimInfo {
  url: string;
  wechatpay: { mchid: string; appid: string; platformPublicKeyId: string };
  alipay: { appId: string };
  refundClockMs: number;
}

/**
 * A difference the simulator puts into one day's bill (control API, never part of the wire format):
 * - `unknown-payment`: a real payment booked at the provider that we never asked for (new trade, money moved);
 * - `unknown-refund`: a real refund of `outTradeNo` that we never asked for (money moved);
 * - `missing-refund`: the refund `outRefundNo` happened, but the bill leaves its row out;
 * - `amount-off`: the bill shows `outTradeNo`'s payment `deltaFen` (default 1) fen off;
 * - `duplicate-row`: the bill lists `outTradeNo`'s payment twice.
 */
export interface BillInjection {
  provider: SimProvider;
  /** yyyy-MM-dd, China time. */
  billDate: string;
  kind: 'unknown-payment' | 'unknown-refund' | 'missing-refund' | 'amount-off' | 'duplicate-row';
  outTradeNo?: string;
  outRefundNo?: string;
  amountFen?: number;
  deltaFen?: number;
}

/** Payments (and their refunds) booked directly in the ledger, without notifications: volume for bills. */
export interface BillSeed {
  provider: SimProvider;
  payments: {
    outTradeNo: string;
    amountFen: number;
    /** ISO instant the payment succeeded. */
    paidAt: string;
    refunds?: { outRefundNo: string; amountFen: number; at: string }[];
  }[];
}
