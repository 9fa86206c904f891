import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { workflowRef } from './workflow-ref';
import type { ComplainStatus, ComplaintAction, ComplaintSettings, ComplaintWaitingOn, RefundStatus } from '../domain';

/**
 * The complaint workflow's contract, in one module the API, the tests and the workflow import:
 * its id, input, Updates (one per step that needs an answer) and query. Pure.
 */
export const complaintWorkflowId = (complaintId: number | string) => `complaint-${complaintId}`;

export interface ComplaintWorkflowInput {
  complaintId: number;
  orderSn: string;
  skuId: number;
  buyerId: string;
  sellerId: string;
  topic: string;
  /** What the line cost (price × quantity, fen): no arbitration refunds more than this. */
  lineFen: number;
  settings: ComplaintSettings;
  refundPollScheduleMs: number[];
}

/** Who asks for a step. Support staff act as SUPPORT; the deadline timers as SYSTEM_TIMER. */
export interface ComplaintStepRequest {
  actor: 'BUYER' | 'SELLER' | 'SUPPORT';
  actorId: string;
  /** The message, appeal text, reason for arbitration or withdrawal, or the arbitration result. */
  content: string;
  /** ARBITRATE only: the refund the result orders, in fen (absent or 0: no refund). */
  refundFen?: number;
}

export interface ComplaintStep {
  seq: number;
  action: ComplaintAction;
  actor: string;
  from: ComplainStatus;
  to: ComplainStatus;
  atIso: string;
}

export interface ComplaintState {
  complaintId: number;
  orderSn: string;
  skuId: number;
  status: ComplainStatus;
  /** Whom the complaint is waiting for, and the deadline that runs while it does. */
  waitingOn?: ComplaintWaitingOn;
  deadline?: { action: ComplaintAction; atIso: string };
  steps: ComplaintStep[];
  refund?: { refundSn: string; refundFen: number; provider: string; status: RefundStatus | 'REISSUE' };
}

export const reviewComplaintUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('review');
export const appealComplaintUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('appeal');
export const postComplaintMessageUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('postMessage');
export const requestArbitrationUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('requestArbitration');
export const arbitrateComplaintUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('arbitrate');
export const withdrawComplaintUpdate = defineUpdate<ComplainStatus, [ComplaintStepRequest]>('withdraw');
export const complaintStateQuery = defineQuery<ComplaintState>('complaintState');

/** The Update for each step, so the API addresses steps by the flow table's action names. */
export const COMPLAINT_STEP_UPDATES = {
  REVIEW: reviewComplaintUpdate,
  APPEAL: appealComplaintUpdate,
  MESSAGE: postComplaintMessageUpdate,
  REQUEST_ARBITRATION: requestArbitrationUpdate,
  ARBITRATE: arbitrateComplaintUpdate,
  WITHDRAW: withdrawComplaintUpdate,
} as const;

export type ComplaintWorkflow = (input: ComplaintWorkflowInput) => Promise<ComplaintState>;
export const COMPLAINT_WORKFLOW = workflowRef<ComplaintWorkflow>('complaintWorkflow');
