import { afterSaleApi, receivedTwoLineOrder, TwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { waitForComplaint } from '../support/complaints';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The one refundable balance, end to end through HTTP on the real Temporal dev server, MariaDB and
 * the payment simulator: complaints, after-sales and goodwill refunds of one line draw from the same
 * balance, so a line is never refunded past what was paid for it, and a CLOSED refund gives its
 * money back to the line exactly once.
 */
describe('refundable balance', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const support = () => system.token('support', 3);

  /** Files a complaint about one SKU and walks it to support's arbitration; returns its id. */
  async function complaintAtArbitration(order: TwoLineOrder, skuId: number): Promise<number> {
    const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: system.token('buyer', order.buyerId), body: { skuId, topic: 'Chipped', content: 'The rim is chipped.' } });
    expect(filed.status).toBe(201);
    const id: number = filed.body.id;
    expect((await system.http('POST', `/support/complaints/${id}/review`, { token: support(), body: { content: 'accepted' } })).status).toBe(200);
    expect((await system.http('POST', `/complaints/${id}/appeal`, { token: system.token('seller', order.sellerId), body: { content: 'it left intact' } })).status).toBe(200);
    expect((await system.http('POST', `/complaints/${id}/arbitration-request`, { token: system.token('buyer', order.buyerId), body: { content: 'please decide' } })).status).toBe(200);
    return id;
  }
  const arbitrate = (id: number, refundFen?: number) => system.http('POST', `/support/complaints/${id}/arbitration`, { token: support(), body: { result: refundFen ? `refund ${refundFen} fen` : 'no refund', ...(refundFen ? { refundFen } : {}) } });
  const refundable = async (orderItemId: number) => (await system.dataSource.query('SELECT refundable_fen FROM order_item WHERE id = ?', [orderItemId]))[0].refundable_fen as number;
  async function settledRefunds(orderSn: string, count: number) {
    return eventually(async () => {
      const rows: { refund_sn: string; status: string; refund_fen: number }[] = await system.dataSource.query('SELECT refund_sn, status, refund_fen FROM refund WHERE order_sn = ? ORDER BY id', [orderSn]);
      return rows.length === count && rows.every((r) => r.status === 'SUCCESS' || r.status === 'CLOSED') ? rows : undefined;
    }, 45_000, `${count} settled refunds of ${orderSn}`);
  }

  it('two arbitrations and an after-sale of one line refund at most what the line was paid, once', async () => {
    // The case: line A paid 5,000 fen, line B 10,000.
    const order = await receivedTwoLineOrder(system, 'wechatpay', { aFen: 5000, bFen: 10_000, num: 1 });
    const [a, b] = order.lines;
    const first = await complaintAtArbitration(order, a.skuId);
    expect((await arbitrate(first, 5000)).body).toMatchObject({ status: 'COMPLETE', refundFen: 5000 });
    await settledRefunds(order.orderSn, 1);
    expect(await refundable(a.orderItemId)).toBe(0);

    // The second complaint about the same line: nothing of it is left to arbitrate.
    const second = await complaintAtArbitration(order, a.skuId);
    expect((await system.http('GET', `/complaints/${second}`, { token: support() })).body.refundableFen).toBe(0);
    const refused = await arbitrate(second, 5000);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'RefundExceedsRemaining', detail: expect.stringMatching(/exceeds the 0 fen that remain refundable on this line/) });
    expect((await arbitrate(second)).body.status).toBe('COMPLETE');

    // A refund-only after-sale of the line finds nothing left; line B still has all of its 10,000.
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'broken' }, `rb-a-${order.orderSn}`);
    expect(applied.status).toBe(409);
    expect(applied.body).toMatchObject({ code: 'NothingToRefund', detail: 'nothing remains refundable on these lines' });
    const other = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: b.orderItemId, num: 1 }], reason: 'broken' }, `rb-b-${order.orderSn}`);
    expect(other.body).toMatchObject({ status: 'APPLY', requestedFen: 10_000 });

    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 5000, refunds: 1 });
    const lines = await system.dataSource.query(
      `SELECT l.order_item_id, SUM(l.refund_fen) AS fen FROM refund_line l JOIN refund r ON r.refund_sn = l.refund_sn WHERE r.order_sn = ? AND r.status <> 'CLOSED' GROUP BY l.order_item_id`,
      [order.orderSn],
    );
    expect(lines.map((l: { order_item_id: number; fen: string }) => ({ id: Number(l.order_item_id), fen: Number(l.fen) }))).toEqual([{ id: a.orderItemId, fen: 5000 }]);
  });

  it('after a smaller arbitration, an after-sale of the line offers only what remains', async () => {
    // The second case: a line paid 4,925 with 1,822 refunded offered 4,925 to an after-sale.
    const order = await receivedTwoLineOrder(system, 'alipay', { aFen: 4925, bFen: 700, num: 1 });
    const [a] = order.lines;
    const id = await complaintAtArbitration(order, a.skuId);
    expect((await arbitrate(id, 1822)).body).toMatchObject({ status: 'COMPLETE', refundFen: 1822 });
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'broken after all' }, `rb-small-${order.orderSn}`);
    expect(applied.body).toMatchObject({ status: 'APPLY', requestedFen: 3103 });
    // The seller cannot agree to more than the after-sale asked; what it asked is what remains.
    expect((await api.audit(applied.body.serviceSn, { decision: 'PASS' })).status).toBe(200);
    await waitForAfterSale(system, applied.body.serviceSn, 'COMPLETED');
    await settledRefunds(order.orderSn, 2);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 4925, refunds: 2 });
    expect(await refundable(a.orderItemId)).toBe(0);
  });

  it('goodwill that names no line takes only what the payment has left, and the lines keep theirs within it', async () => {
    const order = await receivedTwoLineOrder(system, 'wechatpay', { aFen: 3000, bFen: 2000, num: 1 });
    const [a] = order.lines;
    const goodwill = (refundFen: number, key: string) =>
      system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, { token: support(), headers: { 'idempotency-key': key }, body: { refundFen, reason: 'late parcel' } });
    expect((await goodwill(4500, `gw1-${order.orderSn}`)).status).toBe(202);
    // 500 fen remain on the payment: line A still has 3,000 of its own, but an after-sale is offered 500.
    expect(await refundable(a.orderItemId)).toBe(3000);
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'broken' }, `rb-gw-${order.orderSn}`);
    expect(applied.body).toMatchObject({ status: 'APPLY', requestedFen: 500 });
    const over = await goodwill(501, `gw2-${order.orderSn}`);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'RefundExceedsRemaining', detail: expect.stringMatching(/exceeds the 500 fen that remain refundable on payment/) });
  });

  it('a CLOSED refund gives its line back exactly once, and its re-issue takes it again', async () => {
    const order = await receivedTwoLineOrder(system, 'wechatpay', { aFen: 5000, bFen: 1000, num: 1 });
    const [a] = order.lines;
    const id = await complaintAtArbitration(order, a.skuId);
    // The refund is recorded with the arbitration; the simulator is told to close it before it pays.
    const decided = await arbitrate(id, 3000);
    expect(decided.body).toMatchObject({ status: 'COMPLETE', refundFen: 3000 });
    await system.sim.scriptRefund(decided.body.refundSn, { processingMs: 0, then: 'CLOSED' }, 'wechatpay');
    await waitForComplaint(system, id, 'COMPLETE');
    await eventually(async () => {
      const [row] = await system.dataSource.query('SELECT status FROM refund WHERE refund_sn = ?', [decided.body.refundSn]);
      return row.status === 'CLOSED' ? true : undefined;
    }, 30_000, 'refund CLOSED');
    expect(await refundable(a.orderItemId)).toBe(5000);
    // Support re-issues it once the refund workflow parks it (the Update is refused until then).
    await eventually(async () => {
      const reissued = await system.http('POST', `/support/refunds/${decided.body.refundSn}/resolution`, { token: support(), body: { action: 'REISSUE_WITH_NEW_NUMBER', note: 'card fixed' } });
      return reissued.status === 200 ? true : undefined;
    }, 30_000, 'refund re-issued');
    const rows = await settledRefunds(order.orderSn, 2);
    expect(rows.map((r) => [r.status, r.refund_fen])).toEqual([['CLOSED', 3000], ['SUCCESS', 3000]]);
    expect(await refundable(a.orderItemId)).toBe(2000);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 3000, refunds: 1 });
  });
});
