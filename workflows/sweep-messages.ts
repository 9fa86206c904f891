import { defineQuery } from '@temporalio/workflow';
import type { SweepTask } from './order-messages';

/** The two scheduled reconcilers, by the name their schedule, their API route and their sweep_run rows use. */
export const SWEEP_NAMES = ['order-status-sweep', 'refund-status-check'] as const;
export type SweepName = (typeof SWEEP_NAMES)[number];

/**
 * One selection of the order-status sweep: orders in `status` (and flow) whose timer for `task` is
 * overdue by the database's clock columns. These are exactly the order workflow's timer rules, one
 * status per rule so each page is one keyset range on (order_status, id).
 */
export interface OrderSweepRule {
  key: string;
  task: SweepTask;
  status: 'NEW' | 'CONFIRM' | 'SHIPPED' | 'ROG' | 'PAID_OFF';
  /** Which flows the rule applies to: COD orders are never auto-cancelled, ROG splits into complete (online) and pay (COD). */
  flows: 'not-cod' | 'cod' | 'all';
}

export const ORDER_SWEEP_RULES: readonly OrderSweepRule[] = [
  { key: 'cancel:NEW', task: 'cancel', status: 'NEW', flows: 'not-cod' },
  { key: 'cancel:CONFIRM', task: 'cancel', status: 'CONFIRM', flows: 'not-cod' },
  { key: 'rog:SHIPPED', task: 'rog', status: 'SHIPPED', flows: 'all' },
  { key: 'complete:ROG', task: 'complete', status: 'ROG', flows: 'not-cod' },
  { key: 'pay:ROG', task: 'pay', status: 'ROG', flows: 'cod' },
  { key: 'complete:PAID_OFF', task: 'complete', status: 'PAID_OFF', flows: 'cod' },
];

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
