import { applySchedules } from '../../apps/worker/schedules';
import { afterSaleApi, receivedTwoLineOrder } from '../support/after-sales';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { afterSaleStateQuery } from '../../workflows/after-sale.contract';

/**
 * The daily order-status sweep's after-sale part: after-sales the database says are past their
 * deadline are signalled (their workflow decides by its own timer); one whose workflow is gone is
 * written to the order's log for support. Own database: the sweep scans every row.
 */
describe('the daily sweep finds overdue after-sales', () => {
  let system: TestSystem;
  let scheduleIds: string[] = [];
  beforeAll(async () => {
    system = await startTestSystem({}, { ownDatabase: true });
    scheduleIds = (await applySchedules(system.temporal, system.config)).map((s) => s.scheduleId);
  });
  afterAll(async () => {
    if (!system) return;
    for (const id of scheduleIds) await system.temporal.schedule.getHandle(id).delete().catch(() => undefined);
    await system.stop();
  });

  it('signals an overdue after-sale and reports one without a workflow, changing neither', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const api = afterSaleApi(system, order);
    const [a, b] = order.lines;
    const running = (await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'x' }, `sw-1-${order.orderSn}`)).body.serviceSn as string;
    const lost = (await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: b.orderItemId, num: 1 }], reason: 'y' }, `sw-2-${order.orderSn}`)).body.serviceSn as string;
    // The 48 h audit deadline, as the database would hold it two days later.
    await system.dataSource.query('UPDATE after_sale SET deadline_at = NOW(3) - INTERVAL 1 MINUTE WHERE service_sn IN (?)', [[running, lost]]);
    await system.temporal.workflow.getHandle(`after-sale-${lost}`).terminate('lost in a test');

    const started = await system.http('POST', '/admin/sweeps/order-status-sweep/run', { token: system.token('admin', 1), body: {} });
    expect(started.status).toBe(202);
    await system.temporal.workflow.getHandle(started.body.workflowId).result();

    const state = await eventually(async () => {
      const s = await system.temporal.workflow.getHandle(`after-sale-${running}`).query(afterSaleStateQuery);
      return s.sweptBy ? s : undefined;
    }, 20_000, 'the sweep signal');
    // The workflow's own timer decides: 48 h have not passed for it, so it still waits for the seller.
    expect(state).toMatchObject({ status: 'APPLY', waitingOn: 'SELLER', sweptBy: expect.stringMatching(/^order-status-sweep /) });
    const log = await system.dataSource.query(`SELECT message FROM order_log WHERE order_sn = ? AND event_key LIKE ?`, [order.orderSn, `after-sale:${lost}:overdue:%`]);
    expect(log).toEqual([{ message: expect.stringMatching(/past its AUDIT_PASS deadline and has no running workflow/) }]);
    const rows = await system.dataSource.query('SELECT status FROM after_sale WHERE service_sn IN (?) ORDER BY id', [[running, lost]]);
    expect(rows).toEqual([{ status: 'APPLY' }, { status: 'APPLY' }]);
  });
});
