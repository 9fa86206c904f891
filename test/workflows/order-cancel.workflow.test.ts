import type { WorkflowHandle } from '@temporalio/client';
import { Actor, FlowType, OrderStatus, PayStatus, RefundStatus } from '../../domain';
import { groupFailedSignal, groupFormedSignal } from '../../workflows/group-buy.contract';
import { CANCELLATION_WORKFLOW, CancellationRequestInput, CancellationWorkflow, cancellationWorkflowId } from '../../workflows/cancellation.contract';
import {
  CancelRequest,
  OrderState,
  cancelUpdate,
  closeAfterSaleUpdate,
  openAfterSaleUpdate,
  orderStateQuery,
  paymentConfirmedSignal,
  shipUpdate,
} from '../../workflows/order.contract';
import { fakeCancellationSide, fakeOrderTable, startOrder, updateAnswer } from './fake-orders';
import { fakeRefunds } from './fake-refunds';
import { LocalWorkflows, queryUntil, startLocalWorkflows } from './local-env';

/**
 * A person's cancel of the order workflow, its order table in memory and its cancellation workflow
 * (`cancel-{orderSn}`) asking it through the real request activities: a paid order's cancel is a
 * SERVICE_CANCEL whose refund the order records and settles; while it runs every other step is
 * refused; an open return refuses a cancel and holds the order's timers until it closes; a cancel the
 * table refuses changes nothing; a group-buy order ships once its group formed and cancels (refunding)
 * itself when the group fails.
 */
describe('order workflow cancels and after-sales (local server, activities replaced)', () => {
  let local: LocalWorkflows;
  beforeAll(async () => {
    local = await startLocalWorkflows();
  });
  afterAll(async () => {
    await local?.teardown();
  });

  const statusIs = (status: OrderStatus) => (state: OrderState) => state.status === status;
  /** A new order, paid by notification. */
  const paidOrder = async (taskQueue: string, fast: Parameters<typeof startOrder>[2] = {}, extra: Parameters<typeof startOrder>[3] = {}) => {
    const order = await startOrder(local.env.client, taskQueue, fast, extra);
    await queryUntil<OrderState>(order.handle, 'state', statusIs(OrderStatus.CONFIRM));
    await order.handle.signal(paymentConfirmedSignal, { provider: 'wechatpay', outTradeNo: `${order.orderSn}P1W`, transactionId: `T-${order.orderSn}`, amountFen: 2500, paidAt: new Date().toISOString(), notificationId: 'N1' });
    await queryUntil<OrderState>(order.handle, 'state', statusIs(OrderStatus.PAID_OFF));
    return order;
  };
  /** The signals the order sent (`signal → workflow`), from its history: to its group buy, and its answers to its cancellation. */
  const sentSignals = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
      const sent = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      return sent ? [`${sent.signalName} → ${sent.workflowExecution?.workflowId}`] : [];
    });
  /**
   * The cancellation workflow the API starts for a person's recorded request: it asks by Signal, as
   * every one started now does; `byActivity` is the shape started before issue 26 (the order-requests
   * activities and the order's Updates), which running ones keep.
   */
  const cancellation = (taskQueue: string, orderSn: string, request: CancelRequest, shape: 'signal' | 'activity' = 'signal') => {
    const input: CancellationRequestInput = { orderSn, refundPollScheduleMs: [60_000], ...request, ...(shape === 'signal' ? { askBy: 'signal' as const } : {}) };
    return local.env.client.workflow.execute<CancellationWorkflow>(CANCELLATION_WORKFLOW.workflowType, { taskQueue, workflowId: cancellationWorkflowId(orderSn), args: [input] });
  };

  it.each(['signal', 'activity'] as const)("a buyer's cancel of a paid order, asked by %s: SERVICE_CANCEL with its refund in one step, every other step refused meanwhile, settled REFUNDED", async (shape) => {
    const table = fakeOrderTable();
    const side = fakeCancellationSide(local.env.client);
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...table.activities, ...side.activities, ...refunds.activities }, async (taskQueue) => {
      const { orderSn, handle } = await paidOrder(taskQueue);
      const request: CancelRequest = { cancellationId: 5, reason: 'changed my mind', actor: 'BUYER', actorId: '7' };
      // The order's answer to the request, as the cancellation workflow will get it again below.
      const accepted = await handle.executeUpdate(cancelUpdate, { args: [request] });
      expect(accepted).toEqual({ cancellationId: 5, cancellationWorkflowId: `cancel-${orderSn}`, refunding: true, refund: expect.objectContaining({ refundSn: 'RC-5', refundFen: 2500 }) });
      expect(await handle.query(orderStateQuery)).toMatchObject({ status: OrderStatus.CANCELLED, cancellation: { cancellationId: 5, progress: 'RUNNING', refunding: true } });
      expect(await updateAnswer(handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'SF', trackingNo: 'SF1' }] }))).toMatch(/^CANCELLATION_IN_PROGRESS: order .* is being cancelled/);
      expect(await updateAnswer(handle.executeUpdate(cancelUpdate, { args: [{ cancellationId: 6, reason: 'out of stock', actor: 'SELLER', actorId: '42' }] }))).toMatch(/^CANCELLATION_IN_PROGRESS: /);

      expect(await cancellation(taskQueue, orderSn, request, shape)).toMatchObject({ cancellationId: 5, outcome: 'COMPLETED', refunds: [{ status: 'SUCCESS', refundSn: 'RC-5' }] });
      const done = await handle.result();
      expect(done).toMatchObject({ status: OrderStatus.CANCELLED, payStatus: PayStatus.REFUNDED, cancellation: { cancellationId: 5, progress: 'COMPLETED' } });
      expect(done.history.map((h) => `${h.operation} by ${h.actor}`)).toEqual(['CONFIRM by SYSTEM', 'PAY by PAYMENT_CALLBACK', 'SERVICE_CANCEL by BUYER']);
    });
    expect(table.calls.cancels).toMatchObject([{ operation: 'SERVICE_CANCEL', from: OrderStatus.PAID_OFF, to: OrderStatus.CANCELLED, actor: Actor.BUYER, actorId: '7', cancellation: { cancellationId: 5, refunding: true } }]);
    expect(table.calls.settled).toEqual([5]);
    expect(table.calls.systemCancellations).toEqual([]);
    expect(side.effects).toEqual(
      shape === 'activity' ? ['ask order', 'accepted', 'restock and take back sales', 'tell order settled', 'close request'] : ['accepted', 'restock and take back sales', 'close request'],
    );
    expect(refunds.calls.submits).toHaveLength(1);
  });

  it('an open return refuses a cancel and holds the receipt timer until it closes; then the received order refuses it by the table', async () => {
    const table = fakeOrderTable();
    const side = fakeCancellationSide(local.env.client);
    const ROG_AFTER_MS = 2_000;
    await local.withWorker({ ...table.activities, ...side.activities }, async (taskQueue) => {
      const { orderSn, handle } = await paidOrder(taskQueue, { rogOrderMs: ROG_AFTER_MS });
      await handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'SF', trackingNo: 'SF2' }] });
      const shippedAt = Date.parse((await handle.query(orderStateQuery)).history.at(-1)!.atIso);
      const opening = { serviceSn: 'AS1', serviceType: 'RETURN_GOODS' as const, returnsGoods: true, lines: [{ orderItemId: 1, num: 1 }], buyerId: '7' };
      expect(await handle.executeUpdate(openAfterSaleUpdate, { args: [opening] })).toEqual({ serviceSn: 'AS1', orderStatus: OrderStatus.SHIPPED });
      expect((await handle.query(orderStateQuery)).nextTimer).toMatchObject({ operation: 'ROG', heldBy: ['AS1'] });
      expect(await cancellation(taskQueue, orderSn, { cancellationId: 7, reason: 'too slow', actor: 'BUYER', actorId: '7' })).toMatchObject({ outcome: 'REFUSED', refusal: { code: 'AFTER_SALE_OPEN', reason: expect.stringMatching(/open after-sale \(AS1\)/) } });
      // Past rog_order_day the goods are still on their way back: no receipt.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, shippedAt + ROG_AFTER_MS + 300 - Date.now())));
      expect((await handle.query(orderStateQuery)).status).toBe(OrderStatus.SHIPPED);
      const closedAt = Date.now();
      expect(await handle.executeUpdate(closeAfterSaleUpdate, { args: [{ serviceSn: 'AS1', outcome: 'CLOSED', refundedFen: 0 }] })).toBe(OrderStatus.SHIPPED);
      // Its time has passed, so the timer fires as soon as the return closes.
      const received = await queryUntil<OrderState>(handle, 'state', statusIs(OrderStatus.ROG));
      expect(received.history.at(-1)).toMatchObject({ operation: 'ROG', actor: Actor.SYSTEM_TIMER });
      expect(Date.parse(received.history.at(-1)!.atIso) - closedAt).toBeLessThan(ROG_AFTER_MS);
      expect(await cancellation(taskQueue, orderSn, { cancellationId: 8, reason: 'not wanted', actor: 'BUYER', actorId: '7' })).toMatchObject({ outcome: 'REFUSED', refusal: { code: 'ORDER_NOT_CANCELLABLE_IN_STATE' } });
      await handle.terminate('test done');
    });
    expect(side.effects).toEqual(['refused AFTER_SALE_OPEN', 'refused ORDER_NOT_CANCELLABLE_IN_STATE']);
    expect(table.calls.cancels).toEqual([]);
    expect(table.calls.afterSales).toEqual(['open AS1 → APPLY', 'close AS1 → NOT_APPLY']);
  });

  it("group buy: the order tells its group it paid; ships only once the group formed; a failed group cancels and refunds it itself", async () => {
    const table = fakeOrderTable();
    const side = fakeCancellationSide(local.env.client);
    const refunds = fakeRefunds({ submit: () => RefundStatus.SUCCESS });
    await local.withWorker({ ...table.activities, ...side.activities, ...refunds.activities }, async (taskQueue) => {
      const formed = await paidOrder(taskQueue, {}, { flow: FlowType.PINTUAN, groupId: 'G1' });
      const ship = () => updateAnswer(formed.handle.executeUpdate(shipUpdate, { args: [{ sellerId: '42', carrier: 'SF', trackingNo: 'SF3' }] }));
      expect(await ship()).toBe('ORDER_OPERATION_NOT_ALLOWED: order is PAID_OFF: a group-buy order ships only after its group has formed');
      await formed.handle.signal(groupFormedSignal, { groupId: 'G1' });
      await queryUntil<OrderState>(formed.handle, 'state', statusIs(OrderStatus.FORMED));
      expect(await ship()).toBe(OrderStatus.SHIPPED);
      expect(await sentSignals(formed.handle)).toEqual(['memberPaid → group-G1']);
      await formed.handle.terminate('test done');

      const failed = await paidOrder(taskQueue, {}, { flow: FlowType.PINTUAN, groupId: 'G2' });
      await failed.handle.signal(groupFailedSignal, { groupId: 'G2', reason: 'group G2 not filled in time' });
      const done = await failed.handle.result();
      expect(done).toMatchObject({ status: OrderStatus.CANCELLED, payStatus: PayStatus.REFUNDED, cancellation: { cancellationId: 901, cancellationWorkflowId: `cancel-${failed.orderSn}`, refunding: true, progress: 'COMPLETED' } });
      expect(done.history.at(-1)).toMatchObject({ operation: 'SERVICE_CANCEL', from: OrderStatus.PAID_OFF, actor: Actor.SYSTEM_TIMER });
      expect(await sentSignals(failed.handle)).toEqual(['memberPaid → group-G2', 'memberLeft → group-G2', `cancelAnswered → cancel-${failed.orderSn}`, `orderSettled → cancel-${failed.orderSn}`]);
      expect(await local.env.client.workflow.getHandle(`cancel-${failed.orderSn}`).result()).toMatchObject({ outcome: 'COMPLETED', refunds: [{ status: 'SUCCESS', refundSn: 'RC-901' }] });
    });
    expect(table.calls.systemCancellations).toEqual(['group G2 not filled in time']);
    expect(table.calls.cancels).toMatchObject([{ operation: 'SERVICE_CANCEL', actor: Actor.SYSTEM_TIMER, cancellation: { cancellationId: 901, refunding: true } }]);
    expect(table.calls.settled).toEqual([901]);
    expect(refunds.calls.submits).toHaveLength(1);
  });
});
