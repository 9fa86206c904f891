import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { runSweep } from './order-status-sweep.workflow';
import { SWEEP_PAGE_RETRY } from './retry-policies';
import type { SweepInput, SweepProgress } from './sweep.contract';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: SWEEP_PAGE_RETRY,
});

/**
 * The hourly refund-status check (schedule `refund-status-check`, javashop's RefundStatusJobConsumer):
 * refunds PROCESSING for longer than REFUND_CHECK_MIN_AGE are looked up at the provider; a final
 * answer is delivered to `refund-{refundSn}` as the lost notification would have been, and a refund
 * whose workflow is missing gets a fresh one that resumes from the row.
 */
export async function refundStatusCheckWorkflow(input: SweepInput = {}): Promise<SweepProgress> {
  return runSweep(
    'refund-status-check',
    input,
    async (progress) => {
      const page = await acts.checkProcessingRefunds({
        sweepRunId: progress.sweepRunId,
        sweepDay: progress.sweepDay,
        checkId: `refund-status-check:${progress.sweepRunId}`,
        asOfIso: progress.asOfIso,
        afterId: progress.position.afterId,
        dryRun: progress.dryRun,
        totalsBefore: progress.tasks,
      });
      return { ...page, task: 'refund' };
    },
    ['refund:PROCESSING'],
  );
}

