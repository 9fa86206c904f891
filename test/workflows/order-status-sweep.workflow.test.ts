import { Context } from '@temporalio/activity';
import type { Activities } from '../../activities';
import type { SweepPageRequest, SweepPageResult } from '../../activities/sweeps';
import { ORDER_TIMER_RULES, ORDER_WINDOW_RULES } from '../../domain';
import { ORDER_STATUS_SWEEP_WORKFLOW, SweepInput, SweepProgress, SweepTaskCounts, SweepWorkflow, emptyCounts, sweepProgressQuery } from '../../workflows/sweep.contract';
import { LocalWorkflows, queryUntil, startLocalWorkflows } from './local-env';

/**
 * The daily order-status sweep alone, the database's overdue orders in memory: it pages through every
 * timer rule and then every window (one activity a page), carries its position and counts across
 * continue-as-new, keeps only the latest failures, shows its progress in a query, signals the
 * after-sales once per sweep, and passes a dry run on to every page.
 */
describe('order-status sweep workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  /** Every position the sweep pages through, in its order: the timer rules, then the windows. */
  const POSITIONS = [...ORDER_TIMER_RULES.map((r) => r.key), ...ORDER_WINDOW_RULES.map((r) => `window:${r.window}`)];

  type PageCall = { position: string; afterId: number; dryRun: boolean; runId: string; totalsBefore: SweepTaskCounts };
  /**
   * The overdue order ids per position, handed over a page of `pageSize` at a time (as the page
   * activities select them, keyset by id); ids in `failing` have no workflow to hand over to.
   * `holdPage` (a page number) waits for `release()` before answering.
   */
  function fakeOverdueOrders(overdue: Record<string, number[]>, pageSize: number, options: { failing?: (id: number) => boolean; holdPage?: number } = {}) {
    const calls = { begun: [] as { sweep: string; dryRun: boolean }[], afterSales: 0, pages: [] as PageCall[], finished: [] as SweepTaskCounts[] };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const page = async (position: string, task: string, request: SweepPageRequest): Promise<SweepPageResult> => {
      calls.pages.push({ position, afterId: request.afterId, dryRun: request.dryRun, runId: Context.current().info.workflowExecution!.runId, totalsBefore: request.totalsBefore });
      if (calls.pages.length === options.holdPage) await held;
      const ids = (overdue[position] ?? []).filter((id) => id > request.afterId).slice(0, pageSize);
      const counts = emptyCounts();
      const failures: SweepPageResult['failures'] = [];
      for (const id of ids) {
        counts.scanned += 1;
        if (options.failing?.(id)) {
          counts.failed += 1;
          failures.push({ key: `O${id}`, task, error: `order O${id} has no workflow` });
        } else counts.advanced += 1;
      }
      return { lastId: ids.at(-1) ?? request.afterId, exhausted: ids.length < pageSize, counts, failures };
    };
    const activities: Partial<Activities> = {
      async beginSweepRun(request) {
        calls.begun.push(request);
        return { sweepRunId: 77, sweepDay: '2026-12-07', asOfIso: new Date().toISOString() };
      },
      async sweepOverdueAfterSales() {
        calls.afterSales += 1;
        return { scanned: 1, signalled: 1, missing: 0 };
      },
      sweepOverdueOrders: (request) => page(request.ruleKey, ORDER_TIMER_RULES.find((r) => r.key === request.ruleKey)!.task, request),
      closeOverdueWindows: (request) => page(`window:${request.window}`, `${request.window}-window`, request),
      async finishSweepRun({ tasks }) {
        calls.finished.push(tasks);
      },
    };
    return { calls, activities, release: () => release() };
  }

  let n = 0;
  const start = (taskQueue: string, input: SweepInput) =>
    local.env.client.workflow.start<SweepWorkflow>(ORDER_STATUS_SWEEP_WORKFLOW.workflowType, { taskQueue, workflowId: `order-status-sweep-${Date.now()}-${++n}`, args: [input] });

  it('pages every rule then every window, continuing as new every 20 pages with its position and counts; the latest 20 failures kept', async () => {
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    // 23 unpaid orders (24 pages of one), 22 shipped ones that cannot be handed over, one window to close.
    const orders = fakeOverdueOrders({ 'cancel:NEW': ids(1, 23), 'rog:SHIPPED': ids(101, 22), 'window:comment': [7] }, 1, { failing: (id) => id > 100 });
    await local.withWorker(orders.activities, async (taskQueue) => {
      const handle = await start(taskQueue, {});
      const done = await handle.result();
      expect(done).toMatchObject({ sweep: 'order-status-sweep', sweepRunId: 77, dryRun: false, done: true, pages: 55 });
      expect(done.tasks).toEqual({
        cancel: { scanned: 23, advanced: 23, skipped: 0, failed: 0 },
        rog: { scanned: 22, advanced: 0, skipped: 0, failed: 22 },
        complete: emptyCounts(),
        pay: emptyCounts(),
        'comment-window': { scanned: 1, advanced: 1, skipped: 0, failed: 0 },
        'complaint-window': emptyCounts(),
        'after-sale-window': emptyCounts(),
      });
      expect(done.recentFailures.map((f) => f.key)).toEqual(ids(103, 20).map((id) => `O${id}`));
      expect((await local.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      expect(orders.calls.finished).toEqual([done.tasks]);
    });
    const { pages } = orders.calls;
    // Three runs of 20, 20 and 15 pages; each run after the first starts where the last stopped, with its totals.
    const runs = [...new Set(pages.map((p) => p.runId))];
    expect(runs.map((run) => pages.filter((p) => p.runId === run).length)).toEqual([20, 20, 15]);
    expect(pages[20]).toMatchObject({ position: 'cancel:NEW', afterId: 20, totalsBefore: { cancel: { scanned: 20, advanced: 20 } } });
    expect(pages.filter((p) => p.position === 'cancel:NEW').map((p) => p.afterId)).toEqual(ids(0, 24));
    expect([...new Set(pages.map((p) => p.position))]).toEqual(POSITIONS);
    // The run row is begun once and the after-sales signalled once, not again after continue-as-new.
    expect(orders.calls.begun).toEqual([{ sweep: 'order-status-sweep', dryRun: false }]);
    expect(orders.calls.afterSales).toBe(1);
  });

  it('a dry run passes dryRun to every page and signals no after-sales', async () => {
    const orders = fakeOverdueOrders({ 'cancel:CONFIRM': [1, 2, 3], 'window:after-sale': [4] }, 2);
    await local.withWorker(orders.activities, async (taskQueue) => {
      const done = await (await start(taskQueue, { dryRun: true })).result();
      expect(done).toMatchObject({ dryRun: true, done: true, pages: POSITIONS.length + 1, tasks: { cancel: { scanned: 3, advanced: 3 }, 'after-sale-window': { scanned: 1, advanced: 1 } } });
    });
    expect(orders.calls.begun).toEqual([{ sweep: 'order-status-sweep', dryRun: true }]);
    expect(orders.calls.pages.every((p) => p.dryRun)).toBe(true);
    expect(orders.calls.afterSales).toBe(0);
  });

  it('its progress query shows the position, pages and counts while a page runs', async () => {
    const orders = fakeOverdueOrders({ 'cancel:NEW': [1, 2, 3, 4, 5] }, 2, { holdPage: 3 });
    await local.withWorker(orders.activities, async (taskQueue) => {
      const handle = await start(taskQueue, {});
      const during = await queryUntil<SweepProgress>(handle, sweepProgressQuery.name, (p) => p.pages === 2);
      expect(during).toMatchObject({ done: false, position: { rule: 'cancel:NEW', afterId: 4 }, tasks: { cancel: { scanned: 4, advanced: 4 } } });
      orders.release();
      expect(await handle.result()).toMatchObject({ done: true, tasks: { cancel: { scanned: 5, advanced: 5 } } });
    });
  });
});
