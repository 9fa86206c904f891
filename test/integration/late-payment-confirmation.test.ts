import { OrderStatus } from '../../domain';
import { latePaymentWorkflowId } from '../../workflows/late-payment.contract';
import { recordHistory } from '../support/fixtures';
import { orderStatus, placeOrder, startPayment, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { postSignedWechatPayment } from '../support/wechat-notification';

/**
 * Before the late-payment path refunds money the order cannot take, the provider confirms the
 * payment (PAID, the same transaction and amount). Real API, Temporal, MariaDB and simulator.
 */
describe('a late payment is refunded only once the provider confirms it', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const activitiesOf = async (workflowId: string) => {
    const history = await system.temporal.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  };

  it('refunds a second payment by another route that the provider confirms', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const first = await startPayment(system, order, 'wechatpay');
    const second = await startPayment(system, order, 'alipay');
    await system.sim.payTrade(first, 'wechatpay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
    // The buyer also paid in another tab, with Alipay.
    await system.sim.payTrade(second, 'alipay');
    const outcome = await eventually(async () => system.temporal.workflow.getHandle(latePaymentWorkflowId(second)).result().catch(() => undefined), 60_000, 'the second payment refunded');
    expect(outcome).toMatchObject({ status: 'SUCCESS' });
    expect(await activitiesOf(latePaymentWorkflowId(second))).toContain('confirmLatePayment');
    expect(await system.sim.moneyMoved(second)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
    expect(await system.sim.moneyMoved(first)).toEqual({ capturedFen: order.orderFen, refundedFen: 0, refunds: 0 });
    await recordHistory(system.temporal.workflow.getHandle(latePaymentWorkflowId(second)), 'late-payment-confirmed');
  });

  it('does not refund a signed payment notification the provider denies, and logs it for support', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const paid = await startPayment(system, order, 'alipay');
    // A WeChat payment the buyer never paid; a notification will say otherwise (validly signed,
    // right amount: only the provider's own answer can tell).
    const unpaid = await startPayment(system, order, 'wechatpay');
    await system.sim.payTrade(paid, 'alipay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
    const transactionId = `4200${Date.now()}`;
    const res = await postSignedWechatPayment(system, `EV-denied-${unpaid}`, { out_trade_no: unpaid, transaction_id: transactionId, trade_state: 'SUCCESS', amount: { total: order.orderFen, payer_total: order.orderFen, currency: 'CNY' }, success_time: '2026-12-01T19:46:05+08:00' });
    expect(res.status).toBe(200);

    const handle = system.temporal.workflow.getHandle(latePaymentWorkflowId(unpaid));
    const outcome = await eventually(async () => handle.result().catch(() => undefined), 60_000, 'the late-payment workflow to finish');
    expect(outcome).toMatchObject({ status: 'NOT_CONFIRMED' });
    expect((outcome as { reason: string }).reason).toContain(`does not confirm payment ${transactionId}`);
    // Nothing moved, no refund row, the payment stays unpaid; the order's log tells support.
    expect(await system.sim.moneyMoved(unpaid)).toEqual({ capturedFen: 0, refundedFen: 0, refunds: 0 });
    expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [order.orderSn])).toEqual([{ n: 0 }]);
    expect(await system.dataSource.query('SELECT status, transaction_id FROM payment WHERE out_trade_no = ?', [unpaid])).toEqual([{ status: 'CREATED', transaction_id: null }]);
    const logged = await system.dataSource.query('SELECT message FROM order_log WHERE order_sn = ? AND event_key LIKE ?', [order.orderSn, `late-payment-unconfirmed:${unpaid}:%`]);
    expect(logged).toHaveLength(1);
    expect(logged[0].message).toContain(`payment ${transactionId} (${order.orderFen} fen via wechatpay) NOT refunded, support to check`);
    expect(await orderStatus(system, order.orderSn)).toBe(OrderStatus.PAID_OFF);
    await recordHistory(handle, 'late-payment-not-confirmed');
  });
});
