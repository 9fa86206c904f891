/**
 * The payment watch's contract (`payment-watch-{outTradeNo}`): its id, input and answers, imported
 * by the API that starts it, the activity that checks and the workflow itself. Pure.
 */
import { workflowRef } from './workflow-ref';

export const paymentWatchWorkflowId = (outTradeNo: string) => `payment-watch-${outTradeNo}`;

export interface PaymentWatchInput {
  orderSn: string;
  outTradeNo: string;
  provider: 'wechatpay' | 'alipay';
  /** When the provider stops taking this payment (the order's unpaid timer cancels it then). */
  expiresAtIso: string;
  /** Delays between queries (PAYMENT_QUERY_SCHEDULE); the last one repeats until the expiry. */
  queryScheduleMs: number[];
}

/** What one query found. `waiting`: ask again later; anything else ends the watch. */
export type PaymentCheckOutcome = 'waiting' | 'paid' | 'closed' | 'order-moved-on' | 'rejected';

export interface PaymentCheck {
  outcome: PaymentCheckOutcome;
  detail?: string;
}

export type PaymentWatchWorkflow = (input: PaymentWatchInput) => Promise<PaymentWatchResult>;
export const PAYMENT_WATCH_WORKFLOW = workflowRef<PaymentWatchWorkflow>('paymentWatchWorkflow');

export interface PaymentWatchResult {
  outcome: Exclude<PaymentCheckOutcome, 'waiting'> | 'expired';
  queries: number;
  detail?: string;
}
