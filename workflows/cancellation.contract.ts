/**
 * The cancellation workflow's contract (`cancel-{orderSn}`), one per cancel request: started by the
 * API for a person's cancel (no worker needed) or by the order workflow for a cancel it decided itself
 * (unpaid timeout, failed group). It asks the order workflow to cancel (the order's own
 * compare-and-set) and, only after a won cancel, gives back the money (its refund workflow), the
 * stock, the sales and the coupons, and closes the request.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Actor, CancelRefusal, CancellationStatus, OrderStatus } from '../domain';
import type { LatePayment } from './late-payment.contract';
import type { RefundOutcome, RefundRecord } from './refund.contract';
import { workflowRef } from './workflow-ref';

export const cancellationWorkflowId = (orderSn: string) => `cancel-${orderSn}`;

/** A cancel request handed to its own workflow: it asks the order workflow first. */
export interface CancellationRequestInput {
  orderSn: string;
  /** The cancellation_request row (the API's for a person, the order workflow's for the system). */
  cancellationId: number;
  actor: Extract<Actor, 'BUYER' | 'SELLER' | 'SUPPORT' | 'SYSTEM_TIMER'>;
  actorId?: string;
  reason: string;
  refundPollScheduleMs: number[];
}

export interface CancellationResult {
  cancellationId: number;
  /**
   * How the request ended: COMPLETED after a won cancel, REFUSED with the order's code, or
   * ALREADY_CANCELLED when another cancellation had cancelled the order.
   */
  outcome?: 'COMPLETED' | 'REFUSED' | 'ALREADY_CANCELLED';
  refusal?: CancelRefusal;
  refunds: RefundOutcome[];
  /** Payments that landed although the order was being cancelled; the order workflow refunds them. */
  latePayments: LatePayment[];
}

export interface CancellationProgress {
  status: CancellationStatus;
  steps: string[];
  refundSn?: string;
  /** Why the order refused it (a REFUSED request). */
  refusal?: CancelRefusal;
}

export const cancellationProgressQuery = defineQuery<CancellationProgress>('progress');

export type CancellationWorkflow = (input: CancellationRequestInput) => Promise<CancellationResult>;
export const CANCELLATION_WORKFLOW = workflowRef<CancellationWorkflow>('cancellationWorkflow');
