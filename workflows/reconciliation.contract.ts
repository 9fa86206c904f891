import { defineQuery } from '@temporalio/workflow';
import type { DifferenceKind } from '../domain/reconciliation';
import { workflowRef } from './workflow-ref';

/**
 * The reconciliation workflow's contract: one run per provider and bill day, started each morning by
 * the `reconciliation-{provider}` schedule (yesterday, China time) or on demand for a given day.
 * Its id for on-demand runs is reconciliationWorkflowId() below; scheduled runs carry
 * the schedule's id plus the scheduled time. Either way the database row (provider, bill_date) is the
 * one record of the day, so any number of runs of the same day report the same thing.
 */
export type ReconciliationProvider = 'wechatpay' | 'alipay';

/** On-demand reconciliation of one provider's bill for one China day (yyyy-MM-dd). */
export const reconciliationWorkflowId = (provider: string, billDate: string) => `reconcile-${provider}-${billDate}`;
export const RECONCILIATION_PROVIDERS: readonly ReconciliationProvider[] = ['wechatpay', 'alipay'];

export interface ReconciliationInput {
  provider: ReconciliationProvider;
  /** yyyy-MM-dd (China time); absent = yesterday, China time, as of the workflow's start. */
  billDate?: string;
  /** Rows per comparison page (one activity, bounded queries); default 2000. */
  pageSize?: number;
}

export interface ReconciliationCounts {
  billPayments: number;
  billPaymentFen: number;
  billRefunds: number;
  billRefundFen: number;
  matched: number;
  matchedFen: number;
  /** Differences on record for the day, by kind. */
  differences: Partial<Record<DifferenceKind, number>>;
  /** Stranded payments handed to the order's payment path by this run. */
  handedOver: number;
}

export interface ReconciliationResult extends ReconciliationCounts {
  runId: number;
  provider: ReconciliationProvider;
  billDate: string;
  differenceCount: number;
}

export type ReconciliationStep = 'starting' | 'downloading' | 'comparing bill' | 'our payments' | 'our refunds' | 'handing over' | 'done';

export interface ReconciliationProgress {
  provider: ReconciliationProvider;
  billDate: string;
  step: ReconciliationStep;
  pagesDone: number;
  matched: number;
  differencesFound: number;
}

export const reconciliationProgressQuery = defineQuery<ReconciliationProgress>('reconciliationProgress');

export const DEFAULT_RECONCILIATION_PAGE_SIZE = 2000;

export type ReconciliationWorkflow = (input: ReconciliationInput) => Promise<ReconciliationResult>;
export const RECONCILIATION_WORKFLOW = workflowRef<ReconciliationWorkflow>('reconciliationWorkflow');
