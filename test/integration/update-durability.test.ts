import { orderWorkflowId } from '../../workflows/order.contract';
import { recordHistory } from '../support/fixtures';
import { orderStatus, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * An Update's database steps run only after a workflow task has put the Update in history
 * (workflows/update-durability.ts). Before, the seller's cancel ran its local activity in the task
 * that accepted it: a worker SIGKILLed before that task completed left the order CANCELLED in MySQL
 * with the Update in no history (found by the 1,000-order chaos run). A cancellation now asks by
 * Signal, which is in history once sent, so its cancel needs no barrier. Real Temporal, MariaDB, simulator.
 */
describe('an Update is in history before its effects', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("a seller's shipment of a paid order: accepted in one workflow task, its first database step in a later one", async () => {
    const order = await placePaidOrder(system, 'wechatpay', { quantity: 1 });
    const res = await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: 'SF-DURABLE' } });
    expect(res.status).toBe(200);
    const events = await eventually(async () => {
      const history = await system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)).fetchHistory();
      const list = history.events ?? [];
      return list.some((e) => e.workflowExecutionUpdateCompletedEventAttributes) ? list : undefined;
    }, 30_000, 'the ship Update completed in history');
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'ship');
    expect(accepted).toBeGreaterThan(0);
    // One updateId per HTTP call, so the API's own resend within the call is the same Update.
    expect(events[accepted].workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.updateId).toMatch(/^ship-[0-9a-f-]{36}$/);
    const firstStep = events.findIndex((e, i) => i > accepted && e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(firstStep).toBeGreaterThan(accepted);
    const tasksCompletedBetween = events.slice(accepted + 1, firstStep).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    expect(tasksCompletedBetween).toBeGreaterThanOrEqual(1);
    // The barrier is the no-op activity (a 1 ms timer waited a second for the server's timer queue).
    const barrier = events.slice(accepted + 1, firstStep).find((e) => e.activityTaskScheduledEventAttributes);
    expect(barrier?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('updateAccepted');
    expect(events.slice(accepted + 1, firstStep).some((e) => e.timerStartedEventAttributes)).toBe(false);
    expect(await orderStatus(system, order.orderSn)).toBe('SHIPPED');
    await recordHistory(system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)), 'order-ship-update-barrier-activity');
  });

  it("a seller's cancel of a paid order comes as its cancellation's Signal: in history before the cancel's database step, with no barrier", async () => {
    const order = await placePaidOrder(system, 'wechatpay', { quantity: 1 });
    const res = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'Idempotency-Key': `c-${order.orderSn}` }, body: { reason: 'out of stock' } });
    expect(res.status).toBe(202);
    await eventually(async () => ((await system.sim.moneyMoved(order.outTradeNo)).refunds === 1 ? true : undefined), 45_000, 'the refund');
    const events = (await system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)).fetchHistory()).events ?? [];
    const asked = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'cancelAsked');
    expect(asked).toBeGreaterThan(0);
    const cas = events.findIndex((e, i) => i > asked && e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(cas).toBeGreaterThan(asked);
    // A Signal is written to history when it is sent: nothing is needed between it and the step.
    expect(events.slice(asked + 1, cas).filter((e) => e.activityTaskScheduledEventAttributes || e.timerStartedEventAttributes)).toEqual([]);
    expect(events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  });
});
