/**
 * The overdue marker's contract (schedule `support-overdue`): the workflow that finds work waiting on
 * support past its service level, escalates each item once and marks its workflow with the
 * NeedsAttention search attribute; and the signal every workflow that can hold such an item accepts.
 */
import { defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { ServiceLevels, WorkItem } from '../domain/support-work';
import { WorkflowRef, workflowRef } from './workflow-ref';

export interface SupportOverdueInput {
  /** Per kind, how long an item may wait (config SUPPORT_SLA_*), passed by the schedule. */
  serviceLevelsMs: ServiceLevels;
}

export interface SupportOverdueResult {
  /** Overdue items not escalated before this run. */
  found: number;
  /** Escalations this run wrote to an order's log. */
  escalated: number;
  /** Items whose workflow (or, when it has finished, their order's) now carries NeedsAttention. */
  marked: number;
}

export type SupportOverdueWorkflow = (input: SupportOverdueInput) => Promise<SupportOverdueResult>;
export const SUPPORT_OVERDUE_WORKFLOW = workflowRef<SupportOverdueWorkflow>('supportOverdueWorkflow');
export const SUPPORT_OVERDUE_SCHEDULE = 'support-overdue';

/** What the marker asks of an item's workflow: show up under NeedsAttention="{kind}" in the Temporal UI. */
export interface NeedsAttentionMark {
  kind: WorkItem['kind'];
  itemId: string;
}

export const needsAttentionSignal = defineSignal<[NeedsAttentionMark]>('needsAttention');

/**
 * Called once at the top of a workflow that can hold an item of the work queue. Registering a
 * handler adds no command, so histories recorded before it replay unchanged.
 */
export function acceptAttentionMarks(): void {
  // An order's workflow may carry several kinds (a late payment and a reconciliation case): the attribute lists each once.
  const kinds: string[] = [];
  setHandler(needsAttentionSignal, (mark) => {
    if (kinds.includes(mark.kind)) return;
    kinds.push(mark.kind);
    upsertSearchAttributes({ NeedsAttention: [...kinds] });
  });
}

/** How many overdue items one run handles; the next run takes the rest. */
export const OVERDUE_ITEMS_PER_RUN = 200;

export type { WorkItem };
