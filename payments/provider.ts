/**
 * The one payment-provider interface the rest of the system sees. Activities and the API talk to
 * WeChat Pay and Alipay only through `PaymentProvider`; everything provider-specific (signing,
 * yuan strings, status vocabularies) stays behind it.
 */

import type { TradeBillSource } from './bills';

export type ProviderName = 'wechatpay' | 'alipay';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
/** Normalised trade state. REFUNDED means the whole amount went back to the buyer. */
export type PaymentState = 'NOTPAY' | 'PAID' | 'CLOSED' | 'REFUNDED';

export interface CreatePaymentInput {
  outTradeNo: string;
  amountFen: number;
  description: string;
  notifyUrl: string;
  returnUrl?: string;
  expiresAt?: Date;
  /** 'page' = Alipay web cashier; WeChat Pay always answers with a Native QR code. Default 'qr'. */
  channel?: 'page' | 'qr';
}

export type CreatePaymentResult =
  | { kind: 'qr'; codeUrl: string }
  | { kind: 'form'; gatewayUrl: string; formItems: { name: string; value: string }[] };

export interface PaymentQueryResult {
  state: PaymentState;
  outTradeNo: string;
  transactionId?: string;
  amountFen?: number;
  /** ISO instant (`…Z`), converted from the provider's own zone (see provider-time.ts). */
  paidAt?: string;
}

export interface SubmitRefundInput {
  outTradeNo: string;
  outRefundNo: string;
  refundFen: number;
  totalFen: number;
  reason: string;
  notifyUrl: string;
}

export interface RefundResult {
  status: RefundStatus;
  outRefundNo: string;
  providerRefundId?: string;
  refundFen?: number;
  succeededAt?: string;
}

export type RefundQueryResult = RefundResult | { status: 'NOT_FOUND'; outRefundNo: string };

/**
 * A verified, decrypted provider notification. Alipay's refund notification carries only the
 * trade's cumulative refunded amount (`refund_fee`), so for Alipay `refundFen` is that cumulative
 * figure; confirm a single refund's amount with `queryRefund`.
 */
export type ProviderNotification =
  | {
      provider: ProviderName;
      notificationId: string;
      kind: 'payment';
      outTradeNo: string;
      transactionId: string;
      state: PaymentState;
      amountFen: number;
      paidAt?: string;
    }
  | {
      provider: ProviderName;
      notificationId: string;
      kind: 'refund';
      outTradeNo: string;
      outRefundNo: string;
      providerRefundId?: string;
      status: RefundStatus;
      refundFen: number;
      succeededAt?: string;
    };

/** WeChat: 200 JSON / 500 JSON; Alipay: text 'success' / 'fail'. */
export interface NotificationAck {
  status: number;
  contentType: string;
  body: string;
}

/** Besides the payment calls, each provider publishes a daily trade bill (bills.ts). */
export interface PaymentProvider extends TradeBillSource {
  readonly name: ProviderName;
  createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult>;
  /** An unknown trade is 'NOTPAY': Alipay has no trade before the scan, WeChat answers ORDER_NOT_EXIST. */
  queryPayment(outTradeNo: string): Promise<PaymentQueryResult>;
  /** Re-entrant. A paid trade reports alreadyPaid instead of throwing. */
  closePayment(outTradeNo: string): Promise<{ alreadyPaid: boolean }>;
  /** Alipay: fund_change 'Y' => SUCCESS, 'N' or absent => PROCESSING (go and query). */
  submitRefund(input: SubmitRefundInput): Promise<RefundResult>;
  queryRefund(outTradeNo: string, outRefundNo: string): Promise<RefundQueryResult>;
  /** Throws NotificationRejectedError for anything not provably from the provider and for us. */
  verifyNotification(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): ProviderNotification;
  ack(ok: boolean): NotificationAck;
}

export type ProviderErrorClass = 'retryable' | 'final' | 'needs-operator';

export interface ProviderErrorInit {
  provider: ProviderName;
  errorClass: ProviderErrorClass;
  /** The provider's own code (SYSTEM_ERROR, ACQ.SYSTEM_ERROR, ...) or ours for transport faults (TIMEOUT, NETWORK_ERROR, INVALID_RESPONSE_SIGNATURE, ...). */
  code: string;
  message: string;
  httpStatus?: number;
  /** True when the provider may have applied the call although we saw a failure: retry only with the identical request. */
  outcomeUnknown?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly provider: ProviderName;
  readonly errorClass: ProviderErrorClass;
  readonly code: string;
  readonly httpStatus?: number;
  readonly outcomeUnknown: boolean;

  constructor(init: ProviderErrorInit) {
    super(`${init.provider} ${init.code}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.errorClass = init.errorClass;
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }

  get retryable(): boolean {
    return this.errorClass === 'retryable';
  }
}

export class NotificationRejectedError extends Error {
  constructor(readonly reason: string) {
    super(`notification rejected: ${reason}`);
    this.name = 'NotificationRejectedError';
  }
}
