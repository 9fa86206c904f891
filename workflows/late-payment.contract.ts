/**
 * The late-payment workflow's contract (`late-payment-{outTradeNo}`): money an order cannot take is
 * recorded as such and refunded in full. Started by the order workflow, or by the API when the
 * order's workflow has already finished.
 */
import type { ProviderName } from '../payments/provider';
import type { RefundOutcome } from './refund.contract';
import { workflowRef } from './workflow-ref';

export const latePaymentWorkflowId = (outTradeNo: string) => `late-payment-${outTradeNo}`;

/** A captured payment the order will not keep. */
export interface LatePayment {
  provider: ProviderName;
  outTradeNo: string;
  transactionId: string;
  amountFen: number;
  paidAt: string;
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
