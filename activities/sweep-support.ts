import type { DataSource } from 'typeorm';
import type { TimerClock } from '../domain';
import { SweepCounts, SweepTaskCounts, addCounts } from '../workflows/sweep.contract';

/** What the sweep pages share (activities/sweeps.ts, activities/window-sweep.ts). */

/** The order row's column for each timer clock (domain/order-timers.ts); legacy rows without it fall back to created_at. */
export const CLOCK_COLUMN: Record<TimerClock, string> = {
  createdAt: 'created_at',
  shippedAt: 'shipped_at',
  receivedAt: 'received_at',
  paidAt: 'paid_at',
  completedAt: 'completed_at',
};

/** How many of a page's failures its result keeps (the rest are counted). */
export const PAGE_FAILURES_KEPT = 5;

/** The run's totals before a page plus the page's own counts, written to sweep_run (an overwrite, so a retry is harmless). */
export async function writeSweepTotals(dataSource: DataSource, sweepRunId: number, totalsBefore: SweepTaskCounts, task: string, page: SweepCounts): Promise<void> {
  const totals: SweepTaskCounts = JSON.parse(JSON.stringify(totalsBefore));
  addCounts(totals, task, page);
  await dataSource.query('UPDATE sweep_run SET counts_json = ? WHERE id = ?', [JSON.stringify(totals), sweepRunId]);
}

export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  });
  await Promise.all(lanes);
}
