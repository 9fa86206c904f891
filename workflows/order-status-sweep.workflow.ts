import { continueAsNew, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ORDER_TIMER_RULES, ORDER_WINDOW_RULES } from '../domain';
import { SWEEP_PAGE_RETRY } from './retry-policies';
import {
  MAX_RECENT_FAILURES,
  SweepInput,
  SweepName,
  SweepProgress,
  addCounts,
  sweepProgressQuery,
} from './sweep.contract';

/**
 * Pages per workflow run before continue-as-new (10,000 orders at the default 500 a page): about a
 * dozen history events a page, so a run's history stays small whatever the backlog.
 */
const PAGES_PER_RUN = 20;

/** The sweep position of a window (its rules come after the timer rules'). */
const WINDOW_POSITION = 'window:';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  // A killed worker is noticed within the heartbeat timeout and the page is retried elsewhere; the
  // handover rows make the retry hand over only what the first attempt did not.
  heartbeatTimeout: '15s',
  retry: SWEEP_PAGE_RETRY,
});

/**
 * The daily order-status sweep (schedule `order-status-sweep`, javashop's OrderStatusCheckJob at
 * 23:30). The safety net under the order workflows' own timers: for each timer rule (domain/order-timers.ts) it pages
 * through the orders the DATABASE says are overdue (keyset by id, SWEEP_BATCH_SIZE a page) and hands
 * each to its order workflow — signalled if running, started resumed from the row if not — which
 * applies the timer's operation through the allowed-operations table. It never changes an order's
 * status itself; last, it closes the windows of completed orders whose time has passed, by the same
 * conditional update the order workflow's window timers use (closeOrderWindow).
 */
export async function orderStatusSweepWorkflow(input: SweepInput = {}): Promise<SweepProgress> {
  // The after-sales past their deadline: once per sweep, in its first run.
  if (!input.resumeFrom && !input.dryRun) {
    const asOfIso = new Date().toISOString();
    const found = await acts.sweepOverdueAfterSales.executeWithOptions(
      { startToCloseTimeout: '10m', heartbeatTimeout: '15s', retry: SWEEP_PAGE_RETRY, summary: 'Signal the after-sales past their deadline' },
      [{ sweepId: `order-status-sweep ${asOfIso}`, asOfIso }],
    );
    if (found.scanned > 0) log.info('overdue after-sales', { ...found });
  }
  // The timer rules first, then the comment, complaint and after-sale windows overdue in the database.
  const positions = [...ORDER_TIMER_RULES.map((r) => r.key), ...ORDER_WINDOW_RULES.map((r) => `${WINDOW_POSITION}${r.window}`)];
  return runSweep('order-status-sweep', input, async (progress) => {
    const position = progress.position.rule;
    if (position.startsWith(WINDOW_POSITION)) {
      const window = ORDER_WINDOW_RULES.find((r) => `${WINDOW_POSITION}${r.window}` === position)!.window;
      const page = await acts.closeOverdueWindows.executeWithOptions({ summary: `Close overdue ${window} windows after order ${progress.position.afterId}` }, [{
        sweepRunId: progress.sweepRunId,
        sweepDay: progress.sweepDay,
        asOfIso: progress.asOfIso,
        window,
        afterId: progress.position.afterId,
        dryRun: progress.dryRun,
        totalsBefore: progress.tasks,
      }]);
      return { ...page, task: `${window}-window` };
    }
    const rule = ORDER_TIMER_RULES.find((r) => r.key === position)!;
    const page = await acts.sweepOverdueOrders({
      sweepRunId: progress.sweepRunId,
      sweepDay: progress.sweepDay,
      sweepId: `order-status-sweep ${progress.sweepDay} #${progress.sweepRunId}`,
      asOfIso: progress.asOfIso,
      ruleKey: rule.key,
      afterId: progress.position.afterId,
      dryRun: progress.dryRun,
      totalsBefore: progress.tasks,
    });
    return { ...page, task: rule.task };
  }, positions);
}

/**
 * The paging loop both reconcilers share: one activity per page, progress in a query and in the
 * sweep_run row, continue-as-new every PAGES_PER_RUN pages (or when the server suggests it).
 */
export async function runSweep(
  sweep: SweepName,
  input: SweepInput,
  sweepPage: (progress: SweepProgress) => Promise<{ lastId: number; exhausted: boolean; task: string; counts: SweepProgress['tasks'][string]; failures: SweepProgress['recentFailures'] }>,
  positions: readonly string[],
): Promise<SweepProgress> {
  let progress: SweepProgress;
  if (input.resumeFrom) {
    progress = input.resumeFrom;
  } else {
    const dryRun = input.dryRun === true;
    const run = await acts.beginSweepRun({ sweep, dryRun });
    progress = { sweep, ...run, dryRun, position: { rule: positions[0], afterId: 0 }, pages: 0, tasks: {}, recentFailures: [], done: false };
    log.info('sweep started', { sweep, sweepRunId: run.sweepRunId, sweepDay: run.sweepDay, asOf: run.asOfIso, dryRun });
  }
  setHandler(sweepProgressQuery, () => progress);

  let pagesThisRun = 0;
  while (!progress.done) {
    const page = await sweepPage(progress);
    addCounts(progress.tasks, page.task, page.counts);
    progress.recentFailures = [...progress.recentFailures, ...page.failures].slice(-MAX_RECENT_FAILURES);
    progress.pages += 1;
    pagesThisRun += 1;
    if (page.counts.scanned > 0 || page.counts.failed > 0) {
      log.info('sweep page', { sweep, sweepRunId: progress.sweepRunId, position: progress.position.rule, afterId: progress.position.afterId, ...page.counts });
    }
    if (!page.exhausted) {
      progress.position = { rule: progress.position.rule, afterId: page.lastId };
    } else {
      const next = positions.indexOf(progress.position.rule) + 1;
      if (next < positions.length) progress.position = { rule: positions[next], afterId: 0 };
      else progress.done = true;
    }
    if (!progress.done && (pagesThisRun >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      // Continues the calling workflow type (this sweep or the refund check) with the same input shape.
      await continueAsNew<(input: SweepInput) => Promise<SweepProgress>>({ dryRun: progress.dryRun, resumeFrom: progress });
    }
  }
  await acts.finishSweepRun({ sweepRunId: progress.sweepRunId, tasks: progress.tasks });
  log.info('sweep finished', { sweep, sweepRunId: progress.sweepRunId, pages: progress.pages, tasks: progress.tasks });
  return progress;
}
