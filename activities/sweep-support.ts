import type { DataSource } from 'typeorm';
import { writeSweepRunCounts } from '../db/sweeps';
import { SweepCounts, SweepTaskCounts, addCounts } from '../workflows/sweep.contract';

/** What the sweep pages share (activities/sweeps.ts, activities/window-sweep.ts). */

/** How many of a page's failures its result keeps (the rest are counted). */
export const PAGE_FAILURES_KEPT = 5;

/** The run's totals before a page plus the page's own counts, written to sweep_run (an overwrite, so a retry is harmless). */
export async function writeSweepTotals(dataSource: DataSource, sweepRunId: number, totalsBefore: SweepTaskCounts, task: string, page: SweepCounts): Promise<void> {
  const totals: SweepTaskCounts = JSON.parse(JSON.stringify(totalsBefore));
  addCounts(totals, task, page);
  await writeSweepRunCounts(dataSource, sweepRunId, totals);
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
