/**
 * The cancellation workflow's contract (`cancel-{orderSn}`), one per cancel request: started by the
 * API for a person's cancel (no worker needed) or by the order workflow for a cancel it decided itself
 * (unpaid timeout, failed group). It asks the order workflow to cancel (the order's own
 * compare-and-set) and, only after a won cancel, gives back the money (its refund workflow), the
 * stock, the sales and the coupons, and closes the request. Runs started before that shape was
 * back (inputs without `asksOrder`) replay their older steps.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Actor, CancelRefusal, CancellationStatus, OrderStatus } from '../domain';
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

/** A cancel request handed to its own workflow: it asks the order workflow first. */
export interface CancellationRequestInput {
  asksOrder: true;
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
   * How the request ended (new runs): COMPLETED after a won cancel, REFUSED with the order's code,
   * ALREADY_CANCELLED when another cancellation had cancelled the order, or HANDED_TO_ORDER when an
   * order workflow from before this shape took the whole cancellation on itself.
   */
  outcome?: 'COMPLETED' | 'REFUSED' | 'ALREADY_CANCELLED' | 'HANDED_TO_ORDER';
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

export type CancellationWorkflow = (input: CancellationWorkflowInput | CancellationRequestInput) => Promise<CancellationResult>;
export const CANCELLATION_WORKFLOW = workflowRef<CancellationWorkflow>('cancellationWorkflow');
