/**
 * The refund workflow's contract (`refund-{refundSn}`): one refund number, submitted and followed
 * until the provider (or support) settles it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RefundStatus } from '../domain';
import { workflowRef } from './workflow-ref';
import { ErrorCode } from '../domain/error-codes';

export const refundWorkflowId = (refundSn: string) => `refund-${refundSn}`;

/** A refund row as its workflow and its starters see it (the number is committed before any provider call). */
export interface RefundRecord {
  refundSn: string;
  orderSn: string;
  provider: 'wechatpay' | 'alipay';
  outTradeNo: string;
  refundFen: number;
  totalFen: number;
  reason: string;
  status: RefundStatus;
}

export interface RefundWorkflowInput {
  refundSn: string;
  orderSn: string;
  /** The row as its creator just read it, so the workflow need not read it again (absent: it reads the row). */
  refund?: RefundRecord;
  /** When set, the cancellation request's status follows the refund's (NEEDS_SUPPORT while parked). */
  cancellationId?: number;
  /** Provider polling delays while PROCESSING; the last one repeats (WeChat: 1m, then 5/10/20/30m). */
  pollScheduleMs: number[];
}

/** How a refund workflow ended: money returned, or support asked for a fresh refund number. */
export type RefundOutcome =
  | { status: 'SUCCESS' | 'REFUNDED_OFFLINE'; refundSn: string }
  | { status: 'REISSUE'; refundSn: string };

/** A verified refund notification, delivered by the API's notification endpoint. */
export interface RefundNotified {
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  notificationId: string;
}

export type RefundResolution =
  | { action: 'MARK_REFUNDED_OFFLINE'; reference: string; supportId: string; note?: string }
  | { action: 'REISSUE_WITH_NEW_NUMBER'; supportId: string; note?: string }
  | { action: 'RETRY'; supportId: string; note?: string };

/** The failure type of a refund create the provider turned down as too soon after another refund of the same payment. */
export const REFUND_TOO_FREQUENT = ErrorCode.RefundTooFrequent;

export interface RefundState {
  refundSn: string;
  status: RefundStatus | 'NOT_FOUND';
  /** Why the workflow waits for support (ABNORMAL, CLOSED, or a provider error a retry cannot fix). */
  waitingForSupport?: string;
  polls: number;
  notifications: number;
  /** Waiting for the payment's next submit slot (the provider's spacing between refunds of one payment), until this instant. */
  waitingForSlotUntil?: string;
  /** Submit slots claimed (one more after each "too frequent" answer). */
  slotClaims?: number;
  /** Waiting behind this provider gate (its workflow id) for its release: the provider is failing. */
  waitingForGate?: string;
}

export const refundNotifiedSignal = defineSignal<[RefundNotified]>('refundNotified');
export const resolveRefundUpdate = defineUpdate<RefundStatus, [RefundResolution]>('resolveRefund');
export const refundStateQuery = defineQuery<RefundState>('refundState');

export type RefundWorkflow = (input: RefundWorkflowInput) => Promise<RefundOutcome>;
export const REFUND_WORKFLOW = workflowRef<RefundWorkflow>('refundWorkflow');
