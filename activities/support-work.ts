import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { readWorkQueue, recordEscalation } from '../db/support-work-queue';
import { ServiceLevels, WorkItem, isOverdue, workflowOfItem } from '../domain/support-work';
import { OVERDUE_ITEMS_PER_RUN, needsAttentionSignal } from '../workflows/support-overdue.contract';

/** The overdue marker's steps (workflows/support-overdue.workflow.ts). */
export class SupportWorkActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly temporal: () => Client | undefined,
  ) {}

  /** Items past their service level and not escalated yet, oldest first. Read-only. */
  async listOverdueWorkItems(levels: ServiceLevels): Promise<WorkItem[]> {
    const items = await readWorkQueue(this.dataSource);
    return items.filter((item) => !item.escalated && isOverdue(item, levels)).slice(0, OVERDUE_ITEMS_PER_RUN);
  }

  /**
   * Writes the item's escalation to its order's log (once: unique key) and marks its workflow
   * NeedsAttention (a signal the workflow answers with an upsert; sending it twice changes nothing).
   * An item whose own workflow has finished marks its order's workflow instead, if that still runs.
   */
  async escalateWorkItem(request: { item: WorkItem; serviceLevelMs: number }): Promise<{ escalated: boolean; markedWorkflowId: string | null }> {
    const { item } = request;
    const escalated = await recordEscalation(this.dataSource, item, request.serviceLevelMs);
    const client = this.temporal();
    if (!client) throw new Error('escalateWorkItem needs the worker\'s Temporal client');
    const candidates = [workflowOfItem(item), item.orderSn ? `order-${item.orderSn}` : null].filter((id, i, all): id is string => !!id && all.indexOf(id) === i);
    for (const workflowId of candidates) {
      try {
        await client.workflow.getHandle(workflowId).signal(needsAttentionSignal, { kind: item.kind, itemId: item.id });
        return { escalated, markedWorkflowId: workflowId };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return { escalated, markedWorkflowId: null };
  }
}
