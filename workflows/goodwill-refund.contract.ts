/**
 * The goodwill refund's contract (`goodwill-refund-{requestId}`): support refunds an amount of a paid
 * order as a gesture (issue 10 point 8), through the ordinary refund path: a refund row with its
 * number committed before any provider call (cause `goodwill:{requestId}:{n}`), then the refund
 * workflow as a child. The API starts it with the `goodwillRefundAnswer` Update (update-with-start),
 * which answers once the refund is recorded or refused.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RefundOutcome } from './refund.contract';
import { workflowRef } from './workflow-ref';

export const goodwillRefundWorkflowId = (requestId: number | string) => `goodwill-refund-${requestId}`;

export interface GoodwillRefundInput {
  /** The goodwill_refund row the API recorded (its idempotency key taken). */
  requestId: number;
  orderSn: string;
  refundFen: number;
  reason: string;
  /** `support:{id}` / `admin:{id}`: who decided it, for the order log. */
  supportId: string;
  /** The refund workflow's provider polling delays (REFUND_POLL_SCHEDULE). */
  pollScheduleMs: number[];
}

/** The Update's answer: the refund recorded (its number), or why nothing was recorded. */
export type GoodwillRefundAnswer =
  | { outcome: 'ACCEPTED'; refundSn: string; refundFen: number; provider: 'wechatpay' | 'alipay' }
  | { outcome: 'REFUSED'; reason: string; code: string };

export type GoodwillRefundResult = { status: 'REFUSED'; reason: string } | { status: 'REFUNDED'; refunds: RefundOutcome[] };

export interface GoodwillRefundState {
  requestId: number;
  orderSn: string;
  step: 'RECORDING' | 'REFUSED' | 'REFUNDING' | 'REFUNDED';
  refundSn?: string;
  refusal?: string;
}

export const goodwillRefundAnswerUpdate = defineUpdate<GoodwillRefundAnswer>('goodwillRefundAnswer');
export const goodwillRefundStateQuery = defineQuery<GoodwillRefundState>('goodwillRefundState');

export type GoodwillRefundWorkflow = (input: GoodwillRefundInput) => Promise<GoodwillRefundResult>;
export const GOODWILL_REFUND_WORKFLOW = workflowRef<GoodwillRefundWorkflow>('goodwillRefundWorkflow');
