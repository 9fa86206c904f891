import { OrderStatus } from '../../domain';
import { readSellerEvents, StoredBusinessEvent } from '../../db/business-events';
import { afterSaleApi, afterSaleWorkflowDone, waitForAfterSale } from '../support/after-sales';
import { ADDRESS, buyerCall, claimCoupon, newBuyerId, seedShop, waitConfirmed } from '../support/checkout';
import { waitForComplaint } from '../support/complaints';
import { payOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * One seller's business, end to end through HTTP on the real system, and its outbox: a coupon, three
 * orders (one received, with an after-sale refund, a complaint with an arbitrated refund, a review,
 * a goodwill refund and a refused cancel; one cancelled unpaid, giving its coupon back; one cancelled
 * after payment, refunded), and then every business transition of those entities is in
 * business_event exactly once, in the seller's sequence 1..n with no gap.
 */
describe('business events of a whole flow', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('every transition of checkout → pay → ship → receive → after-sale refund → complaint → review → goodwill → cancels appears once, in per-seller order without gaps', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 1000, stock: 20, name: 'Tea cup' }, { priceFen: 2500, stock: 20, name: 'Teapot' }], coupon: { thresholdFen: 0, valueFen: 100 } });
    const { sellerId } = shop;
    const [cup, pot] = shop.skuIds;
    const buyerId = newBuyerId();
    const seller = system.token('seller', sellerId);
    const buyer = system.token('buyer', buyerId);
    const support = system.token('support', 5);
    const memberCouponId = await claimCoupon(system, buyerId, shop.couponId!);

    // Order 1: 3 cups and 3 pots, paid, shipped, received.
    const trade = await buyerCall(system, buyerId, 'POST', '/trades', { items: [{ skuId: cup, quantity: 3 }, { skuId: pot, quantity: 3 }] });
    const one = { orderSn: trade.orders[0].orderSn as string, sellerId, buyerId, skuId: cup, orderFen: trade.orders[0].orderFen as number };
    await waitForStatus(system, one.orderSn, OrderStatus.CONFIRM);
    const outTradeNo = await payOrder(system, one, 'wechatpay');
    expect((await system.http('POST', `/orders/${one.orderSn}/shipment`, { token: seller, body: { carrier: 'SF', trackingNo: 'SF-EVENTS-1' } })).status).toBe(200);
    await system.http('POST', `/orders/${one.orderSn}/receipt`, { token: buyer });
    await waitForStatus(system, one.orderSn, OrderStatus.ROG);
    const items: { id: number; sku_id: number }[] = await system.dataSource.query('SELECT id, sku_id FROM order_item WHERE order_sn = ? ORDER BY sku_id', [one.orderSn]);
    const cupLine = Number(items.find((i) => Number(i.sku_id) === cup)!.id);

    // A return of one cup: applied, passed, shipped back, received, refunded, completed.
    const api = afterSaleApi(system, one);
    const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: cupLine, num: 1 }], reason: 'Cracked' }, `as-${one.orderSn}`);
    expect(applied.status).toBe(201);
    const serviceSn: string = applied.body.serviceSn;
    expect((await api.audit(serviceSn, { decision: 'PASS' })).status).toBe(200);
    expect((await api.shipBack(serviceSn)).status).toBe(200);
    expect((await api.receipt(serviceSn, [{ orderItemId: cupLine, goodNum: 1, damagedNum: 0 }])).status).toBe(200);
    await waitForAfterSale(system, serviceSn, 'COMPLETED');
    await afterSaleWorkflowDone(system, serviceSn);

    // A complaint about the pots, arbitrated with a refund.
    const filed = await system.http('POST', `/orders/${one.orderSn}/complaints`, { token: buyer, body: { skuId: pot, topic: 'Chipped lid', content: 'One lid is chipped.' } });
    expect(filed.status).toBe(201);
    const complaintId: number = filed.body.id;
    const step = (path: string, token: string, body: Record<string, unknown>) => system.http('POST', `/complaints/${complaintId}/${path}`, { token, body });
    expect((await system.http('POST', `/support/complaints/${complaintId}/review`, { token: support, body: { content: 'accepted' } })).status).toBe(200);
    expect((await step('appeal', seller, { content: 'It left us whole.' })).status).toBe(200);
    expect((await step('messages', buyer, { content: 'Photo attached.' })).status).toBe(200);
    expect((await step('arbitration-request', buyer, { content: 'Please decide.' })).status).toBe(200);
    expect((await system.http('POST', `/support/complaints/${complaintId}/arbitration`, { token: support, body: { result: 'Refund 5.00 CNY.', refundFen: 500 } })).status).toBe(200);
    await waitForComplaint(system, complaintId, 'COMPLETE');
    await system.temporal.workflow.getHandle(`complaint-${complaintId}`).result();

    // A review of the pots, and a goodwill refund by support.
    expect((await system.http('POST', `/orders/${one.orderSn}/reviews`, { token: buyer, body: { skuId: pot, grade: 'GOOD', content: 'Lovely teapot.' } })).status).toBe(201);
    const goodwill = await system.http('POST', `/support/orders/${one.orderSn}/goodwill-refunds`, { token: support, headers: { 'idempotency-key': `gw-${one.orderSn}` }, body: { refundFen: 200, reason: 'Sorry for the lid' } });
    expect(goodwill.status).toBe(202);
    const goodwillId: number = goodwill.body.goodwillRefundId;
    await system.temporal.workflow.getHandle(goodwill.body.workflowId).result();

    // The seller tries to cancel the received order: refused.
    const refused = await system.http('POST', `/orders/${one.orderSn}/cancellations`, { token: seller, headers: { 'idempotency-key': `c1-${one.orderSn}` }, body: { reason: 'too late' } });
    expect(refused.status).toBe(409);

    // Order 2: a cup with the coupon through cart and checkout, cancelled unpaid by the seller: the coupon comes back.
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: cup, quantity: 1 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${sellerId}`, { memberCouponId });
    const checkout = await buyerCall(system, buyerId, 'POST', '/checkout', { address: ADDRESS, paymentType: 'ONLINE' }, { 'idempotency-key': `co-${buyerId}` });
    await waitConfirmed(system, checkout);
    const two: string = checkout.orders[0].orderSn;
    const cancelTwo = await system.http('POST', `/orders/${two}/cancellations`, { token: seller, headers: { 'idempotency-key': `c2-${two}` }, body: { reason: 'out of stock' } });
    expect(cancelTwo.status).toBe(202);

    // Order 3: a pot, paid with Alipay, cancelled by the seller: refunded.
    const trade3 = await buyerCall(system, buyerId, 'POST', '/trades', { items: [{ skuId: pot, quantity: 1 }] });
    const three = { orderSn: trade3.orders[0].orderSn as string, sellerId, buyerId, skuId: pot, orderFen: trade3.orders[0].orderFen as number };
    await waitForStatus(system, three.orderSn, OrderStatus.CONFIRM);
    const outTradeNo3 = await payOrder(system, three, 'alipay');
    const cancelThree = await system.http('POST', `/orders/${three.orderSn}/cancellations`, { token: seller, headers: { 'idempotency-key': `c3-${three.orderSn}` }, body: { reason: 'warehouse flooded' } });
    expect(cancelThree.status).toBe(202);
    for (const orderSn of [two, three.orderSn]) {
      await eventually(async () => ((await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [orderSn])).length ? true : undefined), 60_000, `cancellation of ${orderSn}`);
    }
    // The order workflows let go of the cancelled orders once their coupon and stock are back.
    for (const orderSn of [two, three.orderSn]) await system.temporal.workflow.getHandle(`order-${orderSn}`).result();

    // ---- The outbox ----
    const events = await readSellerEvents(system.dataSource.manager, sellerId, 0, 1000);
    // 1..n without a gap, and the sequence row agrees.
    expect(events.map((e) => e.sellerSeq)).toEqual(events.map((_, i) => i + 1));
    const [{ last_seq: lastSeq }] = await system.dataSource.query('SELECT last_seq FROM seller_event_sequence WHERE seller_id = ?', [sellerId]);
    expect(Number(lastSeq)).toBe(events.length);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);

    const of = (entityType: string, entityId: string | number) => events.filter((e) => e.entityType === entityType && e.entityId === String(entityId)).map((e) => e.eventType);
    const refunds: { refund_sn: string; cause_key: string; order_sn: string }[] = await system.dataSource.query('SELECT refund_sn, cause_key, order_sn FROM refund WHERE order_sn IN (?) ORDER BY id', [[one.orderSn, two, three.orderSn]]);
    const refundOf = (prefix: string) => refunds.find((r) => r.cause_key.startsWith(prefix))!.refund_sn;
    const requests: { id: number; order_sn: string }[] = await system.dataSource.query('SELECT id, order_sn FROM cancellation_request WHERE order_sn IN (?) ORDER BY id', [[one.orderSn, two, three.orderSn]]);
    const requestOf = (orderSn: string) => requests.find((r) => r.order_sn === orderSn)!.id;
    const [copy] = await system.dataSource.query('SELECT id FROM member_coupon WHERE coupon_id = ?', [shop.couponId]);

    expect(of('coupon', shop.couponId!)).toEqual(['coupon.created']);
    expect(of('member_coupon', copy.id)).toEqual(['coupon.claimed', 'coupon.used', 'coupon.released']);
    expect(of('order', one.orderSn)).toEqual(['order.created', 'order.confirmed', 'order.paid', 'order.shipped', 'order.received', 'order.after_sale_opened', 'order.after_sale_closed']);
    expect(of('payment', outTradeNo)).toEqual(['payment.created', 'payment.paid', 'payment.partially_refunded']);
    expect(of('after_sale', serviceSn)).toEqual(['after_sale.applied', 'after_sale.opened', 'after_sale.passed', 'after_sale.return_shipped', 'after_sale.received', 'after_sale.refund_started', 'after_sale.completed']);
    for (const cause of [`after-sale:${serviceSn}`, `complaint:${complaintId}`, `goodwill:${goodwillId}`, 'cancel:']) {
      expect(of('refund', refundOf(cause))).toEqual(['refund.created', 'refund.submitted', 'refund.succeeded']);
    }
    expect(of('complaint', complaintId)).toEqual(['complaint.filed', 'complaint.reviewed', 'complaint.appealed', 'complaint.message_posted', 'complaint.arbitration_requested', 'complaint.arbitrated']);
    expect(of('review', `${one.orderSn}:${pot}:INITIAL`)).toEqual(['review.created']);
    expect(of('goodwill_refund', goodwillId)).toEqual(['goodwill_refund.received', 'goodwill_refund.refunding', 'goodwill_refund.refunded']);
    expect(of('cancellation', requestOf(one.orderSn))).toEqual(['cancellation.received', 'cancellation.refused']);
    expect(of('order', two)).toEqual(['order.created', 'order.confirmed', 'order.cancelled']);
    expect(of('cancellation', requestOf(two))).toEqual(['cancellation.received', 'cancellation.requested', 'cancellation.completed']);
    expect(of('order', three.orderSn)).toEqual(['order.created', 'order.confirmed', 'order.paid', 'order.cancelled', 'order.refund_settled']);
    expect(of('payment', outTradeNo3)).toEqual(['payment.created', 'payment.paid', 'payment.refunded']);
    expect(of('cancellation', requestOf(three.orderSn))).toEqual(['cancellation.received', 'cancellation.refunding', 'cancellation.completed']);

    // Nothing else: every event of the seller is one of the above.
    const listed = 1 + 3 + 7 + 3 + 7 + 4 * 3 + 6 + 1 + 3 + 2 + 3 + 3 + 5 + 3 + 3;
    expect(events).toHaveLength(listed);

    // Every step the logs recorded has its event: each order-log row of a transition, each after-sale step.
    const expectedFromLogs = await eventIdsFromLogs([one.orderSn, two, three.orderSn]);
    const ids = new Set(events.map((e) => e.eventId));
    expect(expectedFromLogs.filter((id) => !ids.has(id))).toEqual([]);
    expect(expectedFromLogs.length).toBeGreaterThan(25);

    // Causes come before effects in each entity's numbering, and one order's events read as its story.
    expect(sequenceOf(events, `order:${three.orderSn}:`)).toEqual([...sequenceOf(events, `order:${three.orderSn}:`)].sort((a, b) => a - b));
    const story = events.filter((e) => e.orderSn === three.orderSn).map((e) => e.eventType);
    expect(story).toEqual([
      'order.created', 'order.confirmed', 'payment.created', 'order.paid', 'payment.paid',
      // The order's cancel records its refund in the same transaction; then its cancellation workflow says REFUNDING.
      'cancellation.received', 'order.cancelled', 'refund.created', 'cancellation.refunding', 'refund.submitted', 'refund.succeeded', 'payment.refunded',
      'order.refund_settled', 'cancellation.completed',
    ]);
  });

  /** The event ids the order log and after-sale log say must exist (rows that record a business transition). */
  async function eventIdsFromLogs(orderSns: string[]): Promise<string[]> {
    const log: { order_sn: string; event_key: string; operation: string }[] = await system.dataSource.query('SELECT order_sn, event_key, operation FROM order_log WHERE order_sn IN (?) ORDER BY id', [orderSns]);
    const ids: string[] = [];
    for (const { order_sn: orderSn, event_key: key, operation } of log) {
      let m: RegExpMatchArray | null;
      if (/^[A-Z_]+:[A-Z_]+->[A-Z_]+$/.test(key) && operation !== 'AFTER_SALE') ids.push(`order:${orderSn}:${key}`);
      else if ((m = key.match(/^after-sale:([^:]+):(open|close)$/))) ids.push(`order:${orderSn}:${key}`);
      else if ((m = key.match(/^after-sale:([^:]+):(\d+):([A-Z_]+)$/))) ids.push(`after_sale:${m[1]}:${m[2]}:${m[3]}`);
      else if ((m = key.match(/^complaint:(\d+):filed$/))) ids.push(`complaint:${m[1]}:filed`);
      else if ((m = key.match(/^complaint:(\d+):(\d+):([A-Z_]+)$/))) ids.push(`complaint:${m[1]}:${m[2]}:${m[3]}`);
      else if ((m = key.match(/^refund:([^:]+):(created|SUCCESS|ABNORMAL|CLOSED)$/))) ids.push(`refund:${m[1]}:${m[2]}`);
      else if ((m = key.match(/^review:(\d+):([A-Z_]+)$/))) ids.push(`review:${orderSn}:${m[1]}:${m[2]}:created`);
      else if ((m = key.match(/^goodwill:(\d+):(\d+)$/))) ids.push(`goodwill_refund:${m[1]}:refunding:${m[2]}`);
      else if ((m = key.match(/^window:(.+)$/))) ids.push(`order:${orderSn}:${key}`);
    }
    const steps: { service_sn: string; seq: number; action: string }[] = await system.dataSource.query('SELECT l.service_sn, l.seq, l.action FROM after_sale_log l JOIN after_sale a ON a.service_sn = l.service_sn WHERE a.order_sn IN (?)', [orderSns]);
    for (const s of steps) ids.push(`after_sale:${s.service_sn}:${s.seq}:${s.action}`);
    return [...new Set(ids)];
  }

  function sequenceOf(events: StoredBusinessEvent[], prefix: string): number[] {
    return events.filter((e) => e.eventId.startsWith(prefix)).map((e) => e.sellerSeq);
  }
});
