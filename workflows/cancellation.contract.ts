/**
 * The cancellation workflow's contract (`cancel-{orderSn}`): what the order workflow hands over once
 * it has applied CANCELLED itself — the money (refund, or closing unpaid payment orders) and the stock.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Actor, CancellationStatus, OrderStatus } from '../domain';
import type { LatePayment } from './late-payment.contract';
import type { RefundOutcome, RefundRecord } from './refund.contract';
import { workflowRef } from './workflow-ref';

export const cancellationWorkflowId = (orderSn: string) => `cancel-${orderSn}`;

/** The cancel as the order workflow accepted it. */
export interface CancelOrderRequest {
  orderSn: string;
  cancellationId: number;
  /** The status the order was in when the cancellation was accepted: the compare-and-set's guard. */
  from: OrderStatus;
  operation: 'CANCEL' | 'SERVICE_CANCEL';
  actor: Actor;
  actorId?: string;
  reason: string;
  paid: boolean;
}

export interface CancellationWorkflowInput extends CancelOrderRequest {
  refundPollScheduleMs: number[];
  /**
   * The order workflow applied CANCELLED (and closes the request when this workflow returns). Absent
   * in cancellations started before the order workflow owned that step: they mark the order themselves.
   */
  orderCancelled?: true;
  /** The first refund, recorded in the cancel's own transaction (paid cancellations). */
  refund?: RefundRecord;
}

export interface CancellationResult {
  cancellationId: number;
  refunds: RefundOutcome[];
  /** Payments that landed although the order was being cancelled; the order workflow refunds them. */
  latePayments: LatePayment[];
}

export interface CancellationProgress {
  status: CancellationStatus;
  steps: string[];
  refundSn?: string;
}

export const cancellationProgressQuery = defineQuery<CancellationProgress>('progress');

export type CancellationWorkflow = (input: CancellationWorkflowInput) => Promise<CancellationResult>;
export const CANCELLATION_WORKFLOW = workflowRef<CancellationWorkflow>('cancellationWorkflow');
