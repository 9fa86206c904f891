/**
 * The scheduled reconcilers' contract: the order-status sweep (which pages through the rows the
 * timer rules in domain/order-timers.ts find overdue) and the refund-status check. Their schedule
 * ids, input, progress query and counts.
 */
import { defineQuery } from '@temporalio/workflow';
import { WorkflowRef, workflowRef } from './workflow-ref';

/** The two scheduled reconcilers, by the name their schedule, their API route and their sweep_run rows use. */
export const SWEEP_NAMES = ['order-status-sweep', 'refund-status-check'] as const;
export type SweepName = (typeof SWEEP_NAMES)[number];

/** The schedule id of a sweep: its name, plus SCHEDULE_ID_SUFFIX when one deployment shares a Temporal namespace with others (tests). */
export function sweepScheduleId(sweep: SweepName, suffix?: string): string {
  return suffix ? `${sweep}-${suffix}` : sweep;
}

export interface SweepInput {
  /** Report what would be handed over, change nothing (no signals, no workflows started, no handover rows). */
  dryRun?: boolean;
  /** Set by continue-as-new: where the previous run of this sweep stopped, and its counts so far. */
  resumeFrom?: SweepProgress;
}

export type SweepWorkflow = (input?: SweepInput) => Promise<SweepProgress>;
export const ORDER_STATUS_SWEEP_WORKFLOW = workflowRef<SweepWorkflow>('orderStatusSweepWorkflow');
export const REFUND_STATUS_CHECK_WORKFLOW = workflowRef<SweepWorkflow>('refundStatusCheckWorkflow');
/** The workflow each sweep's schedule starts. */
export const SWEEP_WORKFLOWS: Record<SweepName, WorkflowRef<SweepWorkflow>> = {
  'order-status-sweep': ORDER_STATUS_SWEEP_WORKFLOW,
  'refund-status-check': REFUND_STATUS_CHECK_WORKFLOW,
};

/**
 * What a run did with what it found, per task. scanned = overdue rows found; advanced = handed to
 * their order workflow (signalled, or a resumed workflow started) — in a dry run, what would be;
 * skipped = found but left alone (already handed over today by another run, or moved on meanwhile);
 * failed = could not be handed over (logged; tomorrow's run, or a manual one, tries again).
 */
export interface SweepCounts {
  scanned: number;
  advanced: number;
  skipped: number;
  failed: number;
  /** Refund check only: missing refund workflows started again. */
  restarted?: number;
}

export type SweepTaskCounts = Record<string, SweepCounts>;

export interface SweepFailure {
  key: string;
  task: string;
  error: string;
}

export interface SweepProgress {
  sweep: SweepName;
  sweepRunId: number;
  /** The sweep day in the schedule's time zone; handovers are idempotent per order and sweep day. */
  sweepDay: string;
  /** Every selection compares against this instant, fixed when the run began (it survives continue-as-new). */
  asOfIso: string;
  dryRun: boolean;
  /** Which rule and id the run has reached. */
  position: { rule: string; afterId: number };
  pages: number;
  tasks: SweepTaskCounts;
  /** The most recent failures (bounded), for the query and the result. */
  recentFailures: SweepFailure[];
  done: boolean;
}

export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');

export const MAX_RECENT_FAILURES = 20;

export function emptyCounts(): SweepCounts {
  return { scanned: 0, advanced: 0, skipped: 0, failed: 0 };
}

export function addCounts(into: SweepTaskCounts, task: string, page: SweepCounts): void {
  const total = (into[task] ??= emptyCounts());
  total.scanned += page.scanned;
  total.advanced += page.advanced;
  total.skipped += page.skipped;
  total.failed += page.failed;
  if (page.restarted !== undefined) total.restarted = (total.restarted ?? 0) + page.restarted;
}
