import { goodsRow, recordHistory } from '../support/fixtures';
import { PlacedOrder, orderStatus, placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { waitForCancellation } from '../support/cancellations';
import { durableStepSignal, stepOutcomeQuery } from '../../workflows/durable-steps.contract';
import { orderWorkflowId } from '../../workflows/order.contract';

/**
 * A seller's cancel never waits on a worker (issue 21): the API pre-checks with the one cancel rule,
 * records the request, starts `cancel-{orderSn}` (durable at the server) and answers 202. With no
 * worker polling, 50 cancels are each answered within 1 s; once a worker starts, every cancellation
 * asks its order workflow and completes. A cancel whose order shipped in the meantime ends REFUSED
 * with the order's code, readable on the request.
 */
describe('seller cancels while no worker runs', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const cancel = (order: PlacedOrder, key: string) =>
    system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': key }, body: { reason: 'the warehouse cannot ship it' } });

  it('answers 50 cancels 202 within 1 s each, completes them all once a worker starts, and ends a cancel of a shipped order REFUSED with its code', async () => {
    const unpaid: PlacedOrder[] = [];
    for (let i = 0; i < 45; i += 1) unpaid.push(await placeOrder(system));
    const paid: (PlacedOrder & { outTradeNo: string })[] = [];
    for (let i = 0; i < 5; i += 1) paid.push(await placePaidOrder(system, i % 2 ? 'alipay' : 'wechatpay'));
    const shippedMeanwhile = await placePaidOrder(system, 'wechatpay');
    const orders = [...unpaid, ...paid];

    await system.stopWorker();
    const timings: number[] = [];
    const answers: { order: PlacedOrder; status: number; body: Record<string, unknown> }[] = [];
    for (const order of orders) {
      const began = Date.now();
      const answer = await cancel(order, `no-worker-${order.orderSn}`);
      timings.push(Date.now() - began);
      answers.push({ order, status: answer.status, body: answer.body });
    }
    const sorted = [...timings].sort((a, b) => a - b);
    process.stdout.write(`50 cancels without a worker: all 202? ${answers.every((a) => a.status === 202)}; p50 ${sorted[24]} ms, p99 ${sorted[49]} ms, max ${sorted[49]} ms\n`);
    for (const a of answers) expect({ orderSn: a.order.orderSn, status: a.status }).toEqual({ orderSn: a.order.orderSn, status: 202 });
    expect(Math.max(...timings)).toBeLessThan(1000);
    for (const a of answers) expect(a.body).toMatchObject({ status: 'RECEIVED', cancellationWorkflowId: `cancel-${a.order.orderSn}` });
    // Durable at the server: each cancellation exists, waiting for a worker; the orders are untouched.
    expect((await system.temporal.workflow.getHandle(`cancel-${orders[0].orderSn}`).describe()).status.name).toBe('RUNNING');
    expect(await orderStatus(system, orders[0].orderSn)).toBe('CONFIRM');
    // A replay of the same key answers the same, at once; a second cancel of the order (another key)
    // starts no second cancellation: 409 with its code, while the first one runs.
    const replay = await cancel(orders[0], `no-worker-${orders[0].orderSn}`);
    expect({ status: replay.status, body: replay.body }).toEqual({ status: 202, body: answers[0].body });
    const second = await cancel(orders[0], `no-worker-again-${orders[0].orderSn}`);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'CANCELLATION_IN_PROGRESS' });
    const [secondRow] = await system.dataSource.query('SELECT status, refusal_code FROM cancellation_request WHERE order_sn = ? AND idempotency_key = ?', [orders[0].orderSn, `no-worker-again-${orders[0].orderSn}`]);
    expect(secondRow).toEqual({ status: 'REFUSED', refusal_code: 'CANCELLATION_IN_PROGRESS' });

    // The cancel is accepted from the row (PAID_OFF) while the shipment waits for the order workflow;
    // the shipment reaches the order first (below), so the order refuses the cancel when it is asked.
    const refusedCancel = await cancel(shippedMeanwhile, `no-worker-${shippedMeanwhile.orderSn}`);
    expect(refusedCancel.status).toBe(202);
    // The shipment reaches the order first: sent as the step's durable Signal (what the API sends when
    // no worker accepts the ship Update in time, workflows/durable-steps.ts), it is in the order's
    // history before any worker runs, and the cancellation asks (its own Signal) only once one does.
    // Sent as an Update instead, it would race the ask: its handler runs after its barrier activity,
    // and a Signal landing meanwhile is queued first (a CI run saw the cancel win that race).
    const order = system.temporal.workflow.getHandle(orderWorkflowId(shippedMeanwhile.orderSn));
    const shipStep = `ship-no-worker-${shippedMeanwhile.orderSn}`;
    await order.signal(durableStepSignal, { stepId: shipStep, update: 'ship', args: [{ sellerId: String(shippedMeanwhile.sellerId), carrier: 'SF', trackingNo: 'SF20261207' }] });

    const workerBack = Date.now();
    await system.startWorker();
    expect(await eventually(async () => {
      const outcome = await order.query(stepOutcomeQuery, shipStep);
      return outcome?.status === 'RUNNING' ? undefined : outcome;
    }, 60_000, 'the shipment step done')).toEqual({ status: 'DONE', result: 'SHIPPED' });
    for (const a of answers) await waitForCancellation(system, a.order.orderSn, a.body.cancellationId as number, 'COMPLETED', 120_000);
    process.stdout.write(`all 50 cancellations completed ${Date.now() - workerBack} ms after the worker started\n`);

    for (const order of unpaid) expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    for (const order of paid) {
      expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
      const [row] = await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
      expect(row).toEqual({ order_status: 'CANCELLED', pay_status: 'REFUNDED' });
    }

    const refused = await waitForCancellation(system, shippedMeanwhile.orderSn, refusedCancel.body.cancellationId, 'REFUSED', 60_000);
    expect(refused.refusal).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE_IN_STATE' });
    expect(refused.refusal.reason).toContain('SHIPPED');
    expect(await orderStatus(system, shippedMeanwhile.orderSn)).toBe('SHIPPED');
    expect(await system.sim.moneyMoved(shippedMeanwhile.outTradeNo)).toMatchObject({ refunds: 0 });
    const cancellation = system.temporal.workflow.getHandle(`cancel-${shippedMeanwhile.orderSn}`);
    expect(await cancellation.result()).toMatchObject({ outcome: 'REFUSED', refusal: { code: 'ORDER_NOT_CANCELLABLE_IN_STATE' } });
    // The REFUSED request replays its 202 (the answer given), and the request says how it ended.
    expect((await cancel(shippedMeanwhile, `no-worker-${shippedMeanwhile.orderSn}`)).status).toBe(202);
    const read = await system.http('GET', `/orders/${shippedMeanwhile.orderSn}/cancellations/${refusedCancel.body.cancellationId}`, { token: system.token('seller', shippedMeanwhile.sellerId) });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'REFUSED', refusal: { code: 'ORDER_NOT_CANCELLABLE_IN_STATE' }, cancellationWorkflowId: `cancel-${shippedMeanwhile.orderSn}` });
    expect(read.body.progress).toMatchObject({ status: 'REFUSED', steps: ['refused by the order (ORDER_NOT_CANCELLABLE_IN_STATE)'] });
    // Its request's status was written by its cancellation, once, with one business event.
    const events = await system.dataSource.query(`SELECT event_type FROM business_event WHERE entity_type = 'cancellation' AND entity_id = ? ORDER BY seller_seq`, [String(refusedCancel.body.cancellationId)]);
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual(['cancellation.received', 'cancellation.refused']);
    await recordHistory(cancellation, 'cancellation-refused-by-order');
  }, 600_000);
});

