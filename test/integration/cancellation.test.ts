import { OrderStatus } from '../../domain';
import type { ProviderName } from '../../payments';
import { goodsRow, recordHistory } from '../support/fixtures';
import { PlacedOrder, orderStatus, placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/** Seller cancels: refund once, restock once, take back sales once — end to end through HTTP. */
describe('seller cancels an order', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    // Fault scripts and notification controls are the simulator's global state: none leaks between tests.
    await system.sim.reset();
  });

  const cancel = (order: PlacedOrder, key: string, reason = 'out of stock in the warehouse', token = system.token('seller', order.sellerId)) =>
    system.http('POST', `/orders/${order.orderSn}/cancellations`, { token, headers: { 'idempotency-key': key }, body: { reason } });

  const waitCancelled = async (order: PlacedOrder, timeoutMs = 45_000) => {
    try {
      await eventually(async () => {
        const [row] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
        return row ? true : undefined;
      }, timeoutMs, `cancellation of ${order.orderSn} completed`);
    } catch (err) {
      console.error(`cancellation of ${order.orderSn} did not complete:`, JSON.stringify(await diagnose(order)));
      throw err;
    }
  };

  /** What support would look at: the rows and every workflow's own view of the case. */
  async function diagnose(order: PlacedOrder) {
    const query = (id: string, name: string) => system.temporal.workflow.getHandle(id).query(name).catch((e: Error) => e.message);
    const refunds = await system.dataSource.query('SELECT refund_sn, status FROM refund WHERE order_sn = ?', [order.orderSn]);
    return {
      requests: await system.dataSource.query('SELECT id, status FROM cancellation_request WHERE order_sn = ?', [order.orderSn]),
      refunds,
      refundWorkflows: await Promise.all(refunds.map((r: { refund_sn: string }) => query(`refund-${r.refund_sn}`, 'refundState'))),
      order: await query(`order-${order.orderSn}`, 'state'),
      // The cancellation's own workflow has the steps.
      cancellation: await query(`cancel-${order.orderSn}`, 'progress'),
      simNotifications: (await system.sim.notifications()).slice(-5),
    };
  }

  /**
   * The cancel has its own workflow, found by OrderSn, which asked the order (a cancelAsked Signal,
   * answered by cancelAnswered) and never ran a transition of the order itself: the CAS is in the
   * order workflow's history only.
   */
  async function expectOnlyTheOrderWritesItsStatus(order: PlacedOrder) {
    const cancellation = system.temporal.workflow.getHandle(`cancel-${order.orderSn}`);
    // The request row reads COMPLETED before the workflow closes (its last activity writes it, and the
    // workflow task that completes the run comes after): wait for the close, then check how it closed
    // (CI once described it still RUNNING).
    await cancellation.result();
    expect((await cancellation.describe()).status.name).toBe('COMPLETED');
    const activities = async (id: string) => {
      const { events } = await system.temporal.workflow.getHandle(id).fetchHistory();
      return (events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
    };
    const { events } = await cancellation.fetchHistory();
    const signalled = (events ?? []).flatMap((e) => (e.signalExternalWorkflowExecutionInitiatedEventAttributes ? [`${e.signalExternalWorkflowExecutionInitiatedEventAttributes.signalName} → ${e.signalExternalWorkflowExecutionInitiatedEventAttributes.workflowExecution?.workflowId}`] : []));
    expect(signalled).toEqual([`cancelAsked → order-${order.orderSn}`, `cancellationSettledTold → order-${order.orderSn}`]);
    const answers = (events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    expect(answers).toEqual(['cancelAnswered', 'orderSettled']);
    const asked = await activities(`cancel-${order.orderSn}`);
    expect(asked.filter((a) => /cancelOrder|applyTransition|markOrderCancelled|finishCancellation|settleCancelledOrder/.test(a))).toEqual([]);
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const w of system.temporal.workflow.list({ query: `OrderSn = '${order.orderSn}' AND WorkflowType = 'cancellationWorkflow'` })) ids.push(w.workflowId);
      return ids.length ? ids : undefined;
    }, 15_000, `cancel-${order.orderSn} found by OrderSn`);
    expect(found).toEqual([`cancel-${order.orderSn}`]);
  }

  async function expectRestoredExactly(order: PlacedOrder & { outTradeNo: string }) {
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    const [row] = await system.dataSource.query('SELECT order_status, pay_status, refunded_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'CANCELLED', pay_status: 'REFUNDED', refunded_fen: order.orderFen });
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
    const movements = await system.dataSource.query('SELECT kind, quantity FROM stock_movement WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    expect(movements).toEqual([
      { kind: 'RESERVE', quantity: -2 },
      { kind: 'SALE', quantity: 2 },
      { kind: 'RESTORE', quantity: 2 },
      { kind: 'SALE_REVERSAL', quantity: -2 },
    ]);
  }

  it.each<ProviderName>(['wechatpay', 'alipay'])('refunds a paid %s order once, restores stock and sales, and logs every step in order', async (provider) => {
    const order = await placePaidOrder(system, provider);
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 8, sales_count: 2 });

    const accepted = await cancel(order, `cancel-${order.orderSn}`);
    expect(accepted.status).toBe(202);
    // The cancellation is its own workflow; it asks the order workflow, which cancels.
    expect(accepted.body).toMatchObject({ orderSn: order.orderSn, status: 'RECEIVED', refunding: true, cancellationWorkflowId: `cancel-${order.orderSn}`, orderWorkflowId: `order-${order.orderSn}` });
    expect(accepted.body.temporalUiUrl).toContain(`cancel-${order.orderSn}`);

    await waitCancelled(order);
    await expectRestoredExactly(order);
    const log = await system.dataSource.query('SELECT operation, old_status, new_status, event_key FROM order_log WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    expect(log.map((r: { event_key: string }) => r.event_key.replace(/R\d+/, 'R*'))).toEqual([
      'CONFIRM:NEW->CONFIRM',
      'PAY:CONFIRM->PAID_OFF',
      'SERVICE_CANCEL:PAID_OFF->CANCELLED',
      'refund:R*:created',
      'refund:R*:SUCCESS',
      'stock:RESTORE',
      'stock:SALE_REVERSAL',
      `cancellation:${accepted.body.cancellationId}:completed`,
    ]);

    const progress = await system.http('GET', `/orders/${order.orderSn}/cancellations/${accepted.body.cancellationId}`, { token: system.token('seller', order.sellerId) });
    expect(progress.status).toBe(200);
    expect(progress.body.status).toBe('COMPLETED');
    expect(progress.body.refunds).toHaveLength(1);
    expect(progress.body.refunds[0].status).toBe('SUCCESS');
    expect(progress.body.progress).toEqual({
      status: 'COMPLETED',
      steps: ['order cancelled', 'buyer refunded', 'stock restored, sales reversed', 'cancellation request closed'],
      refundSn: progress.body.refunds[0].refundSn,
    });

    // The same key replays the first answer; the order is not cancelled twice.
    const replay = await cancel(order, `cancel-${order.orderSn}`);
    expect(replay).toEqual(accepted);
    // A new key on a cancelled order answers 200 with the existing cancellation.
    const again = await cancel(order, `cancel-again-${order.orderSn}`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyCancelled: true, cancellationId: accepted.body.cancellationId });
    expect(await system.sim.moneyMoved(order.outTradeNo)).toMatchObject({ refunds: 1 });

    await expectOnlyTheOrderWritesItsStatus(order);
    await recordHistory(system.temporal.workflow.getHandle(`cancel-${order.orderSn}`), `cancellation-asks-order-paid-${provider}`);
    await recordHistory(system.temporal.workflow.getHandle(`order-${order.orderSn}`), `order-cancelled-by-its-cancellation-paid-${provider}`);
    const refundSn = progress.body.refunds[0].refundSn;
    await recordHistory(system.temporal.workflow.getHandle(`refund-${refundSn}`), `refund-success-${provider}`);
  });

  it('releases the reservation of an unpaid order and closes its provider payment order', async () => {
    const order = await placeOrder(system);
    const payment = await system.http('POST', `/orders/${order.orderSn}/payment`, { token: system.token('buyer', order.buyerId), body: { provider: 'wechatpay' } });
    expect(payment.status).toBe(201);
    const accepted = await cancel(order, `cancel-unpaid-${order.orderSn}`);
    expect(accepted.status).toBe(202);
    expect(accepted.body.refunding).toBe(false);
    await waitCancelled(order);
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    expect((await system.sim.getTrade(payment.body.outTradeNo, 'wechatpay')).status).toBe('CLOSED');
    const [row] = await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'CANCELLED', pay_status: 'PAY_NO' });
    await expectOnlyTheOrderWritesItsStatus(order);
    await recordHistory(system.temporal.workflow.getHandle(`cancel-${order.orderSn}`), 'cancellation-asks-order-unpaid');
    await recordHistory(system.temporal.workflow.getHandle(`order-${order.orderSn}`), 'order-cancelled-by-its-cancellation-unpaid');
  });

  it('retries through three provider 5xx answers and moves the money once', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['500', '500', '500'] });
    expect((await cancel(order, `k-${order.orderSn}`)).status).toBe(202);
    await waitCancelled(order, 60_000);
    await expectRestoredExactly(order);
    const submits = await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund' });
    const mine = submits.filter((r) => JSON.stringify(r.business ?? r.body).includes(order.outTradeNo));
    expect(mine.length).toBeGreaterThanOrEqual(4);
    // Every retry sent the same refund number with the identical body.
    expect(new Set(mine.map((r) => JSON.stringify(r.business ?? r.body))).size).toBe(1);
  });

  it('survives "commit then timeout": the retry queries first and the money moves once', async () => {
    const order = await placePaidOrder(system, 'alipay');
    await system.sim.scriptFaults({ provider: 'alipay', operation: 'submitRefund', outcomes: ['commit-then-timeout'] });
    expect((await cancel(order, `k-${order.orderSn}`)).status).toBe(202);
    await waitCancelled(order, 60_000);
    await expectRestoredExactly(order);
  });

  it('finishes by polling when the refund notification is dropped', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.sim.controlNotifications({ mode: 'drop', provider: 'wechatpay', kind: 'refund', count: 1 });
    expect((await cancel(order, `k-${order.orderSn}`)).status).toBe(202);
    await waitCancelled(order);
    await expectRestoredExactly(order);
    const [refund] = await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn = ?', [order.orderSn]);
    const state = await system.temporal.workflow.getHandle(`refund-${refund.refund_sn}`).query('refundState');
    expect(state).toMatchObject({ status: 'SUCCESS', notifications: 0 });
    expect((state as { polls: number }).polls).toBeGreaterThan(0);
  });

  it('ignores duplicated and reordered refund notifications: one refund, state only forward', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.sim.controlNotifications({ mode: 'duplicate', provider: 'wechatpay', kind: 'refund', times: 3, count: 1 });
    expect((await cancel(order, `k-${order.orderSn}`)).status).toBe(202);
    await waitCancelled(order);
    await expectRestoredExactly(order);
    const [refund] = await system.dataSource.query('SELECT refund_sn, status FROM refund WHERE order_sn = ?', [order.orderSn]);
    expect(refund.status).toBe('SUCCESS');
    const inbox = await system.dataSource.query('SELECT COUNT(*) AS n FROM provider_notification WHERE out_refund_no = ?', [refund.refund_sn]);
    expect(Number(inbox[0].n)).toBe(1);
    // A stale PROCESSING notification after SUCCESS changes nothing.
    await system.temporal.workflow.getHandle(`refund-${refund.refund_sn}`).signal('refundNotified', { status: 'PROCESSING', notificationId: 'late' }).catch(() => undefined);
    const [after] = await system.dataSource.query('SELECT status FROM refund WHERE refund_sn = ?', [refund.refund_sn]);
    expect(after.status).toBe('SUCCESS');
  });

  it('makes concurrent cancel requests into one cancellation and one refund (same key, and different keys)', async () => {
    const order = await placePaidOrder(system, 'alipay');
    const answers = await Promise.all([
      cancel(order, 'same-key'),
      cancel(order, 'same-key'),
      cancel(order, 'other-key-1'),
      cancel(order, 'other-key-2'),
    ]);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 409 || s === 200)).toBe(true);
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.cancellationId));
    expect(ids.size).toBe(1);
    await waitCancelled(order);
    await expectRestoredExactly(order);
    const cancellations = await system.dataSource.query(`SELECT COUNT(*) AS n FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
    expect(Number(cancellations[0].n)).toBe(1);
  });

  it('refuses a shipped order (409), another seller (404) and a malformed body (400), changing nothing', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const shipped = await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: 'SF12345678' } });
    expect(shipped.status).toBe(200);
    const refused = await cancel(order, `k-${order.orderSn}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE_IN_STATE', detail: expect.stringContaining('after-sale return') });
    expect((await cancel(order, `k-${order.orderSn}`)).status).toBe(409);

    const foreign = await cancel(order, 'foreign', 'mine now', system.token('seller', order.sellerId + 1));
    expect(foreign.status).toBe(404);
    const noReason = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': 'x1' }, body: { reason: 42 } });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'reason', messages: expect.arrayContaining(['reason must be a string']) }] });
    const noKey = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), body: { reason: 'x' } });
    expect(noKey.status).toBe(400);
    const bodyReuse = await cancel(order, `k-${order.orderSn}`, 'a different reason');
    expect(bodyReuse.status).toBe(422);

    expect(await orderStatus(system, order.orderSn)).toBe(OrderStatus.SHIPPED);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toMatchObject({ refunds: 0 });
    const workflows = await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [order.orderSn]);
    expect(Number(workflows[0].n)).toBe(0);
  });
});
