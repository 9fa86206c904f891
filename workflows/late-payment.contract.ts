/**
 * The late-payment workflow's contract (`late-payment-{outTradeNo}`): money an order cannot take is
 * recorded as such and refunded in full. Started by the order workflow, or by the API when the
 * order's workflow has already finished.
 */
import type { ProviderName } from '../payments/provider';
import type { RefundOutcome } from './refund.contract';
import { workflowRef } from './workflow-ref';

/**
 * One late-payment workflow per payment the order cannot take; a trade payment pays several orders,
 * so each order's unusable share has its own (`shareOf`: the order).
 */
export const latePaymentWorkflowId = (outTradeNo: string, shareOf?: string) => (shareOf ? `late-payment-${outTradeNo}-${shareOf}` : `late-payment-${outTradeNo}`);

/** The refund cause of a late payment: the payment, and for a share of a trade payment the order too. */
export const latePaymentCauseKey = (payment: Pick<LatePayment, 'outTradeNo' | 'tradeSn'>, orderSn: string) =>
  payment.tradeSn ? `late-payment:${payment.outTradeNo}:${orderSn}` : `late-payment:${payment.outTradeNo}`;

/** A captured payment the order will not keep. */
export interface LatePayment {
  provider: ProviderName;
  outTradeNo: string;
  transactionId: string;
  amountFen: number;
  paidAt: string;
  /** A share of a trade payment (amountFen is the order's share, paymentFen the whole payment's amount). */
  tradeSn?: string;
  paymentFen?: number;
}

export interface LatePaymentInput {
  orderSn: string;
  payment: LatePayment;
  /** Why the order cannot take this payment (cancelled, already paid by another route, finished). */
  why: string;
  refundPollScheduleMs: number[];
}

/** The provider's word on a late payment, asked before any refund of it is created. */
export type LatePaymentConfirmation = { confirmed: true } | { confirmed: false; reason: string };

/**
 * Refunded (the refund workflow's outcome), or NOT_CONFIRMED: the provider did not confirm the
 * payment (not PAID, another transaction or amount), so nothing was refunded and support was told.
 */
export type LatePaymentOutcome = RefundOutcome | { status: 'NOT_CONFIRMED'; reason: string };

export type LatePaymentWorkflow = (input: LatePaymentInput) => Promise<LatePaymentOutcome>;
export const LATE_PAYMENT_WORKFLOW = workflowRef<LatePaymentWorkflow>('latePaymentWorkflow');
