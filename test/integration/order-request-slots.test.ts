import { waitForCancellation } from '../support/cancellations';
import { PlacedOrder, placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * A cancellation's askOrderToCancel used to wait (heartbeating) for the order workflow's cancel
 * Update, whose handler first runs the updateAccepted barrier activity on the order's task queue.
 * When the asks held the same activity slots the barriers need, more cancels in flight than
 * WORKER_MAX_CONCURRENT_ACTIVITIES stalled every slot on an ask whose barrier could not run, until
 * the asks timed out after a minute (150 cancels sat at a 174–207-task backlog at 8 and 32 slots).
 * The after-sales' asks still run so, on a task queue of their own with their own slots
 * (apps/worker/worker.ts); a cancellation now asks its order by Signal and holds no slot at all
 * while it waits (workflows/cancellation-asks.ts). Either way, however few activity slots the order
 * queue has, every cancel settles in seconds.
 */
const SLOTS = 2;
const CANCELS = 10;
/** Well inside the ask's one-minute start-to-close: a stalled slot pool is only freed by that timeout. */
const SETTLE_WITHIN_MS = 40_000;

describe('order requests never hold a slot their answer needs', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ WORKER_MAX_CONCURRENT_ACTIVITIES: String(SLOTS), WORKER_ACTIVITY_TASK_POLLERS: String(SLOTS) });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it(`settles ${CANCELS} concurrent cancels with ${SLOTS} activity slots, none timed out`, async () => {
    // Two paid (a refund, then the order told it is settled) and the rest unpaid.
    const orders: PlacedOrder[] = [await placePaidOrder(system, 'wechatpay'), await placePaidOrder(system, 'alipay')];
    for (let i = orders.length; i < CANCELS; i += 1) orders.push(await placeOrder(system));

    const started = Date.now();
    const answers = await Promise.all(orders.map((order, i) =>
      system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `slots-${order.orderSn}-${i}` }, body: { reason: 'out of stock in the warehouse' } }),
    ));
    expect(answers.map((a) => a.status)).toEqual(orders.map(() => 202));
    await Promise.all(orders.map((order, i) => waitForCancellation(system, order.orderSn, answers[i].body.cancellationId, 'COMPLETED', SETTLE_WITHIN_MS)));
    const tookMs = Date.now() - started;
    console.log(`${CANCELS} cancels with ${SLOTS} activity slots settled in ${tookMs} ms`);
    expect(tookMs).toBeLessThan(SETTLE_WITHIN_MS);

    // The stall's signature: an ask (or a barrier) that timed out or was retried. None, in any of the workflows involved.
    const attempts: { workflowId: string; activity: string; event: string; attempt?: number }[] = [];
    for (const order of orders) {
      for (const workflowId of [`cancel-${order.orderSn}`, `order-${order.orderSn}`]) {
        const { events } = await system.temporal.workflow.getHandle(workflowId).fetchHistory();
        const scheduled = new Map<string, string>();
        for (const e of events ?? []) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
          if (e.activityTaskTimedOutEventAttributes) attempts.push({ workflowId, activity: scheduled.get(String(e.activityTaskTimedOutEventAttributes.scheduledEventId)) ?? '?', event: 'timed out' });
          const startedAttrs = e.activityTaskStartedEventAttributes;
          if (startedAttrs && (startedAttrs.attempt ?? 1) > 1) attempts.push({ workflowId, activity: scheduled.get(String(startedAttrs.scheduledEventId)) ?? '?', event: 'retried', attempt: startedAttrs.attempt ?? undefined });
        }
      }
    }
    expect(attempts).toEqual([]);

    // No activity waited for the order: the cancellation asked by Signal, and the order ran no barrier.
    const { events } = await system.temporal.workflow.getHandle(`cancel-${orders[0].orderSn}`).fetchHistory();
    const waiting = (events ?? []).flatMap((e) => (/^(askOrderToCancel|tellOrderCancellationSettled)$/.test(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '') ? [e.activityTaskScheduledEventAttributes!.activityType!.name] : []));
    expect(waiting).toEqual([]);
    const order = await system.temporal.workflow.getHandle(`order-${orders[0].orderSn}`).fetchHistory();
    expect((order.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'updateAccepted')).toEqual([]);
  }, 240_000);
});
