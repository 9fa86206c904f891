/**
 * The cancellation workflow's contract (`cancel-{orderSn}`), one per cancel request: started by the
 * API for a person's cancel (no worker needed) or by the order workflow for a cancel it decided itself
 * (unpaid timeout, failed group). It asks the order workflow to cancel (the order's own
 * compare-and-set) and, only after a won cancel, gives back the money (its refund workflow), the
 * stock, the sales and the coupons, and closes the request.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Actor, CancelRefusal, CancellationStatus, OrderStatus } from '../domain';
import type { CancelAccepted } from './order.contract';
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
  /**
   * How it asks the order: 'signal' (every starter sets it since issue 26: a Signal each way, written
   * to history when sent, so the order needs no barrier before the cancel's effects and no activity
   * waits for its answer). Absent in cancellations started before, which ask through the
   * order-requests activities and the order's Updates; their histories replay so.
   */
  askBy?: 'signal';
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

/** A cancel's answer from the order: accepted (a won compare-and-set), or refused with the order's code and reason. */
export type CancelAnswer = { accepted: CancelAccepted } | { refused: CancelRefusal };

/** The order's answer to a cancel it was asked by Signal (order.contract.ts cancelAskedSignal). */
export const cancelAnsweredSignal = defineSignal<[{ cancellationId: number; answer: CancelAnswer }]>('cancelAnswered');

/**
 * The order has settled its pay status for this cancellation (order.contract.ts
 * cancellationSettledToldSignal): its status then, or why it would not (not its running cancellation).
 */
export interface OrderSettledAnswer {
  cancellationId: number;
  status?: OrderStatus;
  refusal?: string;
}
export const orderSettledSignal = defineSignal<[OrderSettledAnswer]>('orderSettled');
