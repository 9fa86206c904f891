import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { cancelUpdate, orderStateQuery, orderWorkflowId } from '../../workflows/order.contract';
import { cancellationWorkflowId } from '../../workflows/cancellation.contract';
import { goodsRow } from '../support/fixtures';
import { placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The order workflow owns its order: it applies CANCELLED itself through the compare-and-set, so its
 * live state and the row agree during a refund, and a cancel whose CAS loses hands nothing over.
 */
describe('the order workflow owns its order', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  it('shows the same status in the row and in the workflow state while the refund is under way, and after', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    // Three 5xx answers keep the refund unsubmitted for several seconds (retries 2 s, 4 s, 8 s apart).
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'submitRefund', outcomes: ['500', '500', '500'] });
    const seller = system.token('seller', order.sellerId);
    const accepted = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: seller, headers: { 'idempotency-key': `own-${order.orderSn}` }, body: { reason: 'warehouse flooded' } });
    expect(accepted.status).toBe(202);

    const support = system.token('support', 1);
    // 202 once cancel-{orderSn} is started; the order workflow cancels when that workflow asks it.
    const during = await eventually(async () => {
      const body = (await system.http('GET', `/orders/${order.orderSn}`, { token: support })).body;
      return body.order.orderStatus === 'CANCELLED' && body.workflow.state?.status === 'CANCELLED' ? body : undefined;
    }, 30_000, 'order cancelled by its workflow');
    const [refund] = await system.dataSource.query('SELECT status FROM refund WHERE order_sn = ?', [order.orderSn]);
    // Still refunding when we looked (the provider has not taken the refund yet).
    expect(['APPLY', 'PROCESSING']).toContain(refund.status);
    expect(during.order).toMatchObject({ orderStatus: 'CANCELLED', payStatus: 'REFUNDING' });
    expect(during.workflow.state).toMatchObject({ status: 'CANCELLED', payStatus: 'REFUNDING', cancellation: { refunding: true, progress: 'RUNNING', cancellationWorkflowId: cancellationWorkflowId(order.orderSn) } });
    // The history holds the cancel as it happened (the seller's SERVICE_CANCEL), not an invented entry.
    expect(during.workflow.state.history.at(-1)).toMatchObject({ operation: 'SERVICE_CANCEL', from: 'PAID_OFF', to: 'CANCELLED', actor: 'SELLER' });

    const after = await eventually(async () => {
      const body = (await system.http('GET', `/orders/${order.orderSn}`, { token: support })).body;
      return body.order.payStatus === 'REFUNDED' && body.workflow.state.payStatus === 'REFUNDED' ? body : undefined;
    }, 90_000, 'refund settled in row and state');
    expect(after.order).toMatchObject({ orderStatus: 'CANCELLED', payStatus: 'REFUNDED' });
    expect(after.workflow.state).toMatchObject({ status: 'CANCELLED', payStatus: 'REFUNDED', cancellation: { progress: 'COMPLETED' } });
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
  });

  it('refunds and restocks nothing when the cancel compare-and-set loses', async () => {
    const order = await placePaidOrder(system, 'alipay');
    const stockBefore = await goodsRow(system.dataSource, order.skuId);
    // The row moves without the workflow (an operator's hand edit) after the API's pre-check passed:
    // the workflow still believes PAID_OFF, so its CAS (WHERE order_status = 'PAID_OFF') must lose.
    await system.dataSource.query(`UPDATE orders SET order_status = 'SHIPPED', ship_status = 'SHIP_YES' WHERE order_sn = ?`, [order.orderSn]);
    const inserted = await system.dataSource.query(
      `INSERT INTO cancellation_request (order_sn, actor_role, actor_id, idempotency_key, request_hash, reason, status) VALUES (?, 'seller', ?, ?, '', 'lost race', 'RECEIVED')`,
      [order.orderSn, String(order.sellerId), `lost-${order.orderSn}`],
    );
    const handle = system.temporal.workflow.getHandle(orderWorkflowId(order.orderSn));
    const refused = await handle
      .executeUpdate(cancelUpdate, { args: [{ cancellationId: Number(inserted.insertId), reason: 'lost race', actor: 'SELLER', actorId: String(order.sellerId) }] })
      .then(() => undefined, (err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toContain('is SHIPPED, expected PAID_OFF');

    // The workflow follows the row; no cancellation workflow, no refund, stock and sales untouched.
    expect(await handle.query(orderStateQuery)).toMatchObject({ status: 'SHIPPED', payStatus: 'PAY_YES' });
    await expect(system.temporal.workflow.getHandle(cancellationWorkflowId(order.orderSn)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn = ?', [order.orderSn])).toEqual([]);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 0, refunds: 0 });
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual(stockBefore);
    const [row] = await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'SHIPPED', pay_status: 'PAY_YES' });
    const movements = await system.dataSource.query('SELECT kind FROM stock_movement WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    expect(movements.map((m: { kind: string }) => m.kind)).toEqual(['RESERVE', 'SALE']);
    const [request] = await system.dataSource.query('SELECT status FROM cancellation_request WHERE id = ?', [Number(inserted.insertId)]);
    expect(request.status).toBe('RECEIVED');
  });
});
