import { Actor, FlowType, OrderSettings, OrderStatus, PayStatus, RefundStatus } from '../../domain';
import {
  ORDER_WORKFLOW,
  OrderState,
  OrderWorkflow,
  OrderWorkflowInput,
  PaymentConfirmed,
  SweepOverdue,
  completeUpdate,
  confirmReceiptUpdate,
  orderStateQuery,
  orderWorkflowId,
  paymentConfirmedSignal,
  shipUpdate,
  sweepOverdueSignal,
} from '../../workflows/order.contract';
import type { LatePaymentOutcome } from '../../workflows/late-payment.contract';
import { fakeLatePayments, fakeOrderTable, orderSettings, startOrder, updateAnswer } from './fake-orders';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, childrenStarted, queryUntil, resultOf, startLocalWorkflows } from './local-env';

/**
 * The order workflow alone, its order table in memory (the same compare-and-set as the database
 * step): an online order from confirmation to completion and its window timers, refusals with their
 * catalogue codes, a row moved behind the workflow's back, payments told twice or paid twice, and the
 * sweep's overdue signal to a resumed order. Timers and cancellation: order-timers.workflow.test.ts.
 */
describe('order workflow (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  const start = (taskQueue: string, fast: Partial<OrderSettings> = {}, extra: Partial<OrderWorkflowInput> = {}) => startOrder(local.env.client, taskQueue, fast, extra);
  const payment = (orderSn: string, k: number, amountFen = 2500): PaymentConfirmed => ({
    provider: 'wechatpay',
    outTradeNo: `${orderSn}P${k}W`,
    transactionId: `T-${orderSn}-${k}`,
    amountFen,
    paidAt: new Date().toISOString(),
    notificationId: `N-${k}-${Math.random()}`,
  });
  const answer = updateAnswer;
  const statusIs = (status: OrderStatus) => (state: OrderState) => state.status === status;

  it('online: confirmed, paid by notification, shipped, received, completed on its timer; then the windows close in time order', async () => {
    const table = fakeOrderTable();
    await local.withWorker(table.activities, async (taskQueue) => {
      const { orderSn, handle } = await start(taskQueue, { completeOrderMs: 300, commentOrderMs: 100, complainExpiredMs: 400, serviceExpiredMs: 700 });
      const confirmed = await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM));
      expect(confirmed.nextTimer).toMatchObject({ operation: 'CANCEL' });
      const paid = payment(orderSn, 1);
      await handle.signal(paymentConfirmedSignal, paid);
      expect(await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.PAID_OFF))).toMatchObject({ payStatus: PayStatus.PAY_YES, paidFen: 2500, transactionId: paid.transactionId });
      expect(await handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'SF', trackingNo: 'SF100' }] })).toBe(OrderStatus.SHIPPED);
      expect((await handle.query(orderStateQuery)).nextTimer).toMatchObject({ operation: 'ROG' });
      expect(await handle.executeUpdate(confirmReceiptUpdate, { args: [{ actorId: '7' }] })).toBe(OrderStatus.ROG);

      const done = await handle.result();
      expect(done.status).toBe(OrderStatus.COMPLETE);
      expect(done.nextTimer).toBeUndefined();
      expect(done.history.map((h) => `${h.operation} ${h.from}→${h.to} by ${h.actor}`)).toEqual([
        'CONFIRM NEW→CONFIRM by SYSTEM',
        'PAY CONFIRM→PAID_OFF by PAYMENT_CALLBACK',
        'SHIP PAID_OFF→SHIPPED by SELLER',
        'ROG SHIPPED→ROG by BUYER',
        'COMPLETE ROG→COMPLETE by SYSTEM_TIMER',
      ]);
      const at = (operation: string) => Date.parse(done.history.find((h) => h.operation === operation)!.atIso);
      // complete_order_day after receipt; the last window (service_expired_day) after completion.
      expect(at('COMPLETE') - at('ROG')).toBeGreaterThanOrEqual(300);
      const closed = (await handle.describe()).closeTime!.getTime();
      expect(closed - at('COMPLETE')).toBeGreaterThanOrEqual(700);
      expect(table.rows.get(orderSn)).toBe(OrderStatus.COMPLETE);
    });
    expect(table.calls.transitions.map((t) => t.operation)).toEqual(['CONFIRM', 'PAY', 'SHIP', 'ROG', 'COMPLETE']);
    expect(table.calls.transitions[1]).toMatchObject({ actor: Actor.PAYMENT_CALLBACK, payment: { provider: 'wechatpay', transactionId: expect.stringMatching(/^T-.*-1$/), amountFen: 2500 } });
    expect(table.calls.transitions[2]).toMatchObject({ actor: Actor.SELLER, actorId: '42', shipment: { carrier: 'SF', trackingNo: 'SF100' } });
    expect(table.calls.windows).toEqual(['comment', 'complaint', 'after-sale']);
  });

  it('refusals carry their catalogue code and change nothing; a row moved behind its back is followed, the step refused', async () => {
    const table = fakeOrderTable();
    await local.withWorker(table.activities, async (taskQueue) => {
      const { orderSn, handle } = await start(taskQueue);
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM));
      const ship = () => answer(handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'SF', trackingNo: 'SF1' }] }));
      expect(await ship()).toMatch(/^ORDER_OPERATION_NOT_ALLOWED: order is CONFIRM: SHIP is not allowed on a ONLINE order/);
      expect(await answer(handle.executeUpdate(confirmReceiptUpdate, { args: [{ actorId: '7' }] }))).toMatch(/^ORDER_OPERATION_NOT_ALLOWED: /);
      expect(await answer(handle.executeUpdate(completeUpdate, { args: [{ actorId: 'admin' }] }))).toMatch(/^ORDER_OPERATION_NOT_ALLOWED: /);
      expect((await handle.query(orderStateQuery)).status).toBe(OrderStatus.CONFIRM);

      await handle.signal(paymentConfirmedSignal, payment(orderSn, 1));
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.PAID_OFF));
      expect(await ship()).toBe(OrderStatus.SHIPPED);
      expect(await ship()).toBe('ORDER_OPERATION_NOT_ALLOWED: order is already SHIPPED');

      // An operator moved the row to ROG by hand: the buyer's receipt loses the compare-and-set.
      table.rows.set(orderSn, OrderStatus.ROG);
      expect(await answer(handle.executeUpdate(confirmReceiptUpdate, { args: [{ actorId: '7' }] }))).toBe(`OperationRefused: order ${orderSn} is ROG, not SHIPPED`);
      const followed = await handle.query(orderStateQuery);
      expect(followed).toMatchObject({ status: OrderStatus.ROG, nextTimer: { operation: 'COMPLETE' } });
      expect(followed.history.map((h) => h.operation)).toEqual(['CONFIRM', 'PAY', 'SHIP']);
      // From the row's status the table allows the admin's completion.
      expect(await handle.executeUpdate(completeUpdate, { args: [{ actorId: 'admin' }] })).toBe(OrderStatus.COMPLETE);
      expect((await handle.result()).history.at(-1)).toMatchObject({ operation: 'COMPLETE', from: OrderStatus.ROG, actor: Actor.ADMIN });
    });
    // The lost ROG was tried from SHIPPED; the admin's completion from the row's ROG.
    expect(table.calls.transitions.map((t) => `${t.operation} from ${t.from}`)).toEqual(['CONFIRM from NEW', 'PAY from CONFIRM', 'SHIP from PAID_OFF', 'ROG from SHIPPED', 'COMPLETE from ROG']);
  });

  it('a notification told twice is one payment; another transaction after PAID_OFF is refunded by a late-payment child; a wrong amount is not applied', async () => {
    const table = fakeOrderTable();
    const late = fakeLatePayments();
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...table.activities, ...late.activities, ...refunds.activities }, async (taskQueue) => {
      const { orderSn, handle } = await start(taskQueue);
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM));
      await handle.signal(paymentConfirmedSignal, payment(orderSn, 9, 2499));
      const first = payment(orderSn, 1);
      await handle.signal(paymentConfirmedSignal, first);
      await handle.signal(paymentConfirmedSignal, { ...first, notificationId: 'again' });
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.PAID_OFF));
      // The provider tells the same transaction once more after the order took it.
      await handle.signal(paymentConfirmedSignal, { ...first, notificationId: 'a third time' });
      const second = payment(orderSn, 2);
      await handle.signal(paymentConfirmedSignal, second);

      expect(await resultOf<LatePaymentOutcome>(local.env.client, `late-payment-${second.outTradeNo}`)).toEqual({ status: 'SUCCESS', refundSn: `RL-${second.outTradeNo}` });
      expect(await childrenStarted(handle)).toEqual([`late-payment-${second.outTradeNo}`]);
      expect(await handle.query(orderStateQuery)).toMatchObject({ status: OrderStatus.PAID_OFF, paidFen: 2500, transactionId: first.transactionId });
      await handle.terminate('test done');
    });
    expect(table.calls.transitions.filter((t) => t.operation === 'PAY').map((t) => t.payment?.transactionId)).toEqual([expect.stringMatching(/-1$/)]);
    expect(late.recorded).toEqual([{ transactionId: expect.stringMatching(/-2$/), why: expect.stringMatching(/^the order was already paid \(T-.*-1\)$/) }]);
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it("a resumed order (started by the sweep) acts on the sweep's overdue signal for its own rule only", async () => {
    const table = fakeOrderTable();
    await local.withWorker(table.activities, async (taskQueue) => {
      const resume = { status: OrderStatus.SHIPPED, sinceIso: new Date().toISOString(), paidFen: 2500, transactionId: 'T-old' };
      const orderSn = `OR${Date.now()}`;
      table.rows.set(orderSn, OrderStatus.SHIPPED);
      const input: OrderWorkflowInput = { orderSn, sellerId: '42', buyerId: '7', flow: FlowType.ONLINE, orderFen: 2500, createdAtIso: new Date(Date.now() - 86_400_000).toISOString(), settings: orderSettings(), latePaymentWindowMs: 100, refundPollScheduleMs: [60_000], resume };
      // The sweep signals with start: the workflow sees the signal as it begins.
      const handle = await local.env.client.workflow.signalWithStart<OrderWorkflow, [SweepOverdue]>(ORDER_WORKFLOW.workflowType, {
        taskQueue,
        workflowId: orderWorkflowId(orderSn),
        args: [input],
        signal: sweepOverdueSignal,
        signalArgs: [{ task: 'complete', sweepId: 'sweep-wrong-rule' }],
      });
      await handle.signal(sweepOverdueSignal, { task: 'rog', sweepId: 'sweep-7' });
      expect(await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.ROG))).toMatchObject({ paidFen: 2500, transactionId: 'T-old', nextTimer: { operation: 'COMPLETE' } });
      // An overdue signal for a status the order has left is ignored.
      await handle.signal(sweepOverdueSignal, { task: 'rog', sweepId: 'sweep-8' });
      expect(await handle.executeUpdate(completeUpdate, { args: [{ actorId: 'admin' }] })).toBe(OrderStatus.COMPLETE);
      expect((await handle.result()).history.map((h) => `${h.operation} by ${h.actor}`)).toEqual(['ROG by SYSTEM_TIMER', 'COMPLETE by ADMIN']);
    });
    expect(table.calls.transitions.map((t) => [t.operation, t.from, t.message])).toEqual([
      ['ROG', OrderStatus.SHIPPED, 'received automatically (rog_order_day); found overdue by sweep sweep-7'],
      ['COMPLETE', OrderStatus.ROG, 'completed by admin'],
    ]);
    expect(table.calls.windows).toEqual(['comment', 'complaint', 'after-sale']);
  });
});
