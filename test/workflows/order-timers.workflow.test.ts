import { Actor, FlowType, OrderSettings, OrderStatus, PayStatus, RefundStatus } from '../../domain';
import type { CancellationResult } from '../../workflows/cancellation.contract';
import type { LatePayment, LatePaymentOutcome } from '../../workflows/late-payment.contract';
import {
  OrderState,
  collectCashUpdate,
  confirmReceiptUpdate,
  paymentConfirmedSignal,
  paymentStartedSignal,
  shipUpdate,
} from '../../workflows/order.contract';
import { fakeCancellationSide, fakeLatePayments, fakeOrderTable, startOrder, updateAnswer } from './fake-orders';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, childrenStarted, queryUntil, resultOf, startLocalWorkflows } from './local-env';

/**
 * The order workflow's own clock, its order table in memory: the unpaid auto-cancel (which starts the
 * cancellation workflow, answered by the order itself, and refunds payments that land meanwhile),
 * cash on delivery by the seller's word or by its timers, and the payment watch asking the provider
 * while no notification arrives. Steps by people and payments: order.workflow.test.ts.
 */
describe('order workflow timers (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  const start = (taskQueue: string, flow: FlowType, fast: Partial<OrderSettings>, latePaymentWindowMs = 100) => startOrder(local.env.client, taskQueue, fast, { flow, latePaymentWindowMs });
  const statusIs = (status: OrderStatus) => (state: OrderState) => state.status === status;
  const paid = (orderSn: string, k: string): LatePayment => ({ provider: 'wechatpay', outTradeNo: `${orderSn}${k}`, transactionId: `T-${orderSn}-${k}`, amountFen: 2500, paidAt: new Date().toISOString() });

  it('unpaid past cancel_order_day: cancelled by its timer through the cancellation workflow; payments landing meanwhile and after are refunded', async () => {
    const table = fakeOrderTable();
    const late = fakeLatePayments();
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    // Closing the provider's payment orders finds one the buyer paid in its last moments.
    const landed = paid(`OTL${Date.now()}`, 'L1');
    const cancellation = fakeCancellationSide(local.env.client, [landed]);
    await local.withWorker({ ...table.activities, ...cancellation.activities, ...late.activities, ...refunds.activities }, async (taskQueue) => {
      // Long enough that the first query sees CONFIRM even on a loaded machine.
      const { orderSn, input, handle } = await start(taskQueue, FlowType.ONLINE, { cancelOrderMs: 2_000 }, 500);
      expect((await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM))).nextTimer).toMatchObject({ operation: 'CANCEL', atIso: new Date(Date.parse(input.createdAtIso) + 2_000).toISOString() });
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CANCELLED));
      // A notification once the order is cancelled (while its cancellation runs, or within the
      // late-payment window after): refunded, never applied.
      const after = paid(orderSn, 'P2');
      await handle.signal(paymentConfirmedSignal, { ...after, notificationId: 'N-after' });
      const cancelled = await queryUntil<OrderState>(handle, 'state', (state) => state.cancellation?.progress === 'COMPLETED');
      expect(cancelled).toMatchObject({ status: OrderStatus.CANCELLED, payStatus: PayStatus.PAY_NO, cancellation: { cancellationId: 901, cancellationWorkflowId: `cancel-${orderSn}`, refunding: false } });
      expect(await resultOf<CancellationResult>(local.env.client, `cancel-${orderSn}`)).toMatchObject({ cancellationId: 901, outcome: 'COMPLETED', latePayments: [landed] });

      const done = await handle.result();
      expect(done.history.map((h) => `${h.operation} by ${h.actor}`)).toEqual(['CONFIRM by SYSTEM', 'CANCEL by SYSTEM_TIMER']);
      expect(Date.parse(done.history[1].atIso) - Date.parse(input.createdAtIso)).toBeGreaterThanOrEqual(2_000);
      expect(done).toMatchObject({ status: OrderStatus.CANCELLED, paidFen: 0 });
      const children = await childrenStarted(handle);
      expect(children[0]).toBe(`cancel-${orderSn}`);
      expect(children.slice(1).sort()).toEqual([`late-payment-${landed.outTradeNo}`, `late-payment-${after.outTradeNo}`].sort());
      for (const refunded of [landed, after]) {
        expect(await resultOf<LatePaymentOutcome>(local.env.client, `late-payment-${refunded.outTradeNo}`)).toEqual({ status: 'SUCCESS', refundSn: `RL-${refunded.outTradeNo}` });
      }
    });
    expect(table.calls.systemCancellations).toEqual(['not paid in time (cancel_order_day)']);
    expect(table.calls.cancels).toMatchObject([{ operation: 'CANCEL', from: OrderStatus.CONFIRM, to: OrderStatus.CANCELLED, actor: Actor.SYSTEM_TIMER, cancellation: { cancellationId: 901, refunding: false } }]);
    // Nothing was paid, so the order has no refund to settle: the cancellation closes its own request.
    expect(table.calls.settled).toEqual([]);
    // The cancellation the order started asks it by Signal (no request activities).
    expect(cancellation.effects).toEqual(['accepted', 'close payment orders', 'release stock', 'give back coupons', 'close request']);
    expect(late.recorded.map((r) => r.why)).toEqual(['the order was cancelled', 'the order was cancelled']);
    expect(refunds.calls.submits).toHaveLength(2);
  });

  it('cash on delivery: no auto-cancel; ships unpaid, the seller reports the cash after receipt, it completes on its timer', async () => {
    const table = fakeOrderTable();
    await local.withWorker(table.activities, async (taskQueue) => {
      const { handle } = await start(taskQueue, FlowType.COD, { completeOrderMs: 200 });
      expect((await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM))).nextTimer).toBeUndefined();
      const collect = () => updateAnswer(handle.executeUpdate(collectCashUpdate, { args: [{ actorId: '42' }] })).then((answer) => answer.split(':')[0]);
      expect(await collect()).toBe('ORDER_OPERATION_NOT_ALLOWED');
      expect(await handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'YTO', trackingNo: 'Y1' }] })).toBe(OrderStatus.SHIPPED);
      expect(await collect()).toBe('ORDER_OPERATION_NOT_ALLOWED');
      expect(await handle.executeUpdate(confirmReceiptUpdate, { args: [{ actorId: '7' }] })).toBe(OrderStatus.ROG);
      expect((await handle.query('state') as OrderState).nextTimer).toMatchObject({ operation: 'PAY' });
      expect(await collect()).toBe(OrderStatus.PAID_OFF);
      const done = await handle.result();
      expect(done).toMatchObject({ status: OrderStatus.COMPLETE, paidFen: 2500, payStatus: PayStatus.PAY_YES });
      expect(done.history.map((h) => `${h.operation} by ${h.actor}`)).toEqual(['CONFIRM by SYSTEM', 'SHIP by SELLER', 'ROG by BUYER', 'PAY by SELLER', 'COMPLETE by SYSTEM_TIMER']);
    });
    expect(table.calls.transitions.find((t) => t.operation === 'PAY')).toMatchObject({ from: OrderStatus.ROG, to: OrderStatus.PAID_OFF, actorId: '42', payment: { provider: 'cod', amountFen: 2500 } });
    expect(table.calls.windows).toEqual(['comment', 'complaint', 'after-sale']);
  });

  it('cash on delivery left alone after shipping: received, paid and completed by its timers, each after its own delay', async () => {
    const table = fakeOrderTable();
    await local.withWorker(table.activities, async (taskQueue) => {
      const { handle } = await start(taskQueue, FlowType.COD, { rogOrderMs: 200, completeOrderPayMs: 250, completeOrderMs: 300 });
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM));
      await handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'YTO', trackingNo: 'Y2' }] });
      const done = await handle.result();
      const steps = done.history.slice(1);
      expect(steps.map((h) => `${h.operation} ${h.from}→${h.to} by ${h.actor}`)).toEqual(['SHIP CONFIRM→SHIPPED by SELLER', 'ROG SHIPPED→ROG by SYSTEM_TIMER', 'PAY ROG→PAID_OFF by SYSTEM_TIMER', 'COMPLETE PAID_OFF→COMPLETE by SYSTEM_TIMER']);
      const gaps = steps.slice(1).map((h, i) => Date.parse(h.atIso) - Date.parse(steps[i].atIso));
      [200, 250, 300].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay));
    });
    expect(table.calls.transitions.slice(2).map((t) => t.message)).toEqual(['received automatically (rog_order_day)', 'cash on delivery marked paid (complete_order_pay)', 'completed automatically (complete_order_day)']);
  });

  it('the payment watch asks the provider on its schedule until it finds the payment; a second watch ends when the order moves on', async () => {
    let order: { orderSn: string; handle: Awaited<ReturnType<typeof start>>['handle'] } | undefined;
    // The provider answers "not yet", then "paid": the inbox then signals the order as a notification would.
    const table = fakeOrderTable({
      paymentChecks: async (call) => {
        if (call < 2) return { outcome: 'waiting' };
        await order!.handle.signal(paymentConfirmedSignal, { ...paid(order!.orderSn, 'W1'), notificationId: 'query:W1' });
        return { outcome: 'paid' };
      },
    });
    await local.withWorker(table.activities, async (taskQueue) => {
      order = await start(taskQueue, FlowType.ONLINE, {});
      const { orderSn, handle } = order;
      await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.CONFIRM));
      const expiresAtIso = new Date(Date.now() + 60_000).toISOString();
      await handle.signal(paymentStartedSignal, { outTradeNo: `${orderSn}W1`, provider: 'alipay', expiresAtIso, queryScheduleMs: [100, 200] });
      await handle.signal(paymentStartedSignal, { outTradeNo: `${orderSn}W2`, provider: 'wechatpay', expiresAtIso, queryScheduleMs: [60_000] });
      const state = await queryUntil<OrderState>(handle, 'state', (s) => s.status === OrderStatus.PAID_OFF && (s.paymentWatches ?? []).every((w) => w.outcome));
      expect(state.transactionId).toBe(`T-${orderSn}-W1`);
      expect(state.paymentWatches).toEqual([
        { outTradeNo: `${orderSn}W1`, provider: 'alipay', queries: 2, outcome: 'paid' },
        { outTradeNo: `${orderSn}W2`, provider: 'wechatpay', queries: 0, outcome: 'order-moved-on', detail: 'order is PAID_OFF' },
      ]);
      await handle.terminate('test done');
    });
    expect(table.calls.paymentChecks).toEqual([`${order!.orderSn}W1`, `${order!.orderSn}W1`]);
  });
});
