import { WorkflowHandle } from '@temporalio/client';
import { applySchedules, scheduleIdOf } from '../../apps/worker/schedules';
import { OrderStatus } from '../../domain';
import { orderRuntimeOf, startOrderWorkflow } from '../../apps/shared/start-workflows';
import { buildOrderWorkflowInput } from '../../workflows/order.contract';
import { SweepProgress, sweepProgressQuery } from '../../workflows/sweep.contract';
import { newSellerId, recordHistory } from '../support/fixtures';
import { PlacedOrder, placePaidOrder } from '../support/orders';
import { DAY, OrderBatch, SeededOrder, seedOrders } from '../support/overdue-orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The scheduled reconcilers on a real Temporal server and MariaDB: the order-status sweep finds what
 * the database says is overdue — whatever happened to its workflow — and moves it on exactly once;
 * the refund-status check finishes a refund whose notification was lost.
 */
describe('order-status sweep and refund-status check', () => {
  let system: TestSystem;
  let admin: string;
  let scheduleIds: string[] = [];
  beforeAll(async () => {
    system = await startTestSystem({
      // Small pages, so the runs below cross page boundaries and continue-as-new (20 pages a run).
      SWEEP_BATCH_SIZE: '100',
      // Refund workflows must not find the lost notification by their own polling: only the check may.
      REFUND_POLL_SCHEDULE: '1h',
      REFUND_CHECK_MIN_AGE: '15s',
    }, { ownDatabase: true });
    scheduleIds = (await applySchedules(system.temporal, system.config)).map((s) => s.scheduleId);
    admin = system.token('admin', 1);
  });
  afterAll(async () => {
    if (system) {
      for (const id of scheduleIds) await system.temporal.schedule.getHandle(id).delete().catch(() => undefined);
      await system.stop();
    }
  });

  /** Runs a sweep through the operators' endpoint (the schedule's trigger) and waits for its result. */
  async function runSweep(name: 'order-status-sweep' | 'refund-status-check', body: { dryRun?: boolean } = {}): Promise<{ handle: WorkflowHandle; result: SweepProgress }> {
    const started = await system.http('POST', `/admin/sweeps/${name}/run`, { token: admin, body });
    expect(started.status).toBe(202);
    const handle = system.temporal.workflow.getHandle(started.body.workflowId);
    return { handle, result: (await handle.result()) as SweepProgress };
  }

  const statusesOf = async (sns: string[]): Promise<Map<string, string>> => {
    const found = new Map<string, string>();
    for (let i = 0; i < sns.length; i += 2000) {
      const rows: { order_sn: string; order_status: string }[] = await system.dataSource.query('SELECT order_sn, order_status FROM orders WHERE order_sn IN (?)', [sns.slice(i, i + 2000)]);
      for (const row of rows) found.set(row.order_sn, row.order_status);
    }
    return found;
  };

  /** Status changes the timers' actor made, per order (the order log's unique event key makes each at most once). */
  const timerTransitions = async (sellerId: number): Promise<Map<string, number>> => {
    const rows: { order_sn: string; n: number }[] = await system.dataSource.query(
      `SELECT l.order_sn, COUNT(*) AS n FROM order_log l JOIN orders o ON o.order_sn = l.order_sn
       WHERE o.seller_id = ? AND l.new_status IS NOT NULL GROUP BY l.order_sn`,
      [sellerId],
    );
    return new Map(rows.map((r) => [r.order_sn, Number(r.n)]));
  };

  const total = (result: SweepProgress, field: 'scanned' | 'advanced' | 'skipped' | 'failed') =>
    Object.values(result.tasks).reduce((sum, counts) => sum + counts[field], 0);

  async function waitForStatuses(seeded: SeededOrder[], batches: readonly OrderBatch[], timeoutMs: number): Promise<void> {
    const expected = (order: SeededOrder) => {
      const batch = batches[order.batch];
      return batch.expect === 'untouched' ? batch.status : batch.expect;
    };
    await eventually(async () => {
      const statuses = await statusesOf(seeded.map((o) => o.orderSn));
      const behind = seeded.filter((o) => statuses.get(o.orderSn) !== expected(o));
      return behind.length === 0 ? true : undefined;
    }, timeoutMs, 'every overdue order in its expected status');
  }

  it('moves 10,000 mixed orders on exactly once, leaves terminal and not-yet-due ones alone, and a second run changes nothing', async () => {
    const sellerId = newSellerId();
    // Every order the sweep hands over costs a few workflow tasks (~20 orders/s on the 2-core box), so
    // a fifth are overdue: enough for every rule and page boundary, while the test stays near two minutes.
    const batches: OrderBatch[] = [
      { expect: 'CANCELLED', count: 250, status: 'CONFIRM', agoMs: 2 * DAY },
      { expect: 'CANCELLED', count: 50, status: 'NEW', agoMs: 2 * DAY },
      { expect: 'ROG', count: 500, status: 'SHIPPED', agoMs: 11 * DAY },
      { expect: 'COMPLETE', count: 500, status: 'ROG', agoMs: 8 * DAY },
      { expect: 'PAID_OFF', count: 250, status: 'ROG', paymentType: 'COD', agoMs: 4 * DAY },
      { expect: 'COMPLETE', count: 250, status: 'PAID_OFF', paymentType: 'COD', agoMs: 8 * DAY },
      // Not due yet by the database's clock, or never due (COD is not auto-cancelled).
      { expect: 'untouched', count: 2500, status: 'CONFIRM', agoMs: 3_600_000 },
      { expect: 'untouched', count: 2000, status: 'SHIPPED', agoMs: 2 * DAY },
      { expect: 'untouched', count: 500, status: 'CONFIRM', paymentType: 'COD', agoMs: 5 * DAY },
      // Terminal.
      { expect: 'untouched', count: 2000, status: 'COMPLETE', agoMs: 30 * DAY },
      { expect: 'untouched', count: 1000, status: 'CANCELLED', agoMs: 30 * DAY },
      // Overdue in the database, with a running workflow whose own timer is far away (a bug let it miss): the sweep signals it.
      { expect: 'ROG', count: 100, status: 'SHIPPED', agoMs: 11 * DAY },
      // Overdue, with a workflow an operator terminated by hand: the sweep starts a fresh, resumed one.
      { expect: 'ROG', count: 100, status: 'SHIPPED', agoMs: 11 * DAY },
    ];
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(10_000);
    const seeded = await seedOrders(system.dataSource, sellerId, batches);
    const ofBatch = (index: number) => seeded.filter((o) => o.batch === index);

    const start = (orderSn: string) => {
      const input = buildOrderWorkflowInput(
        { orderSn, sellerId, buyerId: sellerId + 500_000, flow: 'ONLINE', orderFen: 12900, createdAt: new Date(Date.now() - 14 * DAY) },
        orderRuntimeOf(system.config),
        // The workflow believes it shipped just now, so its own auto-receive timer is ten days away.
        { status: OrderStatus.SHIPPED, sinceIso: new Date().toISOString(), paidFen: 12900 },
      );
      return startOrderWorkflow(system.temporal, system.config.temporal.taskQueue, input, {});
    };
    const running = await Promise.all(ofBatch(11).map((o) => start(o.orderSn)));
    const terminated = await Promise.all(ofBatch(12).map((o) => start(o.orderSn)));
    await Promise.all(terminated.map((h) => h.terminate('operator ended it by hand')));

    const overdue = batches.filter((b) => b.expect !== 'untouched').reduce((sum, b) => sum + b.count, 0);
    const dry = await runSweep('order-status-sweep', { dryRun: true });
    expect(dry.result.dryRun).toBe(true);
    expect(total(dry.result, 'advanced')).toBe(overdue);
    expect((await timerTransitions(sellerId)).size).toBe(0);

    const began = Date.now();
    const first = await runSweep('order-status-sweep');
    const handedOverMs = Date.now() - began;
    await recordHistory(first.handle, 'order-status-sweep');
    expect(first.result.done).toBe(true);
    expect(total(first.result, 'advanced')).toBe(overdue);
    expect(total(first.result, 'failed')).toBe(0);
    expect(first.result.tasks.cancel.advanced).toBe(300);
    expect(first.result.tasks.rog.advanced).toBe(700);
    expect(first.result.tasks.complete.advanced).toBe(750);
    expect(first.result.tasks.pay.advanced).toBe(250);
    expect(first.result.pages).toBeGreaterThan(overdue / 100);
    // Operators read the same progress through the workflow's query (what the UI's Queries tab shows).
    expect(await first.handle.query(sweepProgressQuery)).toMatchObject({ done: true, tasks: first.result.tasks });
    // More pages than one run takes: the history stayed bounded by continuing as new.
    let runsOfFirst = 0;
    for await (const _ of system.temporal.workflow.list({ query: `WorkflowId = '${first.handle.workflowId}'` })) runsOfFirst += 1;
    expect(runsOfFirst).toBeGreaterThan(1);

    await waitForStatuses(seeded, batches, 600_000);
    const allAdvancedMs = Date.now() - began;
    console.log(`sweep of ${overdue} overdue among 10,000 orders: handed over in ${handedOverMs} ms, all advanced in ${allAdvancedMs} ms`);

    const transitions = await timerTransitions(sellerId);
    for (const [index, batch] of batches.entries()) {
      for (const order of ofBatch(index)) {
        expect([order.orderSn, transitions.get(order.orderSn) ?? 0]).toEqual([order.orderSn, batch.expect === 'untouched' ? 0 : 1]);
      }
    }
    // The signalled workflows moved on in place (same run); the terminated ones were replaced.
    const stillFirstRun = await running[0].describe();
    expect(stillFirstRun.runId).toBe(running[0].firstExecutionRunId);
    expect((await system.temporal.workflow.getHandle(terminated[0].workflowId).describe()).runId).not.toBe(terminated[0].firstExecutionRunId);

    const second = await runSweep('order-status-sweep');
    expect(total(second.result, 'advanced')).toBe(0);
    expect(total(second.result, 'failed')).toBe(0);
    expect(await timerTransitions(sellerId)).toEqual(transitions);

    const view = await system.http('GET', '/admin/sweeps/order-status-sweep', { token: admin });
    expect(view.status).toBe(200);
    expect(view.body.schedule).toMatchObject({ overlap: 'SKIP', timeZone: 'Asia/Shanghai', paused: false });
    const runs = view.body.lastRuns as { workflowId: string; status: string; dryRun: boolean; tasks: SweepProgress['tasks'] }[];
    expect(runs.slice(0, 3).map((r) => [r.workflowId, r.status, r.dryRun])).toEqual([
      [second.handle.workflowId, 'COMPLETED', false],
      [first.handle.workflowId, 'COMPLETED', false],
      [dry.handle.workflowId, 'COMPLETED', true],
    ]);
    expect(runs[1].tasks).toEqual(first.result.tasks);
  }, 900_000);

  it('completes a sweep whose worker was SIGKILLed mid-page, with no order advanced twice', async () => {
    const sellerId = newSellerId();
    const batches: OrderBatch[] = [
      { expect: 'ROG', count: 600, status: 'SHIPPED', agoMs: 11 * DAY },
      { expect: 'COMPLETE', count: 400, status: 'ROG', agoMs: 8 * DAY },
    ];
    const seeded = await seedOrders(system.dataSource, sellerId, batches);
    await system.stopWorker();
    const worker = system.spawnWorkerProcess();
    try {
      const started = await system.http('POST', '/admin/sweeps/order-status-sweep/run', { token: admin, body: {} });
      expect(started.status).toBe(202);
      const handle = system.temporal.workflow.getHandle(started.body.workflowId);
      // Kill it once some orders were handed over and most were not.
      await eventually(async () => {
        const [row] = await system.dataSource.query('SELECT COUNT(*) AS n FROM sweep_handover h JOIN orders o ON o.order_sn = h.order_sn WHERE o.seller_id = ?', [sellerId]);
        return Number(row.n) > 0 ? true : undefined;
      }, 60_000, 'first orders handed over');
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
      const [{ n: handedOverAtKill }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM sweep_handover h JOIN orders o ON o.order_sn = h.order_sn WHERE o.seller_id = ?', [sellerId]);
      expect(Number(handedOverAtKill)).toBeLessThan(1000);

      await system.startWorker();
      const result = (await handle.result()) as SweepProgress;
      expect(result.tasks.rog.advanced).toBe(600);
      expect(result.tasks.complete.advanced).toBe(400);
      expect(total(result, 'failed')).toBe(0);
      await waitForStatuses(seeded, batches, 300_000);
      const transitions = await timerTransitions(sellerId);
      expect(seeded.filter((o) => transitions.get(o.orderSn) !== 1)).toEqual([]);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await system.startWorker();
    }
  }, 600_000);

  it('finishes a refund stuck in PROCESSING whose notification was lost, found by the hourly check', async () => {
    await system.sim.reset();
    const order: PlacedOrder & { outTradeNo: string } = await placePaidOrder(system, 'wechatpay');
    // The provider settles the refund, but its notification never arrives.
    await system.sim.controlNotifications({ provider: 'wechatpay', kind: 'refund', mode: 'drop', count: 10 });
    const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, {
      token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `sweep-${order.orderSn}` }, body: { reason: 'out of stock' },
    });
    expect(cancelled.status).toBe(202);
    const [refund] = await eventually(async () => {
      const rows: { refund_sn: string; status: string }[] = await system.dataSource.query(`SELECT refund_sn, status FROM refund WHERE order_sn = ? AND status = 'PROCESSING'`, [order.orderSn]);
      return rows.length ? rows : undefined;
    }, 30_000, 'refund PROCESSING');
    await eventually(async () => ((await system.sim.getRefund(refund.refund_sn, 'wechatpay')).status === 'SUCCESS' ? true : undefined), 30_000, 'refund settled at the provider');
    // Younger than REFUND_CHECK_MIN_AGE it is left to its own workflow; past it, the check takes it.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const [{ status: before }] = await system.dataSource.query('SELECT status FROM refund WHERE refund_sn = ?', [refund.refund_sn]);
    expect(before).toBe('PROCESSING');

    const check = await runSweep('refund-status-check');
    await recordHistory(check.handle, 'refund-status-check');
    expect(check.result.tasks.refund.advanced).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const [row] = await system.dataSource.query('SELECT status FROM cancellation_request WHERE order_sn = ?', [order.orderSn]);
      return row?.status === 'COMPLETED' ? true : undefined;
    }, 30_000, 'cancellation completed');
    const [after] = await system.dataSource.query('SELECT status FROM refund WHERE refund_sn = ?', [refund.refund_sn]);
    expect(after.status).toBe('SUCCESS');
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
  });

  it('answers operators: unknown sweep 404, non-admin 403, bad body 400', async () => {
    expect((await system.http('POST', '/admin/sweeps/nightly-magic/run', { token: admin, body: {} })).status).toBe(404);
    expect((await system.http('GET', '/admin/sweeps/order-status-sweep', { token: system.token('support', 1) })).status).toBe(403);
    expect((await system.http('POST', '/admin/sweeps/order-status-sweep/run', { token: admin, body: { dryRun: 'yes' } })).status).toBe(400);
  });
});
