/**
 * The after-sale workflow's contract (`after-sale-{serviceSn}`): its id, input, Updates (one per
 * step a person takes), signal, query, and the order-side activities it calls. Pure.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AfterSaleAction, AfterSaleSettings, AfterSaleStatus, RefundStatus, ServiceType } from '../domain';
import { workflowRef } from './workflow-ref';
import { ErrorCode } from '../domain/error-codes';

export const afterSaleWorkflowId = (serviceSn: string) => `after-sale-${serviceSn}`;

/** One line of the application as the API recorded it (after_sale_item). */
export interface AfterSaleLine {
  orderItemId: number;
  skuId: number;
  name: string;
  num: number;
  /** What these units are worth (domain/after-sale-amounts.ts): the most a refund may take from the line. */
  amountFen: number;
}

export interface AfterSaleWorkflowInput {
  serviceSn: string;
  orderSn: string;
  buyerId: string;
  sellerId: string;
  serviceType: ServiceType;
  lines: AfterSaleLine[];
  /** Σ lines' amounts for money-back types, 0 for exchange and re-ship: what the audit deadline passes at. */
  requestedFen: number;
  reason: string;
  settings: AfterSaleSettings;
  refundPollScheduleMs: number[];
}

export interface AuditRequest {
  actorId: string;
  decision: 'PASS' | 'REFUSE';
  /** PASS of a money-back type: the agreed refund (absent: the requested amount). */
  refundFen?: number;
  /** REFUSE: why (shown to the buyer). */
  reason?: string;
}

export interface ReturnShipment {
  actorId: string;
  carrier: string;
  trackingNo: string;
}

export interface ReceiptLine {
  orderItemId: number;
  goodNum: number;
  damagedNum: number;
}

export interface ReceiptRequest {
  actorId: string;
  lines: ReceiptLine[];
  note?: string;
}

export interface WithdrawRequest {
  actorId: string;
  reason: string;
}

export interface SupportDecision {
  actorId: string;
  action: 'REFUND' | 'CLOSE';
  /** REFUND: the amount, at most what the lines are worth. */
  refundFen?: number;
  reason: string;
}

export interface AfterSaleStep {
  seq: number;
  action: AfterSaleAction;
  actor: string;
  from: AfterSaleStatus;
  to: AfterSaleStatus;
  atIso: string;
}

export interface AfterSaleState {
  serviceSn: string;
  orderSn: string;
  serviceType: ServiceType;
  status: AfterSaleStatus;
  /** Whose move it is, and the deadline that runs while they have not made it. */
  waitingOn?: 'SELLER' | 'BUYER' | 'SUPPORT';
  deadline?: { action: AfterSaleAction; atIso: string };
  /** Set once the order workflow answered the application (a refusal closes it with the reason). */
  opening?: { accepted: boolean; reason?: string };
  agreedFen?: number;
  refund?: { refundSn: string; refundFen: number; provider: string; status: RefundStatus | 'REISSUE' };
  linkedOrderSn?: string;
  closedReason?: string;
  /** The last daily sweep that found this after-sale past its deadline in the database. */
  sweptBy?: string;
  steps: AfterSaleStep[];
}

export const auditAfterSaleUpdate = defineUpdate<AfterSaleStatus, [AuditRequest]>('audit');
export const shipReturnUpdate = defineUpdate<AfterSaleStatus, [ReturnShipment]>('shipReturn');
export const recordReceiptUpdate = defineUpdate<AfterSaleStatus, [ReceiptRequest]>('recordReceipt');
export const withdrawAfterSaleUpdate = defineUpdate<AfterSaleStatus, [WithdrawRequest]>('withdraw');
export const decideAfterSaleUpdate = defineUpdate<AfterSaleStatus, [SupportDecision]>('supportDecide');
/** Waits until the order workflow has answered the application; the API's apply call reads the answer. */
export const awaitOpeningUpdate = defineUpdate<AfterSaleState, []>('awaitOpening');
/** The daily sweep found this after-sale past its deadline in the database: check the deadline now. */
export const afterSaleOverdueSignal = defineSignal<[{ sweepId: string }]>('afterSaleOverdue');
export const afterSaleStateQuery = defineQuery<AfterSaleState>('afterSaleState');

export type AfterSaleWorkflow = (input: AfterSaleWorkflowInput) => Promise<AfterSaleState>;
export const AFTER_SALE_WORKFLOW = workflowRef<AfterSaleWorkflow>('afterSaleWorkflow');

/** The failure type of an after-sale step the workflow refused when it came to execute it. */
export const AFTER_SALE_STEP_REFUSED = ErrorCode.AfterSaleStepRefused;

