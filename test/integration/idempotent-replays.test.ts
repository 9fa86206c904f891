import { OrderStatus } from '../../domain';
import { afterSaleApi, receivedTwoLineOrder } from '../support/after-sales';
import { ADDRESS, buyerCall, claimCoupon, newBuyerId, seedShop, waitConfirmed } from '../support/checkout';
import { buyerRows, inboundEvents, orderRows, workflowsOfOrder } from '../support/effects';
import { placePaidOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { createActivity } from '../support/group-buys';

type Answer = { status: number; body: any };

/**
 * Issue 20: a request replayed with its Idempotency-Key answers what the first answered and does
 * nothing else — no cart or coupon change, no signal or Update to a workflow, no new row anywhere —
 * even after the world moved on in ways a careless replay would disturb. Every endpoint that takes
 * the key, on the real API, Temporal dev server, MariaDB, Redis and payment simulator.
 */
describe('idempotent replays have no second effect', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** Sends the request once, then three copies at once: every answer must be the first one. */
  async function replayed(send: () => Promise<Answer>, first: Answer): Promise<void> {
    expect(await send()).toEqual(first);
    for (const answer of await Promise.all([send(), send(), send()])) expect(answer).toEqual(first);
  }

  /** The cart's lines and, per checkout way, the lines and coupon chosen per shop, as the buyer's API shows them. */
  async function buyerView(buyerId: number) {
    const shopsOf = (view: { shops: { sellerId: number; lines: { skuId: number; num: number }[]; selectedCoupon: unknown }[] }) =>
      view.shops.map((s) => ({ sellerId: s.sellerId, lines: s.lines.map((l) => [l.skuId, l.num]), selectedCoupon: s.selectedCoupon }));
    return {
      cart: (await buyerCall(system, buyerId, 'GET', '/cart')).shops,
      cartCheckout: shopsOf(await buyerCall(system, buyerId, 'GET', '/checkout')),
      buyNowCheckout: shopsOf(await buyerCall(system, buyerId, 'GET', '/checkout?way=BUY_NOW')),
    };
  }

  const orderWorkflowIds = (answer: { orders: { orderSn: string }[] }) => answer.orders.map((o) => `order-${o.orderSn}`);

  it('POST /checkout from the cart: a replay leaves lines added and coupons chosen since in the cart, and a concurrent twin of a first submission does too', async () => {
    const shopA = await seedShop(system, { goods: [{ priceFen: 3000, stock: 10, name: 'Longjing tea' }, { priceFen: 500, stock: 10, name: 'Tea towel' }], coupon: { thresholdFen: 0, valueFen: 300 } });
    const shopB = await seedShop(system, { goods: [{ priceFen: 4000, stock: 10, name: 'Teapot' }], coupon: { thresholdFen: 0, valueFen: 400 } });
    const buyerId = newBuyerId();
    const [tea, towel] = shopA.skuIds;
    const [teapot] = shopB.skuIds;
    const couponA = await claimCoupon(system, buyerId, shopA.couponId!);
    const couponB = await claimCoupon(system, buyerId, shopB.couponId!);
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: tea, quantity: 2 });
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: towel, quantity: 1 });
    await buyerCall(system, buyerId, 'PATCH', `/cart/items/${towel}`, { checked: false });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId: couponA });

    const body = { address: ADDRESS, paymentType: 'ONLINE', deliveryTime: 'WORKDAYS' };
    const submit = (key: string, sent: unknown = body) => system.http('POST', '/checkout', { token: system.token('buyer', buyerId), headers: { 'idempotency-key': key }, body: sent });
    const first = await submit(`co-${buyerId}`);
    expect(first.status).toBe(201);
    expect(first.body.orders).toEqual([expect.objectContaining({ sellerId: shopA.sellerId, orderFen: 2 * 3000 - 300 })]);
    await waitConfirmed(system, first.body);

    // The world moves on: a line of another shop is added (checked) and that shop's coupon chosen.
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: teapot, quantity: 1 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopB.sellerId}`, { memberCouponId: couponB });
    const view = await buyerView(buyerId);
    expect(view.cart.flatMap((s: { lines: { skuId: number; checked: boolean }[] }) => s.lines.map((l) => [l.skuId, l.checked]))).toEqual([[towel, false], [teapot, true]]);
    expect(view.cartCheckout).toEqual([{ sellerId: shopB.sellerId, lines: [[teapot, 1]], selectedCoupon: expect.objectContaining({ memberCouponId: couponB }) }]);
    const skus = [tea, towel, teapot];
    const rows = await buyerRows(system, buyerId, skus);
    expect(rows.trades).toHaveLength(1);
    expect(rows.coupons).toEqual([{ id: couponA, status: 'USED', order_sn: first.body.orders[0].orderSn }, { id: couponB, status: 'UNUSED', order_sn: null }]);
    const orders = await orderRows(system, first.body.orders.map((o: { orderSn: string }) => o.orderSn));
    const events = await inboundEvents(system, orderWorkflowIds(first.body));

    await replayed(() => submit(`co-${buyerId}`), first);
    // The same key with another body is refused, and changes nothing either.
    expect(await submit(`co-${buyerId}`, { ...body, deliveryTime: 'ANY' })).toMatchObject({ status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED', detail: expect.stringMatching(/Idempotency-Key was already used/) } });

    expect(await buyerView(buyerId)).toEqual(view);
    expect(await buyerRows(system, buyerId, skus)).toEqual(rows);
    expect(await orderRows(system, first.body.orders.map((o: { orderSn: string }) => o.orderSn))).toEqual(orders);
    expect(await inboundEvents(system, orderWorkflowIds(first.body))).toEqual(events);

    // Two copies of a first submission at once (the buyer's double click): one trade, one answer for both,
    // the chosen coupon used once, and the loser of the race answers the replay instead of a refusal.
    const [x, y] = await Promise.all([submit(`co2-${buyerId}`), submit(`co2-${buyerId}`)]);
    expect(x.status).toBe(201);
    expect(y).toEqual(x);
    expect(x.body.orders).toEqual([expect.objectContaining({ sellerId: shopB.sellerId, orderFen: 4000 - 400 })]);
    const after = await buyerRows(system, buyerId, skus);
    expect(after.trades).toHaveLength(2);
    expect(after.coupons).toEqual([rows.coupons[0], { id: couponB, status: 'USED', order_sn: x.body.orders[0].orderSn }]);
    await waitConfirmed(system, x.body);
    // Only the towel, never checked, is left; a line added after both finished stays through a third replay.
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: tea, quantity: 1 });
    const settled = await buyerView(buyerId);
    expect(settled.cart.flatMap((s: { lines: { skuId: number; checked: boolean }[] }) => s.lines.map((l) => [l.skuId, l.checked]))).toEqual([[tea, true], [towel, false]]);
    expect(await submit(`co2-${buyerId}`)).toEqual(x);
    expect(await buyerView(buyerId)).toEqual(settled);
  });

  it('POST /checkout with buy-now: a replay keeps the next buy-now item and its chosen coupon', async () => {
    const shopA = await seedShop(system, { goods: [{ priceFen: 2000, stock: 10, name: 'Oolong' }], coupon: { thresholdFen: 0, valueFen: 200 } });
    const shopB = await seedShop(system, { goods: [{ priceFen: 6000, stock: 10, name: 'Tea tray' }], coupon: { thresholdFen: 0, valueFen: 600 } });
    const buyerId = newBuyerId();
    const couponA = await claimCoupon(system, buyerId, shopA.couponId!);
    const couponB = await claimCoupon(system, buyerId, shopB.couponId!);
    // A cart line the buy-now checkout never takes.
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopB.skuIds[0], quantity: 3 });
    await buyerCall(system, buyerId, 'PUT', '/buy-now', { skuId: shopA.skuIds[0], quantity: 1 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { way: 'BUY_NOW', memberCouponId: couponA });

    const body = { way: 'BUY_NOW', address: ADDRESS };
    const submit = (sent: unknown = body) => system.http('POST', '/checkout', { token: system.token('buyer', buyerId), headers: { 'idempotency-key': `bn-${buyerId}` }, body: sent });
    const first = await submit();
    expect(first.status).toBe(201);
    expect(first.body.orders).toEqual([expect.objectContaining({ sellerId: shopA.sellerId, orderFen: 2000 - 200 })]);
    await waitConfirmed(system, first.body);

    // The buyer picks the next thing to buy now, with its own coupon.
    await buyerCall(system, buyerId, 'PUT', '/buy-now', { skuId: shopB.skuIds[0], quantity: 2 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopB.sellerId}`, { way: 'BUY_NOW', memberCouponId: couponB });
    const view = await buyerView(buyerId);
    expect(view.buyNowCheckout).toEqual([{ sellerId: shopB.sellerId, lines: [[shopB.skuIds[0], 2]], selectedCoupon: expect.objectContaining({ memberCouponId: couponB }) }]);
    const skus = [shopA.skuIds[0], shopB.skuIds[0]];
    const rows = await buyerRows(system, buyerId, skus);
    const orders = await orderRows(system, [first.body.orders[0].orderSn]);
    const events = await inboundEvents(system, orderWorkflowIds(first.body));

    await replayed(() => submit(), first);
    expect((await submit({ ...body, invoiceTitle: 'Another Co.' })).status).toBe(422);

    expect(await buyerView(buyerId)).toEqual(view);
    expect(await buyerRows(system, buyerId, skus)).toEqual(rows);
    expect(await orderRows(system, [first.body.orders[0].orderSn])).toEqual(orders);
    expect(await inboundEvents(system, orderWorkflowIds(first.body))).toEqual(events);
  });

  it('POST /trades joining a group buy: a replay sends the group no second member signal and writes nothing', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 9900, stock: 10, name: 'Tea set' }] });
    const buyerId = newBuyerId();
    const activityId = await createActivity(system, shop.sellerId, { skuId: shop.skuIds[0], groupPriceFen: 9900, groupSize: 3 });
    const body = { items: [{ skuId: shop.skuIds[0], quantity: 1 }], paymentType: 'ONLINE', groupBuy: { activityId } };
    const create = (sent: unknown = body) => system.http('POST', '/trades', { token: system.token('buyer', buyerId), headers: { 'idempotency-key': `tr-${buyerId}` }, body: sent });
    const first = await create();
    expect(first.status).toBe(201);
    const [{ orderSn, groupId }] = first.body.orders;
    expect(groupId).toEqual(expect.any(String));
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);

    // Another buyer joins the same group: the group's history moves on without this buyer.
    const other = newBuyerId();
    const joined = await buyerCall(system, other, 'POST', '/trades', { items: [{ skuId: shop.skuIds[0], quantity: 1 }], paymentType: 'ONLINE', groupBuy: { groupId } });
    await waitForStatus(system, joined.orders[0].orderSn, OrderStatus.CONFIRM);
    const group = await buyerCall(system, buyerId, 'GET', `/groups/${groupId}`);
    expect(group.workflow.state.members.map((m: { orderSn: string }) => m.orderSn)).toEqual([orderSn, joined.orders[0].orderSn]);

    const workflows = [`order-${orderSn}`, `group-${groupId}`];
    const rows = await buyerRows(system, buyerId, shop.skuIds);
    const orders = await orderRows(system, [orderSn]);
    const events = await inboundEvents(system, workflows);
    const listed = await workflowsOfOrder(system, orderSn, 1);

    await replayed(() => create(), first);
    expect((await create({ ...body, items: [{ skuId: shop.skuIds[0], quantity: 2 }] })).status).toBe(422);

    expect(await buyerRows(system, buyerId, shop.skuIds)).toEqual(rows);
    expect(await orderRows(system, [orderSn])).toEqual(orders);
    expect(await inboundEvents(system, workflows)).toEqual(events);
    expect(await workflowsOfOrder(system, orderSn, 1)).toEqual(listed);
    expect((await buyerCall(system, buyerId, 'GET', `/groups/${groupId}`)).workflow.state.members).toEqual(group.workflow.state.members);
  });

  it('POST /orders/:orderSn/cancellations: a replay after the refund finished sends the order no Update and refunds nothing more', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const token = system.token('buyer', order.buyerId);
    const cancel = (reason = 'ordered the wrong size') =>
      system.http('POST', `/orders/${order.orderSn}/cancellations`, { token, headers: { 'idempotency-key': `cx-${order.orderSn}` }, body: { reason } });
    const first = await cancel();
    expect(first).toMatchObject({ status: 202, body: { orderSn: order.orderSn, refunding: true } });
    await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
      return row ? true : undefined;
    }, 45_000, `cancellation of ${order.orderSn} completed`);

    const rows = await orderRows(system, [order.orderSn]);
    expect(rows.refunds).toEqual([expect.objectContaining({ status: 'SUCCESS', refund_fen: order.orderFen })]);
    // The order, its cancellation (cancel-{orderSn}) and the refund.
    const workflows = await workflowsOfOrder(system, order.orderSn, 3);
    expect(workflows).toContain(`cancel-${order.orderSn}`);
    const events = await inboundEvents(system, workflows);
    const money = await system.sim.moneyMoved(order.outTradeNo, 'wechatpay');

    await replayed(() => cancel(), first);
    expect((await cancel('changed my mind')).status).toBe(422);

    expect(await orderRows(system, [order.orderSn])).toEqual(rows);
    expect(await workflowsOfOrder(system, order.orderSn, 3)).toEqual(workflows);
    expect(await inboundEvents(system, workflows)).toEqual(events);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toEqual(money);
  });

  it('POST /orders/:orderSn/after-sales: a replay after the seller moved the after-sale on answers the first answer and records nothing', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const api = afterSaleApi(system, order);
    const body = { serviceType: 'RETURN_GOODS', lines: [{ orderItemId: order.lines[0].orderItemId, num: 1 }], reason: 'Cracked cup' };
    const apply = (sent: unknown = body) => api.apply(sent as Record<string, unknown>, `as-${order.orderSn}`);
    const first = await apply();
    expect(first).toMatchObject({ status: 201, body: { status: 'APPLY', requestedFen: 1000 } });
    const serviceSn: string = first.body.serviceSn;

    // The seller accepts it: the after-sale is no longer what the first answer described.
    expect((await api.audit(serviceSn, { decision: 'PASS' })).status).toBe(200);
    await eventually(async () => ((await api.get(serviceSn)).body.status === 'PASS' ? true : undefined), 30_000, `after-sale ${serviceSn} audited`);

    const rows = await orderRows(system, [order.orderSn]);
    expect(rows.afterSales).toHaveLength(1);
    const workflows = [`after-sale-${serviceSn}`, `order-${order.orderSn}`];
    const events = await inboundEvents(system, workflows);
    const listed = await workflowsOfOrder(system, order.orderSn, 2);

    await replayed(() => apply(), first);
    expect((await apply({ ...body, reason: 'Chipped cup' })).status).toBe(422);

    expect(await orderRows(system, [order.orderSn])).toEqual(rows);
    expect(await inboundEvents(system, workflows)).toEqual(events);
    expect(await workflowsOfOrder(system, order.orderSn, 2)).toEqual(listed);

    // Two copies of a first application at once: one after-sale, one answer, one Update waited on.
    const twin = { serviceType: 'RETURN_GOODS', lines: [{ orderItemId: order.lines[1].orderItemId, num: 1 }], reason: 'Wrong colour' };
    const [x, y] = await Promise.all([api.apply(twin, `as2-${order.orderSn}`), api.apply(twin, `as2-${order.orderSn}`)]);
    expect(x).toMatchObject({ status: 201, body: { status: 'APPLY' } });
    expect(y).toEqual(x);
    expect((await orderRows(system, [order.orderSn])).afterSales).toHaveLength(2);
    expect((await inboundEvents(system, [`after-sale-${x.body.serviceSn}`]))[`after-sale-${x.body.serviceSn}`]).toEqual({
      workflowExecutionStartedEventAttributes: 1,
      workflowExecutionUpdateAcceptedEventAttributes: 1,
    });
  });

  it('POST /support/orders/:orderSn/goodwill-refunds: a replay starts no workflow, sends no Update and refunds nothing more', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const token = system.token('support', 9);
    const body = { refundFen: 1200, reason: 'Parcel arrived a week late' };
    const goodwill = (sent: unknown = body) =>
      system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, { token, headers: { 'idempotency-key': `gw-${order.orderSn}` }, body: sent });
    const first = await goodwill();
    expect(first).toMatchObject({ status: 202, body: { orderSn: order.orderSn, refundFen: 1200, status: 'REFUNDING' } });
    await system.temporal.workflow.getHandle(first.body.workflowId).result();

    const rows = await orderRows(system, [order.orderSn]);
    expect(rows.goodwill).toHaveLength(1);
    expect(rows.refunds).toEqual([expect.objectContaining({ status: 'SUCCESS', refund_fen: 1200 })]);
    const workflows = await workflowsOfOrder(system, order.orderSn, 3);
    const events = await inboundEvents(system, workflows);
    const money = await system.sim.moneyMoved(order.outTradeNo, 'wechatpay');

    await replayed(() => goodwill(), first);
    expect((await goodwill({ ...body, refundFen: 1300 })).status).toBe(422);

    expect(await orderRows(system, [order.orderSn])).toEqual(rows);
    expect(await workflowsOfOrder(system, order.orderSn, 3)).toEqual(workflows);
    expect(await inboundEvents(system, workflows)).toEqual(events);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toEqual(money);

    // Two copies of a first request at once: one goodwill refund, one answer, one Update to its workflow.
    const twin = { refundFen: 300, reason: 'Box was crushed' };
    const send = () => system.http('POST', `/support/orders/${order.orderSn}/goodwill-refunds`, { token, headers: { 'idempotency-key': `gw2-${order.orderSn}` }, body: twin });
    const [x, y] = await Promise.all([send(), send()]);
    expect(x).toMatchObject({ status: 202, body: { refundFen: 300 } });
    expect(y).toEqual(x);
    expect((await orderRows(system, [order.orderSn])).goodwill).toHaveLength(2);
    await system.temporal.workflow.getHandle(x.body.workflowId).result();
    expect((await orderRows(system, [order.orderSn])).refunds).toHaveLength(2);
    expect((await inboundEvents(system, [x.body.workflowId]))[x.body.workflowId]).toEqual({
      workflowExecutionStartedEventAttributes: 1,
      workflowExecutionUpdateAcceptedEventAttributes: 1,
    });
  });
});
