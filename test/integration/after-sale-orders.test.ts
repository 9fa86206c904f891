import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { LinkedOrderActivities } from '../../activities/linked-orders';
import { OrderRequestActivities } from '../../activities/order-requests';
import { OrderStatus } from '../../domain';
import { newSn } from '../../db/serial-numbers';
import { orderRuntimeOf, startWorkflow } from '../../apps/shared/start-workflows';
import { AfterSaleOpening, OPERATION_REFUSED, cancelUpdate, orderStateQuery, orderWorkflowId } from '../../workflows/order.contract';
import { ORDER_STATUS_SWEEP_WORKFLOW } from '../../workflows/sweep.contract';
import { goodsRow, newSellerId, recordHistory } from '../support/fixtures';
import { PlacedOrder, orderStatus, placePaidOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The order workflow's side of after-sales (issue 10, points 4, 7 and 9) on real Temporal + MariaDB +
 * the simulator: the open/close Updates, timers held while goods come back, replacement orders, and
 * the sweep closing windows. The after-sale workflow itself is another module's; here the order's
 * interface is driven through the same activities that workflow calls.
 */
describe('after-sales on the order side', () => {
  let system: TestSystem;
  let requests: OrderRequestActivities;
  let linked: LinkedOrderActivities;
  beforeAll(async () => {
    system = await startTestSystem({
      ROG_ORDER_DAY: '4s',
      COMPLETE_ORDER_DAY: '6s',
      COMMENT_ORDER_DAY: '12s',
      COMPLAIN_EXPIRED_DAY: '15s',
      SERVICE_EXPIRED_DAY: '20s',
    }, { ownDatabase: true });
    requests = new OrderRequestActivities(system.dataSource, () => system.temporal);
    const deps = { temporal: system.temporal, taskQueue: system.config.temporal.taskQueue, ...orderRuntimeOf(system.config), sweeps: system.config.sweeps };
    linked = new LinkedOrderActivities(system.dataSource, () => deps);
  });
  afterAll(async () => {
    await system?.stop();
  });

  const seller = (order: PlacedOrder) => system.token('seller', order.sellerId);
  const buyer = (order: PlacedOrder) => system.token('buyer', order.buyerId);
  const row = async (orderSn: string) => (await system.dataSource.query('SELECT order_status, pay_status, ship_status, service_status, order_type, order_fen, source_order_sn, source_service_sn FROM orders WHERE order_sn = ?', [orderSn]))[0];
  const state = (orderSn: string) => system.temporal.workflow.getHandle(orderWorkflowId(orderSn)).query(orderStateQuery);
  const opening = (order: PlacedOrder, serviceSn: string, returnsGoods: boolean): AfterSaleOpening => ({
    serviceSn,
    serviceType: returnsGoods ? 'RETURN_GOODS' : 'REFUND_ONLY',
    returnsGoods,
    lines: [{ orderItemId: 1, num: 1 }],
    buyerId: String(order.buyerId),
  });
  const refusal = async (work: Promise<unknown>): Promise<string> => {
    const err = await work.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(OPERATION_REFUSED);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return (err as ApplicationFailure).message;
  };
  const shipped = async (): Promise<PlacedOrder> => {
    const order = await placePaidOrder(system, 'wechatpay');
    const ship = await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: seller(order), body: { carrier: 'SF', trackingNo: 'SF90001' } });
    expect(ship.body.status).toBe('SHIPPED');
    return order;
  };

  it('the sweep closes the windows of completed orders whose time has passed, once, and leaves the others', async () => {
    const sellerId = newSellerId();
    const insert = async (completedAgoMs: number) => {
      const orderSn = newSn('O');
      const completedAt = new Date(Date.now() - completedAgoMs);
      await system.dataSource.query(
        `INSERT INTO orders (order_sn, trade_sn, seller_id, buyer_id, order_status, pay_status, ship_status, service_status, comment_status, complain_status,
           payment_type, order_type, order_fen, goods_fen, paid_fen, created_at, paid_at, shipped_at, received_at, completed_at)
         VALUES (?, 'T0', ?, 1, 'COMPLETE', 'PAY_YES', 'SHIP_ROG', 'NOT_APPLY', 'UNFINISHED', 'NO_APPLY', 'ONLINE', 'NORMAL', 100, 100, 100, ?, ?, ?, ?, ?)`,
        [orderSn, sellerId, completedAt, completedAt, completedAt, completedAt, completedAt],
      );
      return orderSn;
    };
    const overdue = await insert(60_000);
    const recent = await insert(0);
    const windows = async (orderSn: string) => (await system.dataSource.query('SELECT comment_status, complain_status, service_status FROM orders WHERE order_sn = ?', [orderSn]))[0];
    const sweep = async () => {
      const handle = await startWorkflow(system.temporal, ORDER_STATUS_SWEEP_WORKFLOW, { workflowId: `sweep-windows-${newSn('T')}`, taskQueue: system.config.temporal.taskQueue, args: [{}] });
      return handle.result();
    };
    const first = await sweep();
    expect(await windows(overdue)).toEqual({ comment_status: 'FINISHED', complain_status: 'EXPIRED', service_status: 'EXPIRED' });
    expect(await windows(recent)).toEqual({ comment_status: 'UNFINISHED', complain_status: 'NO_APPLY', service_status: 'NOT_APPLY' });
    for (const task of ['comment-window', 'complaint-window', 'after-sale-window']) expect(first.tasks[task]).toMatchObject({ scanned: 1, advanced: 1, failed: 0 });
    const logged = await system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? ORDER BY event_key`, [overdue]);
    expect(logged.map((r: { event_key: string }) => r.event_key)).toEqual(['window:after-sale', 'window:comment', 'window:complaint']);
    // A second run finds nothing open any more.
    const second = await sweep();
    for (const task of ['comment-window', 'complaint-window', 'after-sale-window']) expect(second.tasks[task]).toMatchObject({ scanned: 0, advanced: 0 });
  });

  it('takes a return on, holds its timers until it closes, then completes; after-sales stay possible in the window and are refused after it', async () => {
    const order = await shipped();
    const handle = system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn));
    const s1 = `S${order.orderSn.slice(1)}1`;
    // Not shipped yet is refused, with the reason (another order, still PAID_OFF).
    const unshipped = await placePaidOrder(system, 'alipay');
    expect(await refusal(requests.openAfterSaleOnOrder(unshipped.orderSn, opening(unshipped, 'S-unshipped', true)))).toMatch(/not shipped yet, cancel the order/);

    // Opened twice at once and once more: one answer, one log row, service status APPLY.
    const answers = await Promise.all([requests.openAfterSaleOnOrder(order.orderSn, opening(order, s1, true)), requests.openAfterSaleOnOrder(order.orderSn, opening(order, s1, true))]);
    expect(answers).toEqual([{ serviceSn: s1, orderStatus: 'SHIPPED' }, { serviceSn: s1, orderStatus: 'SHIPPED' }]);
    expect(await requests.openAfterSaleOnOrder(order.orderSn, opening(order, s1, true))).toEqual({ serviceSn: s1, orderStatus: 'SHIPPED' });
    expect(await row(order.orderSn)).toMatchObject({ order_status: 'SHIPPED', pay_status: 'PAY_YES', ship_status: 'SHIP_YES', service_status: 'APPLY' });
    const openedLog = await system.dataSource.query('SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND event_key = ?', [order.orderSn, `after-sale:${s1}:open`]);
    expect(Number(openedLog[0].n)).toBe(1);
    expect((await state(order.orderSn)).afterSales).toEqual([{ serviceSn: s1, returnsGoods: true, open: true }]);
    expect((await state(order.orderSn)).nextTimer).toMatchObject({ operation: 'ROG', heldBy: [s1] });

    // Whole-order cancel is refused while it is open (the order workflow's own validator).
    const cancel = await handle.executeUpdate(cancelUpdate, { args: [{ cancellationId: 987654321, reason: 'changed my mind', actor: 'BUYER', actorId: String(order.buyerId) }] }).catch((e) => e);
    expect(cancel).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((cancel as WorkflowUpdateFailedError).cause?.message).toMatch(/open after-sale .* cannot be cancelled as a whole/);

    // Auto-receive was due 4 s after shipping: the goods are on their way back, so it waits.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await orderStatus(system, order.orderSn)).toBe('SHIPPED');

    // Closed (twice: same answer); the held timer fires at once because its time has passed.
    expect(await requests.closeAfterSaleOnOrder(order.orderSn, { serviceSn: s1, outcome: 'COMPLETED', refundedFen: 0 })).toBe('SHIPPED');
    expect(await requests.closeAfterSaleOnOrder(order.orderSn, { serviceSn: s1, outcome: 'COMPLETED', refundedFen: 0 })).toBe('SHIPPED');
    await waitForStatus(system, order.orderSn, OrderStatus.ROG, 30_000);

    // A refund-only after-sale at ROG does not hold the auto-complete timer; its APPLY survives completion.
    const s2 = `S${order.orderSn.slice(1)}2`;
    expect(await requests.openAfterSaleOnOrder(order.orderSn, opening(order, s2, false))).toEqual({ serviceSn: s2, orderStatus: 'ROG' });
    await waitForStatus(system, order.orderSn, OrderStatus.COMPLETE, 30_000);
    expect(await row(order.orderSn)).toMatchObject({ order_status: 'COMPLETE', ship_status: 'SHIP_ROG', service_status: 'APPLY' });
    expect(await requests.closeAfterSaleOnOrder(order.orderSn, { serviceSn: s2, outcome: 'COMPLETED', refundedFen: 500 })).toBe('COMPLETE');
    expect(await row(order.orderSn)).toMatchObject({ service_status: 'EXPIRED' });

    // Completed and serving its windows: a third one is taken on, then the window closes for new ones.
    const s3 = `S${order.orderSn.slice(1)}3`;
    expect(await requests.openAfterSaleOnOrder(order.orderSn, opening(order, s3, true))).toEqual({ serviceSn: s3, orderStatus: 'COMPLETE' });
    expect((await state(order.orderSn)).afterSales.map((a) => [a.serviceSn, a.open])).toEqual([[s1, false], [s2, false], [s3, true]]);
    const [{ completed_at: completedAt }] = await system.dataSource.query('SELECT completed_at FROM orders WHERE order_sn = ?', [order.orderSn]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, new Date(completedAt).getTime() + 21_000 - Date.now())));
    expect(await refusal(requests.openAfterSaleOnOrder(order.orderSn, opening(order, `S${order.orderSn.slice(1)}4`, false)))).toMatch(/after-sale window closed/);
    // The open one is still served after its window closed; closing it lets the workflow end.
    expect(await requests.closeAfterSaleOnOrder(order.orderSn, { serviceSn: s3, outcome: 'CLOSED', refundedFen: 0 })).toBe('COMPLETE');
    const final = await handle.result();
    expect(final.status).toBe('COMPLETE');
    // A retried close after the workflow ended answers from the row, not a refusal.
    expect(await requests.closeAfterSaleOnOrder(order.orderSn, { serviceSn: s3, outcome: 'CLOSED', refundedFen: 0 })).toBe('COMPLETE');
    const steps = await system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND event_key LIKE 'after-sale:%' ORDER BY id`, [order.orderSn]);
    expect(steps.map((r: { event_key: string }) => r.event_key)).toEqual([
      `after-sale:${s1}:open`, `after-sale:${s1}:close`, `after-sale:${s2}:open`, `after-sale:${s2}:close`, `after-sale:${s3}:open`, `after-sale:${s3}:close`,
    ]);
    await recordHistory(handle, 'order-after-sale-return-held');
  }, 120_000);

  it('an exchange creates one free CHANGE order (however often asked) that ships, is received and completes, and can never be paid or cancelled with a refund', async () => {
    const source = await shipped();
    const serviceSn = `S${source.orderSn.slice(1)}9`;
    const before = await goodsRow(system.dataSource, source.skuId);
    const request = { serviceSn, sourceOrderSn: source.orderSn, orderType: 'CHANGE' as const, lines: [{ skuId: source.skuId, num: 1 }] };
    const created = await Promise.all([linked.createLinkedOrder(request), linked.createLinkedOrder(request)]);
    expect(created[1]).toEqual(created[0]);
    expect(await linked.createLinkedOrder(request)).toEqual(created[0]);
    const { orderSn } = created[0];
    expect(await row(orderSn)).toMatchObject({ order_type: 'CHANGE', order_fen: 0, pay_status: 'PAY_NO', source_order_sn: source.orderSn, source_service_sn: serviceSn });
    // Reserved once through the ledger.
    expect(await goodsRow(system.dataSource, source.skuId)).toEqual({ ...before, available_quantity: before.available_quantity - 1 });
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    expect((await state(orderSn)).flow).toBe('REPLACEMENT');
    const replacement: PlacedOrder = { ...source, orderSn, orderFen: 0 };

    const pay = await system.http('POST', `/orders/${orderSn}/payment`, { token: buyer(replacement), body: { provider: 'wechatpay' } });
    expect(pay.status).toBe(409);
    expect(pay.body.detail).toMatch(/nothing to pay/);
    const cancel = await system.http('POST', `/orders/${orderSn}/cancellations`, { token: buyer(replacement), headers: { 'idempotency-key': `c-${orderSn}` }, body: { reason: 'want money' } });
    expect(cancel.status).toBe(409);

    expect((await system.http('POST', `/orders/${orderSn}/shipment`, { token: seller(replacement), body: { carrier: 'SF', trackingNo: 'SF90002' } })).body.status).toBe('SHIPPED');
    expect((await system.http('POST', `/orders/${orderSn}/receipt`, { token: buyer(replacement) })).body.status).toBe('ROG');
    await waitForStatus(system, orderSn, OrderStatus.COMPLETE, 30_000);
    expect(await row(orderSn)).toMatchObject({ order_status: 'COMPLETE', pay_status: 'PAY_NO', ship_status: 'SHIP_ROG', order_fen: 0 });
    expect(await goodsRow(system.dataSource, source.skuId)).toEqual({ ...before, available_quantity: before.available_quantity - 1, quantity: before.quantity - 1 });
    const refunds = await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [orderSn]);
    expect(Number(refunds[0].n)).toBe(0);
    // The source order's log names its replacement.
    const sourceLog = await system.dataSource.query('SELECT message FROM order_log WHERE order_sn = ? AND event_key = ?', [source.orderSn, `linked:${serviceSn}`]);
    expect(sourceLog[0].message).toContain(orderSn);
  }, 90_000);

  it('a re-ship creates a SUPPLY_AGAIN order that is received and completed by its own timers', async () => {
    const source = await shipped();
    const { orderSn } = await linked.createLinkedOrder({ serviceSn: `S${source.orderSn.slice(1)}8`, sourceOrderSn: source.orderSn, orderType: 'SUPPLY_AGAIN', lines: [{ skuId: source.skuId, num: 2 }] });
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    expect(await row(orderSn)).toMatchObject({ order_type: 'SUPPLY_AGAIN', order_fen: 0 });
    // Unpaid by design: no auto-cancel timer runs for it.
    expect((await state(orderSn)).nextTimer).toBeUndefined();
    expect((await system.http('POST', `/orders/${orderSn}/shipment`, { token: seller(source), body: { carrier: 'SF', trackingNo: 'SF90003' } })).body.status).toBe('SHIPPED');
    await waitForStatus(system, orderSn, OrderStatus.COMPLETE, 40_000);
    const history = (await state(orderSn)).history.map((h) => `${h.operation}:${h.actor}`);
    expect(history).toEqual(['CONFIRM:SYSTEM', 'SHIP:SELLER', 'ROG:SYSTEM_TIMER', 'COMPLETE:SYSTEM_TIMER']);
    await eventually(async () => ((await row(orderSn)).service_status === 'EXPIRED' ? true : undefined), 5_000, 'receipt closes the cancel window');
    // Its windows close like any completed order's, and then its workflow ends.
    const handle = system.temporal.workflow.getHandle(orderWorkflowId(orderSn));
    expect((await handle.result()).status).toBe('COMPLETE');
    expect(await system.dataSource.query('SELECT comment_status, complain_status FROM orders WHERE order_sn = ?', [orderSn])).toEqual([{ comment_status: 'FINISHED', complain_status: 'EXPIRED' }]);
    await recordHistory(handle, 'order-replacement-supply-again');
  }, 90_000);
});
