import { ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import type { AppConfig } from '../../config/app-config';
import { SUPPORT_OVERDUE_SCHEDULE, SUPPORT_OVERDUE_WORKFLOW, SupportOverdueInput } from '../../workflows/support-overdue.contract';

/** The overdue marker's schedule id in this deployment (SCHEDULE_ID_SUFFIX appended). */
export function supportOverdueScheduleIdOf(config: AppConfig): string {
  return config.sweeps.scheduleIdSuffix ? `${SUPPORT_OVERDUE_SCHEDULE}-${config.sweeps.scheduleIdSuffix}` : SUPPORT_OVERDUE_SCHEDULE;
}

const DESCRIPTION =
  'Every SUPPORT_OVERDUE_CHECK_INTERVAL: work waiting on support past its service level (SUPPORT_SLA_*) is escalated once in its order log ' +
  'and its workflow marked NeedsAttention="{kind}" (find them with NeedsAttention IS NOT NULL).';

export function supportOverdueScheduleOptions(config: AppConfig): ScheduleOptions {
  const input: SupportOverdueInput = { serviceLevelsMs: config.supportQueue.serviceLevelsMs };
  return {
    scheduleId: supportOverdueScheduleIdOf(config),
    spec: { intervals: [{ every: config.supportQueue.checkIntervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: SUPPORT_OVERDUE_WORKFLOW.workflowType,
      workflowId: supportOverdueScheduleIdOf(config),
      taskQueue: config.temporal.taskQueue,
      args: [input],
      memo: { description: DESCRIPTION },
      staticSummary: DESCRIPTION,
    },
    // A run still going makes the next redundant; a missed one is covered by the next.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1h', pauseOnFailure: false },
    memo: { description: DESCRIPTION },
    state: { note: DESCRIPTION },
  };
}
