import { OrderStatus, RefundStatus, TradeStatus, chinaDateOf } from '../../domain';
import type { ReconciliationResult } from '../../workflows/reconciliation.contract';
import { afterSaleApi, waitForAfterSale } from '../support/after-sales';
import { waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { startTradePayment, twoShopTrade, waitForTradeStatus } from '../support/trades';

const WECHAT_SPACING_MS = 3000;

/**
 * Refunds of orders paid through their trade draw on the one trade payment: each its own refund
 * number, never more than the order's share, the provider's spacing kept across the orders, and the
 * day's reconciliation matches the trade payment and its refunds. Its own database, so the day's
 * bill holds only these runs.
 */
describe('refunds against a trade payment', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ WECHATPAY_REFUND_SPACING: `${WECHAT_SPACING_MS}ms`, PAYMENT_QUERY_SCHEDULE: '10m' }, { ownDatabase: true });
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function reconcile(provider: 'wechatpay' | 'alipay'): Promise<ReconciliationResult> {
    const started = await system.http('POST', '/reconciliation/runs', { token: system.token('support', 1), body: { provider, billDate: chinaDateOf(Date.now()) } });
    expect(started.status).toBe(202);
    return (await system.temporal.workflow.getHandle(started.body.workflowId, started.body.runId).result()) as ReconciliationResult;
  }

  it('cancel one order of a paid two-shop trade, an after-sale refund of a line of the other: two refunds of the one payment, spaced, PARTIALLY_REFUNDED; reconciliation 0 differences', async () => {
    const trade = await twoShopTrade(system); // shop 1: 2 × 1000 + 1 × 2500 = 4500; shop 2: 4300
    const byTotal = [...trade.orders].sort((a, b) => b.orderFen - a.orderFen);
    const [kept, cancelled] = byTotal; // kept: shop 1 (4500), cancelled: shop 2 (4300)
    const payment = await startTradePayment(system, trade, 'wechatpay');
    await system.sim.payTrade(payment.outTradeNo, 'wechatpay');
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);

    // The kept order is shipped and received, so a line of it can be refunded.
    const shipped = await system.http('POST', `/orders/${kept.orderSn}/shipment`, { token: system.token('seller', kept.sellerId), body: { carrier: 'SF', trackingNo: `SF${kept.orderSn.slice(-8)}` } });
    expect(shipped.status).toBe(200);
    await system.http('POST', `/orders/${kept.orderSn}/receipt`, { token: system.token('buyer', trade.buyerId) });
    await waitForStatus(system, kept.orderSn, OrderStatus.ROG);
    const [cupLine] = await system.dataSource.query('SELECT id, paid_fen FROM order_item WHERE order_sn = ? AND sku_id = ?', [kept.orderSn, kept.skuIds[0]]);

    // Both refunds asked for at once: the cancellation of the other order, and one cup of the kept one.
    const cancel = await system.http('POST', `/orders/${cancelled.orderSn}/cancellations`, { token: system.token('buyer', trade.buyerId), headers: { 'idempotency-key': `c-${cancelled.orderSn}` }, body: { reason: 'found it cheaper' } });
    expect(cancel.status).toBe(202);
    const api = afterSaleApi(system, { orderSn: kept.orderSn, buyerId: trade.buyerId, sellerId: kept.sellerId });
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: Number(cupLine.id), num: 1 }], reason: 'one cup missing' }, `as-${kept.orderSn}`);
    expect(applied.body).toMatchObject({ status: 'APPLY', requestedFen: 1000 });
    expect((await api.audit(applied.body.serviceSn, { decision: 'PASS' })).status).toBeLessThan(300);
    await waitForAfterSale(system, applied.body.serviceSn, 'COMPLETED', 90_000);
    await waitForStatus(system, cancelled.orderSn, OrderStatus.CANCELLED, 60_000);

    const refunds: { refund_sn: string; order_sn: string; refund_fen: number; total_fen: number; status: string; payment_refund_no: number }[] = await eventually(async () => {
      const rows = await system.dataSource.query('SELECT refund_sn, order_sn, refund_fen, total_fen, status, payment_refund_no FROM refund WHERE out_trade_no = ? ORDER BY payment_refund_no', [payment.outTradeNo]);
      return rows.length === 2 && rows.every((r: { status: string }) => r.status === RefundStatus.SUCCESS) ? rows : undefined;
    }, 90_000, 'two refunds of the trade payment SUCCESS');
    // Exact amounts: the cancelled order's whole share, and the one cup; each names the whole payment's total.
    expect(refunds.map((r) => ({ orderSn: r.order_sn, refundFen: r.refund_fen, totalFen: r.total_fen })).sort((a, b) => a.refundFen - b.refundFen)).toEqual([
      { orderSn: kept.orderSn, refundFen: 1000, totalFen: trade.totalFen },
      { orderSn: cancelled.orderSn, refundFen: cancelled.orderFen, totalFen: trade.totalFen },
    ]);
    expect(refunds.map((r) => r.payment_refund_no)).toEqual([1, 2]);
    // At the provider: each number created once, the second at least the spacing after the first.
    const created = await Promise.all(refunds.map((r) => system.sim.getRefund(r.refund_sn, 'wechatpay')));
    const times = created.map((r) => r.createdAtMs).sort((a, b) => a - b);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(WECHAT_SPACING_MS);
    for (const refund of refunds) {
      expect((await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund', key: refund.refund_sn })).filter((e) => e.status === 200)).toHaveLength(1);
    }
    expect(await system.sim.moneyMoved(payment.outTradeNo, 'wechatpay')).toEqual({ capturedFen: trade.totalFen, refundedFen: cancelled.orderFen + 1000, refunds: 2 });
    expect(await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [payment.outTradeNo])).toEqual([{ status: 'PARTIALLY_REFUNDED' }]);

    // Never more than the order's share: the cancelled order has nothing left, though the payment has.
    const support = system.token('support', 2);
    const over = await system.http('POST', `/support/orders/${cancelled.orderSn}/goodwill-refunds`, { token: support, headers: { 'idempotency-key': `gw-${cancelled.orderSn}` }, body: { refundFen: 1, reason: 'sorry' } });
    expect(over.status).toBe(409);
    const tooMuch = await system.http('POST', `/support/orders/${kept.orderSn}/goodwill-refunds`, { token: support, headers: { 'idempotency-key': `gw-${kept.orderSn}` }, body: { refundFen: kept.orderFen - 1000 + 1, reason: 'sorry' } });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.detail).toMatch(new RegExp(`exceeds the ${kept.orderFen - 1000} fen that remain refundable on payment ${payment.outTradeNo}`));

    // The day's bill: the trade payment and both refunds match, nothing else differs.
    const result = await reconcile('wechatpay');
    expect(result).toMatchObject({ differenceCount: 0 });
    expect(result.matched).toBe(3);
  });

  it('a goodwill refund and an arbitrated complaint refund of one order, a cancel of the other: each its own refund number against the trade payment, within the share; REFUNDED; reconciliation 0 differences', async () => {
    const trade = await twoShopTrade(system, { aFen: 600, bFen: 900, cFen: 3000 }); // shop 1: 2 × 600 + 900 = 2100; shop 2: one line of 3000
    const complained = trade.orders.find((o) => o.orderFen === 3000)!;
    const cancelled = trade.orders.find((o) => o.orderFen === 2100)!;
    const buyer = system.token('buyer', trade.buyerId);
    const support = system.token('support', 3);
    const payment = await startTradePayment(system, trade, 'wechatpay');
    await system.sim.payTrade(payment.outTradeNo, 'wechatpay');
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await system.http('POST', `/orders/${complained.orderSn}/shipment`, { token: system.token('seller', complained.sellerId), body: { carrier: 'SF', trackingNo: `SF${complained.orderSn.slice(-8)}` } });
    await system.http('POST', `/orders/${complained.orderSn}/receipt`, { token: buyer });
    await waitForStatus(system, complained.orderSn, OrderStatus.ROG);

    // Goodwill: 2000 of the order's 3000 share.
    const goodwill = await system.http('POST', `/support/orders/${complained.orderSn}/goodwill-refunds`, { token: support, headers: { 'idempotency-key': `gw-${complained.orderSn}` }, body: { refundFen: 2000, reason: 'parcel late' } });
    expect(goodwill.status).toBe(202);
    expect(await system.temporal.workflow.getHandle(goodwill.body.workflowId).result()).toMatchObject({ status: 'REFUNDED' });

    // A complaint on its one line, arbitrated with a refund: bounded by what remains of the share (1000),
    // though the payment itself still has 3100 left.
    const filed = await system.http('POST', `/orders/${complained.orderSn}/complaints`, { token: buyer, body: { skuId: complained.skuIds[0], topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
    expect(filed.status).toBe(201);
    const id: number = filed.body.id;
    const step = (path: string, token: string, body: Record<string, unknown>) => system.http('POST', `/complaints/${id}/${path}`, { token, body });
    expect((await system.http('POST', `/support/complaints/${id}/review`, { token: support, body: { content: 'accepted' } })).body.status).toBe('WAIT_APPEAL');
    expect((await step('appeal', system.token('seller', complained.sellerId), { content: 'we weighed it' })).body.status).toBe('COMMUNICATION');
    expect((await step('arbitration-request', buyer, { content: 'please decide' })).body.status).toBe('WAIT_ARBITRATION');
    expect(filed.body.refundableFen).toBe(1000); // what the goodwill refund left of the share
    const over = await system.http('POST', `/support/complaints/${id}/arbitration`, { token: support, body: { result: 'refund the rest and more', refundFen: 1001 } });
    expect(over).toMatchObject({ status: 409, body: { code: 'RefundExceedsRemaining', detail: expect.stringMatching(/exceeds the 1000 fen that remain refundable/) } });
    const decided = await system.http('POST', `/support/complaints/${id}/arbitration`, { token: support, body: { result: 'Short weight confirmed', refundFen: 1000 } });
    expect(decided.body).toMatchObject({ status: 'COMPLETE', refundFen: 1000 });
    expect((await system.temporal.workflow.getHandle(`complaint-${id}`).result()).refund).toMatchObject({ refundFen: 1000, status: 'SUCCESS' });

    // The other order cancelled: its whole share back.
    const cancel = await system.http('POST', `/orders/${cancelled.orderSn}/cancellations`, { token: buyer, headers: { 'idempotency-key': `c-${cancelled.orderSn}` }, body: { reason: 'found it cheaper' } });
    expect(cancel.status).toBe(202);
    await waitForStatus(system, cancelled.orderSn, OrderStatus.CANCELLED, 60_000);

    const refunds: { refund_sn: string; order_sn: string; cause_key: string; refund_fen: number; total_fen: number }[] = await eventually(async () => {
      const rows = await system.dataSource.query('SELECT refund_sn, order_sn, cause_key, refund_fen, total_fen, status FROM refund WHERE out_trade_no = ? ORDER BY payment_refund_no', [payment.outTradeNo]);
      return rows.length === 3 && rows.every((r: { status: string }) => r.status === RefundStatus.SUCCESS) ? rows : undefined;
    }, 90_000, 'three refunds of the trade payment SUCCESS');
    expect(refunds.map((r) => ({ orderSn: r.order_sn, cause: r.cause_key.split(':')[0], refundFen: r.refund_fen, totalFen: r.total_fen }))).toEqual([
      { orderSn: complained.orderSn, cause: 'goodwill', refundFen: 2000, totalFen: trade.totalFen },
      { orderSn: complained.orderSn, cause: 'complaint', refundFen: 1000, totalFen: trade.totalFen },
      { orderSn: cancelled.orderSn, cause: 'cancel', refundFen: 2100, totalFen: trade.totalFen },
    ]);
    expect(new Set(refunds.map((r) => r.refund_sn)).size).toBe(3);
    for (const refund of refunds) {
      expect((await system.sim.requests({ provider: 'wechatpay', operation: 'submitRefund', key: refund.refund_sn })).filter((e) => e.status === 200)).toHaveLength(1);
    }
    // Σ refunds = the payment: REFUNDED at the provider and here; each order got exactly its share back.
    expect(await system.sim.moneyMoved(payment.outTradeNo, 'wechatpay')).toEqual({ capturedFen: trade.totalFen, refundedFen: trade.totalFen, refunds: 3 });
    expect(await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [payment.outTradeNo])).toEqual([{ status: 'REFUNDED' }]);
    expect(await system.dataSource.query('SELECT order_sn, refunded_fen FROM orders WHERE trade_sn = ? ORDER BY order_sn', [trade.tradeSn])).toEqual(
      trade.orders.map((o) => ({ order_sn: o.orderSn, refunded_fen: o.orderFen })),
    );
    const more = await system.http('POST', `/support/orders/${complained.orderSn}/goodwill-refunds`, { token: support, headers: { 'idempotency-key': `gw2-${complained.orderSn}` }, body: { refundFen: 1, reason: 'one more' } });
    expect(more.status).toBe(409);

    // The day's bill: this payment and its three refunds match (with the first run's), nothing differs.
    const result = await reconcile('wechatpay');
    expect(result).toMatchObject({ differenceCount: 0 });
    expect(result.matched).toBeGreaterThanOrEqual(4);
    expect(await system.dataSource.query('SELECT kind FROM reconciliation_difference WHERE out_trade_no = ?', [payment.outTradeNo])).toEqual([]);
  });

  it('a stranded trade payment (notification lost) found by reconciliation pays both orders once', async () => {
    const trade = await twoShopTrade(system, { aFen: 700, bFen: 800, cFen: 900 });
    const payment = await startTradePayment(system, trade, 'alipay');
    await system.sim.controlNotifications({ mode: 'drop', provider: 'alipay', kind: 'payment', count: 1 });
    await system.sim.payTrade(payment.outTradeNo, 'alipay');
    await system.sim.waitForNotifications((log) => log.some((n) => n.outTradeNo === payment.outTradeNo && n.dropped === true));
    const result = await reconcile('alipay');
    expect(result.differences).toMatchObject({ STRANDED_PAYMENT: 1 });
    for (const order of trade.orders) await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF, 60_000);
    await waitForTradeStatus(system, trade.tradeSn, TradeStatus.PAID_OFF);
    const [fixed] = await system.dataSource.query(`SELECT status FROM reconciliation_difference WHERE out_trade_no = ? AND kind = 'STRANDED_PAYMENT'`, [payment.outTradeNo]);
    expect(fixed).toMatchObject({ status: 'AUTO_FIXED' });
    for (const order of trade.orders) {
      expect(await system.dataSource.query(`SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND operation = 'PAY'`, [order.orderSn])).toEqual([{ n: 1 }]);
    }
    expect(await system.sim.moneyMoved(payment.outTradeNo, 'alipay')).toEqual({ capturedFen: trade.totalFen, refundedFen: 0, refunds: 0 });
  });
});
