import { OrderStatus, TradeStatus } from '../../domain';
import { payOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { TwoShopTrade, startTradePayment, twoShopTrade, waitForTradeStatus } from '../support/trades';

/**
 * A trade payment attempt superseded by the trade's next one (an order of it was paid on its own
 * meanwhile) is closed at the provider, so the buyer cannot pay that order twice; a close that finds
 * the attempt paid anyway hands it to the provider inbox, which pays the order still awaiting it and
 * refunds the other share exactly once. Real Temporal, MariaDB and the signed simulator; the orders'
 * payment watches are slowed down (10 min) so only the close can find the stale payment.
 */
describe('trade payment: a superseded attempt is closed at the provider', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ PAYMENT_QUERY_SCHEDULE: '10m' });
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const buyer = (trade: TwoShopTrade) => system.token('buyer', trade.buyerId);
  const askToPay = (trade: TwoShopTrade, provider: 'wechatpay' | 'alipay') => system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade), body: { provider } });
  const attempts = (trade: TwoShopTrade) => system.dataSource.query('SELECT out_trade_no, status FROM payment WHERE trade_sn = ? ORDER BY id', [trade.tradeSn]);

  it('WeChat Pay: paying one order on its own supersedes the whole-trade attempt; the next ask closes it (a lost close answer is retried harmlessly) and the simulator refuses a scan of it', async () => {
    const trade = await twoShopTrade(system);
    const [first, second] = trade.orders;
    const whole = await startTradePayment(system, trade, 'wechatpay');
    expect(whole.outTradeNo).toBe(`Q${trade.tradeSn.slice(1)}W2`);
    const own = await payOrder(system, { ...first, buyerId: trade.buyerId, skuId: first.skuIds[0] }, 'wechatpay');

    // The close lands at WeChat Pay but its answer is lost: nothing new is offered, the attempt stays open here.
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'closePayment', key: whole.outTradeNo, outcomes: ['commit-then-500'] });
    // A 500 SYSTEM_ERROR is WeChat Pay's "call again": nothing was refused, so 503 with Retry-After.
    const lost = await askToPay(trade, 'wechatpay');
    expect(lost).toMatchObject({ status: 503, body: { code: 'PROVIDER_UNAVAILABLE', retryAfterSeconds: 2 } });
    expect(lost.headers.get('retry-after')).toBe('2');
    expect(await attempts(trade)).toEqual([{ out_trade_no: whole.outTradeNo, status: 'CREATED' }]);

    // The buyer asks again: the close is sent again (re-entrant: 204), recorded CLOSED, and the rest offered.
    const rest = await startTradePayment(system, trade, 'wechatpay');
    expect(rest).toMatchObject({ outTradeNo: `Q${trade.tradeSn.slice(1)}W1`, amountFen: second.orderFen, shares: [{ orderSn: second.orderSn, amountFen: second.orderFen }] });
    expect(await attempts(trade)).toEqual([
      { out_trade_no: whole.outTradeNo, status: 'CLOSED' },
      { out_trade_no: rest.outTradeNo, status: 'CREATED' },
    ]);
    const closes = await system.sim.requests({ provider: 'wechatpay', operation: 'closePayment', key: whole.outTradeNo });
    expect(closes.map((c) => c.status)).toEqual([500, 204]);
    expect(await system.dataSource.query(`SELECT event_id FROM business_event WHERE entity_type = 'payment' AND entity_id = ? AND event_type = 'payment.closed' ORDER BY order_sn`, [whole.outTradeNo])).toHaveLength(2);

    // At the provider it is closed: a scan and a payment of it are refused.
    expect((await system.sim.getTrade(whole.outTradeNo, 'wechatpay')).status).toBe('CLOSED');
    await expect(system.sim.scanTrade(whole.outTradeNo, 'wechatpay')).rejects.toThrow(/HTTP 409 .*closed/);
    await expect(system.sim.payTrade(whole.outTradeNo, 'wechatpay')).rejects.toThrow(/HTTP 409/);

    // Asking once more closes nothing again (the attempt is CLOSED here) and offers the same rest.
    expect((await startTradePayment(system, trade, 'wechatpay')).outTradeNo).toBe(rest.outTradeNo);
    expect(await system.sim.requests({ provider: 'wechatpay', operation: 'closePayment', key: whole.outTradeNo })).toHaveLength(2);

    await system.sim.payTrade(rest.outTradeNo, 'wechatpay');
    await waitForStatus(system, second.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    expect(await system.sim.moneyMoved(own, 'wechatpay')).toEqual({ capturedFen: first.orderFen, refundedFen: 0, refunds: 0 });
    expect(await system.sim.moneyMoved(rest.outTradeNo, 'wechatpay')).toEqual({ capturedFen: second.orderFen, refundedFen: 0, refunds: 0 });
    expect(await system.sim.moneyMoved(whole.outTradeNo, 'wechatpay')).toEqual({ capturedFen: 0, refundedFen: 0, refunds: 0 });
    expect(await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn IN (?, ?)', [first.orderSn, second.orderSn])).toEqual([]);
  });

  it('Alipay: the superseded attempt paid just before the close — the close hands it to the inbox: the other order is paid by it, the already-paid share refunded exactly once', async () => {
    const trade = await twoShopTrade(system, { aFen: 500, bFen: 700, cFen: 1900 }); // 1700 and 1900
    const [first, second] = trade.orders;
    const whole = await startTradePayment(system, trade, 'alipay');
    const own = await payOrder(system, { ...first, buyerId: trade.buyerId, skuId: first.skuIds[0] }, 'wechatpay');

    // The buyer pays the stale whole-trade attempt; its notifications are lost, so only the close can find it.
    await system.sim.controlNotifications({ mode: 'drop', provider: 'alipay', kind: 'payment', count: 20 });
    await system.sim.payTrade(whole.outTradeNo, 'alipay');
    // Two asks at once: both close (re-entrant), both hand the same payment to the inbox, which takes it once.
    const asked = await Promise.all([askToPay(trade, 'alipay'), askToPay(trade, 'alipay')]);
    for (const answer of asked) expect(answer).toMatchObject({ status: 409, body: { code: 'PAYMENT_NOT_ALLOWED' } });
    expect(asked.some((a) => /paid meanwhile/.test(a.body.detail))).toBe(true);
    const closes = await system.sim.requests({ provider: 'alipay', operation: 'closePayment', key: whole.outTradeNo });
    expect(closes.length).toBeGreaterThanOrEqual(1);

    // The order still awaiting payment takes its share of it; the trade is paid off.
    await waitForStatus(system, second.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    const [wholeRow] = await system.dataSource.query('SELECT transaction_id FROM payment WHERE out_trade_no = ?', [whole.outTradeNo]);
    expect(await system.dataSource.query('SELECT order_status, pay_status, paid_fen, pay_order_no FROM orders WHERE order_sn = ?', [second.orderSn])).toEqual([
      { order_status: OrderStatus.PAID_OFF, pay_status: 'PAY_YES', paid_fen: second.orderFen, pay_order_no: wholeRow.transaction_id },
    ]);
    // The order paid on its own gets its share of it back, once.
    const refund = await eventually(async () => {
      const rows = await system.dataSource.query(`SELECT order_sn, cause_key, refund_fen, total_fen, status FROM refund WHERE out_trade_no = ?`, [whole.outTradeNo]);
      return rows.length === 1 && rows[0].status === 'SUCCESS' ? rows[0] : undefined;
    }, 60_000, 'the already-paid share refunded');
    expect(refund).toEqual({ order_sn: first.orderSn, cause_key: `late-payment:${whole.outTradeNo}:${first.orderSn}`, refund_fen: first.orderFen, total_fen: trade.totalFen, status: 'SUCCESS' });

    // Later words about the same payment change nothing: another ask, the trade's status poll.
    expect(await askToPay(trade, 'alipay')).toMatchObject({ status: 409, body: { code: 'PAYMENT_NOT_ALLOWED' } });
    expect((await system.http('GET', `/trades/${trade.tradeSn}/payment`, { token: buyer(trade) })).body).toMatchObject({ tradeStatus: 'PAID_OFF', awaitingFen: 0 });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE out_trade_no = ?', [whole.outTradeNo])).toEqual([{ n: 1 }]);
    expect(await system.sim.moneyMoved(whole.outTradeNo, 'alipay')).toEqual({ capturedFen: trade.totalFen, refundedFen: first.orderFen, refunds: 1 });
    expect(await system.sim.moneyMoved(own, 'wechatpay')).toEqual({ capturedFen: first.orderFen, refundedFen: 0, refunds: 0 });
    expect(await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [whole.outTradeNo])).toEqual([{ status: 'PARTIALLY_REFUNDED' }]);
    // Each order paid once; the order paid on its own also logs the share it did not take, once.
    const payLog = (orderSn: string) => system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND operation = 'PAY' ORDER BY id`, [orderSn]);
    expect(await payLog(first.orderSn)).toEqual([{ event_key: 'PAY:CONFIRM->PAID_OFF' }, { event_key: `late-payment:${whole.outTradeNo}:${first.orderSn}` }]);
    expect(await payLog(second.orderSn)).toEqual([{ event_key: 'PAY:CONFIRM->PAID_OFF' }]);
  });
});
