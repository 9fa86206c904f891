import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { previousChinaDay } from '../domain/reconciliation';
import { ErrorCode } from '../domain/error-codes';
import {
  DEFAULT_RECONCILIATION_PAGE_SIZE,
  ReconciliationInput,
  ReconciliationProgress,
  ReconciliationResult,
  reconciliationProgressQuery,
} from './reconciliation.contract';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes: [ErrorCode.BadReconciliationRequest, ErrorCode.ReconciliationNotConfigured] },
});

/**
 * Reconciles one provider's daily bill with our payments and refunds (schedule `reconciliation-{provider}`,
 * each morning after both providers publish, or on demand for a day):
 * download and verify the bill → compare it page by page with our rows (by out_trade_no and refund
 * number) → look for our paid payments and successful refunds of the day that the bill lacks →
 * hand stranded payments to the order's payment path → record the counts. Every difference is a
 * support case, recorded once per provider and day, so a re-run reports the same and opens nothing new.
 * It never changes a payment, refund or order itself.
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  // Workflow time is the start time on replay too, so "yesterday" stays the same day.
  const billDate = input.billDate ?? previousChinaDay(Date.now());
  const pageSize = input.pageSize ?? DEFAULT_RECONCILIATION_PAGE_SIZE;
  const progress: ReconciliationProgress = { provider: input.provider, billDate, step: 'starting', pagesDone: 0, matched: 0, differencesFound: 0 };
  setHandler(reconciliationProgressQuery, () => progress);

  const day = await acts.beginReconciliation({ provider: input.provider, billDate });
  progress.step = 'downloading';
  // The download streams the whole bill into the database: a longer limit, heartbeats every 1,000 rows.
  const bill = await acts.loadBill.executeWithOptions({ startToCloseTimeout: '30m', heartbeatTimeout: '2m', summary: `Download and verify the ${input.provider} bill of ${billDate}` }, [day]);

  progress.step = 'comparing bill';
  let matchedFen = 0;
  for (let afterLineNo = 0; ; ) {
    const page = await acts.compareBillPage({ ...day, afterLineNo, pageSize });
    progress.pagesDone += 1;
    progress.matched += page.matched;
    matchedFen += page.matchedFen;
    progress.differencesFound += page.differences;
    afterLineNo = page.lastLineNo;
    if (page.exhausted) break;
  }
  for (const side of ['payments', 'refunds'] as const) {
    progress.step = side === 'payments' ? 'our payments' : 'our refunds';
    for (let after: { atIso: string; id: number } | undefined; ; ) {
      const page = await acts.compareOurSidePage({ ...day, side, after, pageSize });
      progress.pagesDone += 1;
      progress.differencesFound += page.differences;
      after = page.next;
      if (page.exhausted) break;
    }
  }

  progress.step = 'handing over';
  let handedOver = 0;
  for (let afterId = 0; ; ) {
    const page = await acts.handOverStrandedPayments({ ...day, afterId });
    handedOver += page.handedOver;
    afterId = page.lastId;
    if (page.exhausted) break;
  }

  const finished = await acts.finishReconciliation({ ...day, matched: progress.matched, matchedFen });
  progress.step = 'done';
  return {
    runId: day.runId,
    provider: input.provider,
    billDate,
    billPayments: bill.payments,
    billPaymentFen: bill.paymentFen,
    billRefunds: bill.refunds,
    billRefundFen: bill.refundFen,
    matched: progress.matched,
    matchedFen,
    differences: finished.differences,
    differenceCount: finished.differenceCount,
    handedOver,
  };
}
