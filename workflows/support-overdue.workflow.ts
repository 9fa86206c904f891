import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SupportOverdueInput, SupportOverdueResult } from './support-overdue.contract';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

/**
 * Run by the `support-overdue` schedule: every item of the work queue past its kind's service level
 * and not yet escalated is escalated once (a row in its order's log under a unique key, so a second
 * run or a retried activity writes nothing) and its workflow marked NeedsAttention. The Prometheus
 * metric per kind and age bucket is read from the same rows at scrape time (apps/worker/support-queue-metrics.ts).
 */
export async function supportOverdueWorkflow(input: SupportOverdueInput): Promise<SupportOverdueResult> {
  const overdue = await acts.listOverdueWorkItems.executeWithOptions({ summary: 'Find work waiting on support past its service level' }, [input.serviceLevelsMs]);
  let escalated = 0;
  let marked = 0;
  for (const item of overdue) {
    const done = await acts.escalateWorkItem.executeWithOptions(
      { summary: `Escalate ${item.kind} ${item.id}${item.orderSn ? ` of order ${item.orderSn}` : ''}` },
      [{ item, serviceLevelMs: input.serviceLevelsMs[item.kind] }],
    );
    if (done.escalated) escalated += 1;
    if (done.markedWorkflowId) marked += 1;
  }
  return { found: overdue.length, escalated, marked };
}
