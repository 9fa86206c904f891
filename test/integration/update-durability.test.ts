import { orderWorkflowId } from '../../workflows/order.contract';
import { recordHistory } from '../support/fixtures';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * An Update's database steps run only after a workflow task has put the Update in history
 * (workflows/update-durability.ts). Before, the seller's cancel ran its local activity in the task
 * that accepted it: a worker SIGKILLed before that task completed left the order CANCELLED in MySQL
 * with the Update in no history (found by the 1,000-order chaos run). Real Temporal, MariaDB, simulator.
 */
describe('an Update is in history before its effects', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("a seller's cancel of a paid order: accepted in one workflow task, its first database step in a later one", async () => {
    const order = await placePaidOrder(system, 'wechatpay', { quantity: 1 });
    const res = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'Idempotency-Key': `c-${order.orderSn}` }, body: { reason: 'out of stock' } });
    expect(res.status).toBe(202);
    const events = await eventually(async () => {
      const history = await system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)).fetchHistory();
      const list = history.events ?? [];
      return list.some((e) => e.workflowExecutionUpdateCompletedEventAttributes) ? list : undefined;
    }, 30_000, 'the cancel Update completed in history');
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'cancel');
    expect(accepted).toBeGreaterThan(0);
    // One updateId per cancellation request, so the API's (or the client's) resend is the same Update.
    expect(events[accepted].workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.updateId).toBe(`cancellation-${res.body.cancellationId}`);
    const firstStep = events.findIndex((e, i) => i > accepted && e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(firstStep).toBeGreaterThan(accepted);
    const tasksCompletedBetween = events.slice(accepted + 1, firstStep).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    expect(tasksCompletedBetween).toBeGreaterThanOrEqual(1);
    // The barrier is the no-op activity (a 1 ms timer waited a second for the server's timer queue).
    const barrier = events.slice(accepted + 1, firstStep).find((e) => e.activityTaskScheduledEventAttributes);
    expect(barrier?.activityTaskScheduledEventAttributes?.activityType?.name).toBe('updateAccepted');
    expect(events.slice(accepted + 1, firstStep).some((e) => e.timerStartedEventAttributes)).toBe(false);
    // And the cancel went through as before: the order is cancelled and its refund is on its way.
    await eventually(async () => ((await system.sim.moneyMoved(order.outTradeNo)).refunds === 1 ? true : undefined), 45_000, 'the refund');
    await recordHistory(system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn)), 'order-cancel-update-barrier-activity');
  });
});
