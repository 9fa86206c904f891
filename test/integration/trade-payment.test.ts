import { OrderStatus, TradeStatus } from '../../domain';
import type { ProviderName } from '../../payments';
import { orderWorkflowId } from '../../workflows/order.contract';
import { latePaymentWorkflowId } from '../../workflows/late-payment.contract';
import { recordHistory } from '../support/fixtures';
import { payOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { TwoShopTrade, startTradePayment, tradeStatus, twoShopTrade, waitForTradeStatus } from '../support/trades';

/**
 * Paying a whole trade at once (issue 23): one provider payment for the trade's unpaid orders, each
 * order paid with its own share through its own workflow, exactly once, whichever way the provider's
 * word arrives (notification, duplicated notification, the payment watch's query). Real Temporal,
 * MariaDB and the signed simulator.
 */
describe('trade payment: one provider payment for a two-shop trade', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ PAYMENT_QUERY_SCHEDULE: '4s,3s' });
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const buyer = (trade: TwoShopTrade) => system.token('buyer', trade.buyerId);
  const ordersOf = (trade: TwoShopTrade) =>
    system.dataSource.query('SELECT order_sn, order_status, pay_status, paid_fen, pay_order_no FROM orders WHERE trade_sn = ? ORDER BY order_sn', [trade.tradeSn]);
  const payLogs = (orderSn: string) => system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND operation = 'PAY'`, [orderSn]);
  const simPayments = async (outTradeNo: string) => (await system.sim.ledger()).filter((e) => e.outTradeNo === outTradeNo && e.kind === 'payment');

  /** Both orders PAID_OFF with their own shares and the provider's one transaction; the trade PAID_OFF. */
  async function expectPaidByOnePayment(trade: TwoShopTrade, outTradeNo: string, provider: ProviderName) {
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    const [capture] = await simPayments(outTradeNo);
    expect(await simPayments(outTradeNo)).toHaveLength(1);
    expect(capture.amountFen).toBe(trade.totalFen);
    expect(await system.sim.moneyMoved(outTradeNo, provider)).toEqual({ capturedFen: trade.totalFen, refundedFen: 0, refunds: 0 });
    const [payment] = await system.dataSource.query('SELECT order_sn, trade_sn, status, amount_fen, transaction_id FROM payment WHERE out_trade_no = ?', [outTradeNo]);
    expect(payment).toMatchObject({ order_sn: null, trade_sn: trade.tradeSn, status: 'PAID', amount_fen: trade.totalFen });
    expect(await ordersOf(trade)).toEqual(trade.orders.map((o) => ({ order_sn: o.orderSn, order_status: OrderStatus.PAID_OFF, pay_status: 'PAY_YES', paid_fen: o.orderFen, pay_order_no: payment.transaction_id })));
    // Exactly once per order, however often the provider's word arrived.
    for (const order of trade.orders) expect(await payLogs(order.orderSn)).toEqual([{ event_key: 'PAY:CONFIRM->PAID_OFF' }]);
    expect(await system.dataSource.query('SELECT refund_sn FROM refund WHERE out_trade_no = ?', [outTradeNo])).toEqual([]);
    const [trow] = await system.dataSource.query(`SELECT COUNT(*) AS n FROM business_event WHERE entity_type = 'trade' AND entity_id = ? AND event_type = 'trade.paid_off'`, [trade.tradeSn]);
    expect(Number(trow.n)).toBe(1);
  }

  it('WeChat Pay QR with the notification duplicated: one payment, both orders paid with their shares, the trade PAID_OFF; Idempotency-Key replays', async () => {
    const trade = await twoShopTrade(system);
    expect(trade.orders.map((o) => o.orderFen).sort((a, b) => a - b)).toEqual([4300, 4500]);
    await system.sim.controlNotifications({ mode: 'duplicate', provider: 'wechatpay', kind: 'payment', times: 3, count: 1 });
    const payment = await startTradePayment(system, trade, 'wechatpay', `pay-${trade.tradeSn}`);
    expect(payment).toMatchObject({ tradeSn: trade.tradeSn, provider: 'wechatpay', amountFen: 8800, codeUrl: expect.stringMatching(/^weixin:\/\//), qrImageUrl: `/trades/${trade.tradeSn}/payment/qr.png?provider=wechatpay` });
    expect(payment.outTradeNo).toBe(`Q${trade.tradeSn.slice(1)}W2`);
    expect(payment.shares).toEqual(trade.orders.map((o) => ({ orderSn: o.orderSn, amountFen: o.orderFen })));
    // The same key is the same attempt; the same key for another request is refused.
    const replay = await system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade), headers: { 'idempotency-key': `pay-${trade.tradeSn}` }, body: { provider: 'wechatpay' } });
    expect(replay.body).toMatchObject({ outTradeNo: payment.outTradeNo, amountFen: 8800 });
    const reused = await system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade), headers: { 'idempotency-key': `pay-${trade.tradeSn}` }, body: { provider: 'alipay' } });
    expect(reused).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await system.dataSource.query('SELECT out_trade_no FROM payment WHERE trade_sn = ?', [trade.tradeSn])).toEqual([{ out_trade_no: payment.outTradeNo }]);
    // Another buyer cannot see or pay it.
    expect((await system.http('GET', `/trades/${trade.tradeSn}/payment`, { token: system.token('buyer', trade.buyerId + 1) })).status).toBe(404);
    const qr = await fetch(`${system.apiUrl}/trades/${trade.tradeSn}/payment/qr.png`, { headers: { authorization: `Bearer ${buyer(trade)}` } });
    expect(qr.headers.get('content-type')).toBe('image/png');

    await system.sim.payTrade(payment.outTradeNo, 'wechatpay');
    await expectPaidByOnePayment(trade, payment.outTradeNo, 'wechatpay');
    await system.sim.waitForNotifications((log) => log.filter((e) => e.outTradeNo === payment.outTradeNo && e.acked).length >= 3, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // time for the duplicates to (not) act
    await expectPaidByOnePayment(trade, payment.outTradeNo, 'wechatpay');
    const status = await system.http('GET', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade) });
    expect(status.body).toMatchObject({ tradeStatus: 'PAID_OFF', paid: true, amountFen: 8800, awaitingFen: 0, payments: [{ outTradeNo: payment.outTradeNo, status: 'PAID', amountFen: 8800 }] });
    // Each order's stock was taken (its out-status, readable on the order).
    for (const order of trade.orders) {
      const read = await system.http('GET', `/orders/${order.orderSn}`, { token: buyer(trade) });
      expect(read.body.outStatus).toEqual([{ outType: 'GOODS', outStatus: 'SUCCESS', reason: null, updatedAt: expect.any(String) }]);
    }
    // Nothing is left to pay.
    expect(await system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade), body: { provider: 'wechatpay' } })).toMatchObject({ status: 409, body: { code: 'PAYMENT_NOT_ALLOWED' } });
    await recordHistory(system.temporal.workflow.getHandle(orderWorkflowId(trade.orders[0].orderSn)), 'order-trade-paid-wechatpay');
  });

  it('Alipay form with every notification dropped: the payment watch finds it, both orders paid once', async () => {
    const trade = await twoShopTrade(system, { aFen: 1111, bFen: 2222, cFen: 3333 });
    await system.sim.controlNotifications({ mode: 'drop', provider: 'alipay', kind: 'payment', count: 10 });
    const payment = await startTradePayment(system, trade, 'alipay');
    expect(payment.amountFen).toBe(trade.totalFen);
    await system.sim.payTrade(payment.outTradeNo, 'alipay');
    await expectPaidByOnePayment(trade, payment.outTradeNo, 'alipay');
    const inbox = await system.dataSource.query('SELECT notification_id, delivered_at FROM provider_notification WHERE out_trade_no = ?', [payment.outTradeNo]);
    expect(inbox).toEqual([{ notification_id: `query:${payment.outTradeNo}`, delivered_at: expect.any(Date) }]);
    const log = await system.sim.notifications();
    expect(log.filter((e) => e.outTradeNo === payment.outTradeNo).every((e) => e.dropped)).toBe(true);
  });

  it('a trade with an order already paid offers only the rest; paid one by one, the trade is PAID_OFF', async () => {
    const trade = await twoShopTrade(system);
    const [first, second] = trade.orders;
    await payOrder(system, { ...first, buyerId: trade.buyerId, skuId: first.skuIds[0] }, 'wechatpay');
    expect(await tradeStatus(system, trade.tradeSn)).toBe(TradeStatus.NEW);
    const rest = await startTradePayment(system, trade, 'wechatpay');
    expect(rest).toMatchObject({ amountFen: second.orderFen, shares: [{ orderSn: second.orderSn, amountFen: second.orderFen }] });
    expect(rest.outTradeNo).toBe(`Q${trade.tradeSn.slice(1)}W1`);
    await system.sim.payTrade(rest.outTradeNo, 'wechatpay');
    await waitForStatus(system, second.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    expect(await system.sim.moneyMoved(rest.outTradeNo, 'wechatpay')).toEqual({ capturedFen: second.orderFen, refundedFen: 0, refunds: 0 });
  });

  it('both orders paid on their own at the same moment: the trade is settled once, PAID_OFF, by whichever came second', async () => {
    const trade = await twoShopTrade(system);
    const started = await Promise.all(trade.orders.map((o) => system.http('POST', `/orders/${o.orderSn}/payment`, { token: buyer(trade), body: { provider: 'wechatpay' } })));
    expect(started.map((r) => r.status)).toEqual([201, 201]);
    await Promise.all(started.map((r) => system.sim.payTrade(r.body.outTradeNo, 'wechatpay')));
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    const log = await system.dataSource.query('SELECT event_key, old_status, new_status, caused_by_order_sn FROM trade_log WHERE trade_sn = ?', [trade.tradeSn]);
    expect(log).toEqual([{ event_key: 'PAID_OFF', old_status: 'NEW', new_status: 'PAID_OFF', caused_by_order_sn: expect.any(String) }]);
    const [event] = await system.dataSource.query(`SELECT payload_json FROM business_event WHERE entity_type = 'trade' AND entity_id = ?`, [trade.tradeSn]);
    const payload = typeof event.payload_json === 'string' ? JSON.parse(event.payload_json) : event.payload_json;
    expect(payload.orders.map((o: { payStatus: string }) => o.payStatus)).toEqual(['PAY_YES', 'PAY_YES']);
  });

  it('a late trade payment: the order cancelled meanwhile gets its share refunded, the other is paid', async () => {
    const trade = await twoShopTrade(system);
    const [cancelled, kept] = trade.orders;
    const payment = await startTradePayment(system, trade, 'wechatpay');
    const cancel = await system.http('POST', `/orders/${cancelled.orderSn}/cancellations`, { token: buyer(trade), headers: { 'idempotency-key': `c-${cancelled.orderSn}` }, body: { reason: 'ordered by mistake' } });
    expect(cancel.status).toBe(202);
    await waitForStatus(system, cancelled.orderSn, OrderStatus.CANCELLED, 60_000);
    expect(await tradeStatus(system, trade.tradeSn)).toBe(TradeStatus.NEW); // the other order still awaits payment

    await system.sim.payTrade(payment.outTradeNo, 'wechatpay');
    await waitForStatus(system, kept.orderSn, OrderStatus.PAID_OFF, 60_000);
    const refund = await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT order_sn, cause_key, refund_fen, total_fen, status FROM refund WHERE out_trade_no = ? AND status = 'SUCCESS'`, [payment.outTradeNo]);
      return row;
    }, 60_000, 'the cancelled order\'s share refunded');
    expect(refund).toEqual({ order_sn: cancelled.orderSn, cause_key: `late-payment:${payment.outTradeNo}:${cancelled.orderSn}`, refund_fen: cancelled.orderFen, total_fen: trade.totalFen, status: 'SUCCESS' });
    expect(await system.sim.moneyMoved(payment.outTradeNo, 'wechatpay')).toEqual({ capturedFen: trade.totalFen, refundedFen: cancelled.orderFen, refunds: 1 });
    expect(await system.dataSource.query('SELECT order_status, pay_status FROM orders WHERE order_sn = ?', [cancelled.orderSn])).toEqual([{ order_status: OrderStatus.CANCELLED, pay_status: 'PAY_NO' }]);
    // One order paid, the other cancelled unpaid: nothing awaits payment.
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    expect(await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [payment.outTradeNo])).toEqual([{ status: 'PARTIALLY_REFUNDED' }]);
    const late = system.temporal.workflow.getHandle(latePaymentWorkflowId(payment.outTradeNo, cancelled.orderSn));
    expect(await late.result()).toMatchObject({ status: 'SUCCESS' });
    await recordHistory(late, 'late-payment-trade-share');
  });

  it('every order cancelled unpaid: the trade is CANCELLED', async () => {
    const trade = await twoShopTrade(system);
    for (const order of trade.orders) {
      const cancel = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: buyer(trade), headers: { 'idempotency-key': `c-${order.orderSn}` }, body: { reason: 'changed my mind' } });
      expect(cancel.status).toBe(202);
    }
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.CANCELLED);
    expect(await system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade), body: { provider: 'alipay' } })).toMatchObject({ status: 409, body: { code: 'PAYMENT_NOT_ALLOWED' } });
  });
});
