import { OrderStatus } from '../../domain';
import { newSellerId, seedGoods } from '../support/fixtures';
import { payOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Buyer reviews through HTTP on the real system: one review and one follow-up per line, a third
 * refused; the order workflow's comment-window timer writes the automatic positive review for the
 * line left unreviewed (short settings).
 */
describe('reviews', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ COMPLETE_ORDER_DAY: '3s', COMMENT_ORDER_DAY: '8s', COMPLAIN_EXPIRED_DAY: '10s', SERVICE_EXPIRED_DAY: '10s' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('a buyer reviews a line, follows up once, a third attempt is refused; the other line gets the automatic positive review', async () => {
    const sellerId = newSellerId();
    const buyerId = sellerId + 500_000;
    const tea = await seedGoods(system.dataSource, { sellerId, name: 'Longjing tea', priceFen: 12900, stock: 5 });
    const cups = await seedGoods(system.dataSource, { sellerId, name: 'Tea cups', priceFen: 3900, stock: 5 });
    const buyer = system.token('buyer', buyerId);
    const checkout = await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId: tea, quantity: 1 }, { skuId: cups, quantity: 2 }] } });
    expect(checkout.status).toBe(201);
    const { orderSn, orderFen } = checkout.body.orders[0];
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    const order = { orderSn, orderFen, sellerId, buyerId, skuId: tea };
    await payOrder(system, order, 'wechatpay');

    const review = (skuId: number, grade = 'GOOD', content = 'Fragrant, well packed.') => system.http('POST', `/orders/${orderSn}/reviews`, { token: buyer, body: { skuId, grade, content } });
    const followUp = (skuId: number, content = 'A month later: still good.') => system.http('POST', `/orders/${orderSn}/reviews/follow-up`, { token: buyer, body: { skuId, content } });

    // Not before receipt: the order table has no COMMENT at PAID_OFF / SHIPPED.
    expect((await review(tea)).status).toBe(409);
    await system.http('POST', `/orders/${orderSn}/shipment`, { token: system.token('seller', sellerId), body: { carrier: 'SF', trackingNo: 'SF70001' } });
    await system.http('POST', `/orders/${orderSn}/receipt`, { token: buyer });
    await waitForStatus(system, orderSn, OrderStatus.ROG);

    expect((await review(tea, 'EXCELLENT')).status).toBe(400);
    expect((await system.http('POST', `/orders/${orderSn}/reviews`, { token: system.token('buyer', buyerId + 1), body: { skuId: tea, grade: 'BAD', content: 'not mine' } })).status).toBe(404);
    expect((await followUp(tea)).status).toBe(409);
    const first = await review(tea);
    expect(first.status).toBe(201);
    expect(first.body.lines.find((l: { skuId: number }) => l.skuId === tea)).toMatchObject({ commentStatus: 'WAIT_CHASE' });
    expect((await review(tea, 'BAD', 'changed my mind')).status).toBe(409);
    const second = await followUp(tea);
    expect(second.status).toBe(201);
    expect(second.body.lines.find((l: { skuId: number }) => l.skuId === tea)).toMatchObject({ commentStatus: 'FINISHED' });
    const third = await followUp(tea, 'one more');
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'REVIEW_NOT_ALLOWED', detail: expect.stringMatching(/already has its follow-up/) });

    // The window closes on the order workflow's timer: the unreviewed line gets the automatic positive review.
    const closed = await eventually(async () => {
      const answer = await system.http('GET', `/orders/${orderSn}/reviews`, { token: buyer });
      return answer.body.commentWindow === 'CLOSED' ? answer.body : undefined;
    }, 60_000, 'comment window closed');
    expect(closed.lines).toEqual([
      expect.objectContaining({ skuId: Math.min(tea, cups), commentStatus: 'FINISHED' }),
      expect.objectContaining({ skuId: Math.max(tea, cups), commentStatus: 'FINISHED' }),
    ]);
    const rows = await system.dataSource.query('SELECT sku_id, kind, grade, automatic FROM order_review WHERE order_sn = ? ORDER BY sku_id, kind', [orderSn]);
    expect(rows.map((r: { sku_id: number }) => ({ ...r, sku_id: Number(r.sku_id) }))).toEqual(
      [
        { sku_id: tea, kind: 'FOLLOW_UP', grade: null, automatic: 0 },
        { sku_id: tea, kind: 'INITIAL', grade: 'GOOD', automatic: 0 },
        { sku_id: cups, kind: 'INITIAL', grade: 'GOOD', automatic: 1 },
      ].sort((a, b) => a.sku_id - b.sku_id || a.kind.localeCompare(b.kind)),
    );
    expect((await review(cups, 'BAD', 'too late')).status).toBe(409);
    const log = await system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND event_key LIKE 'review:%' ORDER BY id`, [orderSn]);
    expect(log.map((r: { event_key: string }) => r.event_key)).toEqual([`review:${tea}:INITIAL`, `review:${tea}:FOLLOW_UP`]);

    // The seller reads their goods' reviews; another seller's token finds nothing.
    const forSeller = await system.http('GET', `/goods/${cups}/reviews`, { token: system.token('seller', sellerId) });
    expect(forSeller.body.items).toEqual([expect.objectContaining({ orderSn, kind: 'INITIAL', grade: 'GOOD', automatic: true })]);
    expect((await system.http('GET', `/goods/${cups}/reviews`, { token: system.token('seller', sellerId + 1) })).status).toBe(404);
  });
});
