import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { ORDER_WINDOW_RULES, OrderWindow } from '../domain';
import { SweepFailure, emptyCounts } from '../workflows/sweep.contract';
import { OrderTransitions, WINDOWS } from './order-transitions';
import { PAGE_FAILURES_KEPT, forEachConcurrently, writeSweepTotals } from './sweep-support';
import { readOrdersWithOverdueWindow } from '../db/sweeps';
import type { SweepDependencies, SweepPageRequest, SweepPageResult } from './sweeps';
import { ErrorCode } from '../domain/error-codes';

/** The order-status sweep's last part: windows of completed orders left open past their time. */
export class WindowSweepActivities {
  private readonly transitions: OrderTransitions;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deps: () => SweepDependencies | undefined,
  ) {
    this.transitions = new OrderTransitions(dataSource);
  }

  /**
   * One page of the sweep's window closing (issue 10, point 4): up to SWEEP_BATCH_SIZE completed
   * orders whose `window` is still open although its time (domain ORDER_WINDOW_RULES, the rule the
   * order workflow's own window timers use) has passed — their workflow ended before it had window
   * timers, or was lost. Each is closed by the same conditional update the workflow uses
   * (closeOrderWindow: open value → closed value, log row once), so an order whose workflow closes it
   * at the same moment is closed once, and a retried page changes nothing twice.
   */
  async closeOverdueWindows(request: SweepPageRequest & { window: OrderWindow }): Promise<SweepPageResult> {
    const deps = this.deps();
    if (!deps) throw ApplicationFailure.nonRetryable('this worker was built without the sweeps\' settings', ErrorCode.SweepNotConfigured);
    const rule = ORDER_WINDOW_RULES.find((r) => r.window === request.window);
    if (!rule) throw ApplicationFailure.nonRetryable(`unknown window ${request.window}`, ErrorCode.UnknownSweepRule);
    const column = WINDOWS[rule.window];
    const cutoff = new Date(Date.parse(request.asOfIso) - deps.orderSettings[rule.delay]);
    const rows = await readOrdersWithOverdueWindow(this.dataSource, { column: column.column, open: column.from, clock: rule.clock, afterId: request.afterId, cutoff, limit: deps.sweeps.batchSize });
    const lastId = rows.length ? Number(rows[rows.length - 1].id) : request.afterId;
    const counts = emptyCounts();
    const failures: SweepFailure[] = [];
    const task = `${rule.window}-window`;
    counts.scanned = rows.length;
    if (request.dryRun) {
      counts.advanced = rows.length;
    } else {
      await forEachConcurrently(rows, 4, async (row) => {
        try {
          if (await this.transitions.closeOrderWindow({ orderSn: row.order_sn, window: rule.window })) counts.advanced += 1;
          else counts.skipped += 1;
        } catch (err) {
          counts.failed += 1;
          const error = (err as Error).message ?? String(err);
          log.warn('sweep could not close the window', { orderSn: row.order_sn, window: rule.window, error });
          if (failures.length < PAGE_FAILURES_KEPT) failures.push({ key: row.order_sn, task, error });
        }
        Context.current().heartbeat({ lastId });
      });
    }
    await writeSweepTotals(this.dataSource, request.sweepRunId, request.totalsBefore, task, counts);
    return { lastId, exhausted: rows.length < deps.sweeps.batchSize, counts, failures };
  }
}
