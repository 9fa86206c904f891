import { OrderStatus } from '../../domain';
import type { ProviderName } from '../../payments';
import { alipayTimeToIso, rfc3339ToIso } from '../../payments/provider-time';
import { orderStateQuery, orderWorkflowId, type PaymentWatchState } from '../../workflows/order.contract';
import { recordHistory } from '../support/fixtures';
import { orderStatus, placeOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/** The first query runs this long after the payment is created; the test asserts payment by that first query. */
const FIRST_QUERY = '4s';

/**
 * Lost payment notifications: the payment watch asks the provider and delivers a PAID answer through
 * the notification inbox. Real Temporal, MariaDB and the signed simulator; the buyer never polls the
 * status page here, so only the watch can find the payment.
 */
describe('payment watch: a lost payment notification does not strand the order', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ PAYMENT_QUERY_SCHEDULE: `${FIRST_QUERY},3s` });
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const createPayment = async (order: { orderSn: string; buyerId: number }, provider: ProviderName) => {
    const created = await system.http('POST', `/orders/${order.orderSn}/payment`, { token: system.token('buyer', order.buyerId), body: { provider } });
    expect(created.status).toBe(201);
    return created.body;
  };
  const submitAlipayForm = async (payment: { gatewayUrl: string; formItems: { name: string; value: string }[] }) => {
    const cashier = await fetch(payment.gatewayUrl, { method: 'POST', body: new URLSearchParams(payment.formItems.map((i) => [i.name, i.value] as [string, string])) });
    expect(cashier.status).toBe(200);
  };
  const queries = async (provider: ProviderName, outTradeNo: string) => system.sim.requests({ provider, operation: 'queryPayment', key: outTradeNo });
  const orderWorkflow = (orderSn: string) => system.temporal.workflow.getHandle(orderWorkflowId(orderSn));
  // The order workflow asks the provider itself; its state shows each payment it watches.
  const watchOf = async (orderSn: string, outTradeNo: string): Promise<PaymentWatchState | undefined> =>
    (await orderWorkflow(orderSn).query(orderStateQuery)).paymentWatches?.find((w) => w.outTradeNo === outTradeNo);
  const watchResult = (orderSn: string, outTradeNo: string) =>
    eventually(async () => {
      const watch = await watchOf(orderSn, outTradeNo);
      return watch?.outcome ? watch : undefined;
    }, 30_000, `the watch of ${outTradeNo} ended`);
  const payLog = (orderSn: string) => system.dataSource.query(`SELECT operation, new_status FROM order_log WHERE order_sn = ? AND operation = 'PAY'`, [orderSn]);

  it.each<ProviderName>(['wechatpay', 'alipay'])('%s: every payment notification dropped, the first query makes the order PAID_OFF', async (provider) => {
    await system.sim.controlNotifications({ mode: 'drop', kind: 'payment', provider, count: 10 });
    const order = await placeOrder(system);
    const payment = await createPayment(order, provider);
    if (provider === 'alipay') await submitAlipayForm(payment);
    const trade = await system.sim.payTrade(payment.outTradeNo, provider);

    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    const result = await watchResult(order.orderSn, payment.outTradeNo);
    // Paid by the first query: no second interval was needed.
    expect(result).toMatchObject({ outcome: 'paid', queries: 1, detail: trade.transactionId });
    expect(await queries(provider, payment.outTradeNo)).toHaveLength(1);
    const log = await system.sim.notifications();
    expect(log.filter((e) => e.outTradeNo === payment.outTradeNo).map((e) => ({ dropped: e.dropped, acked: e.acked }))).toEqual([{ dropped: true, acked: false }]);
    // Through the notification inbox (same dedupe), delivered once.
    const inbox = await system.dataSource.query('SELECT notification_id, delivered_at FROM provider_notification WHERE out_trade_no = ?', [payment.outTradeNo]);
    expect(inbox).toEqual([{ notification_id: `query:${payment.outTradeNo}`, delivered_at: expect.any(Date) }]);
    // paid_at is the provider's payment instant, read in the provider's zone (China time for both).
    const paidAt = provider === 'alipay' ? alipayTimeToIso(trade.paidAt!, 'paid') : rfc3339ToIso(trade.paidAt!, 'paid');
    const [row] = await system.dataSource.query('SELECT o.paid_at AS orderPaidAt, p.paid_at AS paymentPaidAt, p.transaction_id, o.paid_fen FROM orders o JOIN payment p ON p.order_sn = o.order_sn WHERE o.order_sn = ?', [order.orderSn]);
    expect(row.orderPaidAt.toISOString()).toBe(paidAt);
    expect(row.paymentPaidAt.toISOString()).toBe(paidAt);
    const ledger = (await system.sim.ledger()).find((e) => e.outTradeNo === payment.outTradeNo && e.kind === 'payment')!;
    // The simulator's own record of the instant (UTC), to the second Alipay's format keeps.
    expect(Math.abs(Date.parse(ledger.at) - Date.parse(paidAt))).toBeLessThan(1000);
    expect(row).toMatchObject({ transaction_id: trade.transactionId, paid_fen: order.orderFen });
    expect(await payLog(order.orderSn)).toHaveLength(1);
    await recordHistory(orderWorkflow(order.orderSn), `order-payment-watch-paid-${provider}`);
  });

  it('Alipay: the trade is "not found" until the buyer submits the form; the watch keeps asking and then finds the payment', async () => {
    await system.sim.controlNotifications({ mode: 'drop', kind: 'payment', provider: 'alipay', count: 10 });
    const order = await placeOrder(system);
    const payment = await createPayment(order, 'alipay');
    // The buyer has not opened the cashier yet: the gateway knows no trade.
    await eventually(async () => ((await queries('alipay', payment.outTradeNo)).length >= 1 ? true : undefined), 30_000, 'a first query');
    await expect(system.sim.getTrade(payment.outTradeNo, 'alipay')).rejects.toThrow(/404 .*no trade/);
    // "Not found" is "not paid yet": the order waits and the watch keeps asking.
    expect(await orderStatus(system, order.orderSn)).toBe(OrderStatus.CONFIRM);
    expect(await watchOf(order.orderSn, payment.outTradeNo)).toMatchObject({ nextQueryAtIso: expect.any(String) });
    expect((await watchOf(order.orderSn, payment.outTradeNo))?.outcome).toBeUndefined();

    await submitAlipayForm(payment);
    // The cashier is open: the trade exists now, still unpaid (and still "not found" to queries until paid).
    expect(await system.sim.getTrade(payment.outTradeNo, 'alipay')).toMatchObject({ status: 'NOTPAY', visible: false });
    const askedBeforePaying = (await queries('alipay', payment.outTradeNo)).length;
    await system.sim.payTrade(payment.outTradeNo, 'alipay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    const result = await watchResult(order.orderSn, payment.outTradeNo);
    expect(result.outcome).toBe('paid');
    // The first query after the payment found it.
    expect(result.queries).toBe(askedBeforePaying + 1);
    expect(await payLog(order.orderSn)).toHaveLength(1);
    await recordHistory(orderWorkflow(order.orderSn), 'order-payment-watch-alipay-not-found-then-paid');
  });

  it('a notification that arrives after the query paid the order is a duplicate and changes nothing', async () => {
    await system.sim.controlNotifications({ mode: 'delay', kind: 'payment', provider: 'wechatpay', delayMs: 9000 });
    const order = await placeOrder(system);
    const payment = await createPayment(order, 'wechatpay');
    await system.sim.payTrade(payment.outTradeNo, 'wechatpay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    expect((await watchResult(order.orderSn, payment.outTradeNo)).outcome).toBe('paid');
    await system.sim.waitForNotifications((log) => log.some((e) => e.outTradeNo === payment.outTradeNo && e.acked), 30_000);
    // Give the order workflow time to (not) act on it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await payLog(order.orderSn)).toHaveLength(1);
    const inbox = await system.dataSource.query('SELECT notification_id FROM provider_notification WHERE out_trade_no = ? ORDER BY id', [payment.outTradeNo]);
    expect(inbox).toHaveLength(2);
    expect(await system.dataSource.query('SELECT refund_sn FROM refund WHERE order_sn = ?', [order.orderSn])).toEqual([]);
    expect(await system.sim.moneyMoved(payment.outTradeNo, 'wechatpay')).toEqual({ capturedFen: order.orderFen, refundedFen: 0, refunds: 0 });
    const state = await system.http('GET', `/orders/${order.orderSn}`, { token: system.token('buyer', order.buyerId) });
    expect(state.body.workflow.state).toMatchObject({ status: OrderStatus.PAID_OFF, paidFen: order.orderFen });
  });

  it('a payment start WeChat Pay does not answer is 503 with Retry-After, and sending it again opens the same payment; a refusal is 502', async () => {
    const order = await placeOrder(system);
    const buyer = system.token('buyer', order.buyerId);
    const outTradeNo = `P${order.orderSn.slice(1)}W`;
    // WeChat Pay takes the order but its answer never comes: the API gives up at PAYMENT_HTTP_TIMEOUT_MS.
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'createPayment', key: outTradeNo, outcomes: ['commit-then-timeout'] });
    const unanswered = await system.http('POST', `/orders/${order.orderSn}/payment`, { token: buyer, body: { provider: 'wechatpay' } });
    expect(unanswered).toMatchObject({ status: 503, body: { code: 'PROVIDER_UNAVAILABLE', retryAfterSeconds: 2 } });
    expect(unanswered.body.detail).toMatch(/^wechatpay did not create the payment \(wechatpay TIMEOUT: no answer within \d+ ms\); nothing was refused/);
    expect(unanswered.headers.get('retry-after')).toBe('2');
    // The buyer presses pay again: the same out_trade_no, which WeChat Pay already holds, and its QR code.
    const again = await createPayment(order, 'wechatpay');
    expect(again).toMatchObject({ outTradeNo, amountFen: order.orderFen, codeUrl: expect.stringMatching(/^weixin:\/\//) });
    expect(await system.sim.requests({ provider: 'wechatpay', operation: 'createPayment', key: outTradeNo })).toHaveLength(2);
    expect(await system.dataSource.query('SELECT out_trade_no, status FROM payment WHERE order_sn = ?', [order.orderSn])).toEqual([{ out_trade_no: outTradeNo, status: 'CREATED' }]);

    // A refusal WeChat Pay does not ask to repeat is the provider's answer: 502, no Retry-After.
    const other = await placeOrder(system);
    const otherNo = `P${other.orderSn.slice(1)}W`;
    await system.sim.scriptFaults({ provider: 'wechatpay', operation: 'createPayment', key: otherNo, outcomes: ['PARAM_ERROR'] });
    const refused = await system.http('POST', `/orders/${other.orderSn}/payment`, { token: system.token('buyer', other.buyerId), body: { provider: 'wechatpay' } });
    expect(refused).toMatchObject({ status: 502, body: { code: 'PROVIDER_FAILED' } });
    expect(refused.body.detail).toMatch(/^wechatpay refused to create the payment: wechatpay PARAM_ERROR/);
    expect(refused.body.retryAfterSeconds).toBeUndefined();
    expect(refused.headers.get('retry-after')).toBeNull();
  });

  it('creating the payment again keeps the one watch; it stops once the order is paid by notification, without asking', async () => {
    const order = await placeOrder(system);
    const first = await createPayment(order, 'wechatpay');
    const again = await createPayment(order, 'wechatpay');
    expect(again.outTradeNo).toBe(first.outTradeNo);
    const watches = await eventually(async () => {
      const list = (await orderWorkflow(order.orderSn).query(orderStateQuery)).paymentWatches ?? [];
      return list.length > 0 ? list : undefined;
    }, 15_000, 'the watch in the order state');
    expect(watches).toEqual([expect.objectContaining({ outTradeNo: first.outTradeNo, provider: 'wechatpay', queries: 0 })]);
    await system.sim.payTrade(first.outTradeNo, 'wechatpay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
    // The notification paid it before the first query was due: the watch ends without one.
    expect(await watchResult(order.orderSn, first.outTradeNo)).toMatchObject({ outcome: 'order-moved-on', queries: 0 });
    expect(await system.sim.requests({ provider: 'wechatpay', operation: 'queryPayment', key: first.outTradeNo })).toHaveLength(0);
    // No workflow of its own: the order workflow did the watching.
    await expect(system.temporal.workflow.getHandle(`payment-watch-${first.outTradeNo}`).describe()).rejects.toThrow(/not found/i);
  });
});
