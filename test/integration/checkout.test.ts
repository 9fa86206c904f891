import { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { createApiApp } from '../../apps/api/app';
import { releaseOrderCoupons } from '../../activities/coupons';
import { RefundActivities } from '../../activities/refunds';
import { OrderStatus, lineRefundFen } from '../../domain';
import { createPaymentProviders } from '../../payments';
import { refundWorkflowId } from '../../workflows/refund.contract';
import { ADDRESS, buyerCall, claimCoupon, newBuyerId, seedShop, waitConfirmed } from '../support/checkout';
import { goodsRow, recordHistory } from '../support/fixtures';
import { waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { listenOnAnyPort } from '../support/free-port';

/** Cart and buy-now in real Redis, promotions and checkout through HTTP, orders on a real Temporal server and MariaDB. */
describe('cart, promotions and checkout', () => {
  let system: TestSystem;
  let redis: Redis;
  beforeAll(async () => {
    system = await startTestSystem();
    redis = new Redis(system.config.redis.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await system?.stop();
  });

  const ordersOf = async (buyerId: number) => (await system.dataSource.query('SELECT COUNT(*) AS n FROM orders WHERE buyer_id = ?', [buyerId]))[0].n;

  it('keeps the cart in Redis per buyer: add, change, check / uncheck, remove, clear, with a TTL', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 1000, stock: 10 }, { priceFen: 2500, stock: 10 }] });
    const buyerId = newBuyerId();
    const [a, b] = shop.skuIds;
    expect(await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: a, quantity: 2 })).toEqual({ skuId: a, quantity: 2, checked: true });
    expect((await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: a, quantity: 3 })).quantity).toBe(5);
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: b, quantity: 1 });
    await buyerCall(system, buyerId, 'PATCH', `/cart/items/${b}`, { quantity: 4, checked: false });
    const cart = await buyerCall(system, buyerId, 'GET', '/cart');
    expect(cart.shops).toEqual([
      {
        sellerId: shop.sellerId,
        lines: [
          { skuId: a, quantity: 5, checked: true, name: 'Test goods', priceFen: 1000, goodsFen: 5000, availableQuantity: 10 },
          { skuId: b, quantity: 4, checked: false, name: 'Test goods', priceFen: 2500, goodsFen: 10000, availableQuantity: 10 },
        ],
      },
    ]);
    // The key is the buyer's, prefixed per system, and expires unless touched.
    const key = `${system.config.redis.keyPrefix}cart:${buyerId}`;
    expect(await redis.hlen(key)).toBe(2);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(system.config.redis.cartTtlMs - 60_000);
    expect(ttl).toBeLessThanOrEqual(system.config.redis.cartTtlMs);
    // Redis holds no prices: only SKU, quantity, checked.
    expect(JSON.parse((await redis.hget(key, String(a)))!)).toEqual({ quantity: 5, checked: true });

    await buyerCall(system, buyerId, 'PUT', '/cart/checked', { checked: true });
    expect((await buyerCall(system, buyerId, 'GET', '/cart')).shops[0].lines.map((l: { checked: boolean }) => l.checked)).toEqual([true, true]);
    await buyerCall(system, buyerId, 'DELETE', `/cart/items/${a}`);
    expect((await buyerCall(system, buyerId, 'GET', '/cart')).shops[0].lines.map((l: { skuId: number }) => l.skuId)).toEqual([b]);
    await buyerCall(system, buyerId, 'DELETE', '/cart');
    expect(await buyerCall(system, buyerId, 'GET', '/cart')).toEqual({ shops: [] });

    const token = system.token('buyer', buyerId);
    expect((await system.http('POST', '/cart/items', { token, body: { skuId: 987654321, quantity: 1 } })).status).toBe(422);
    expect((await system.http('POST', '/cart/items', { token, body: { skuId: a, quantity: 0 } })).status).toBe(400);
    expect((await system.http('PATCH', `/cart/items/${a}`, { token, body: { quantity: 2 } })).status).toBe(404);
    expect((await system.http('GET', '/cart', { token: system.token('seller', 1) })).status).toBe(403);
  });

  it('two shops, a full reduction and a coupon: trade, orders and every line add up to the fen; a line refund returns exactly its share', async () => {
    // Shop A: coupon 10.00 off 100.00, shipping 8.00. Shop B: 15.00 off every 100.00 spent.
    const shopA = await seedShop(system, { goods: [{ priceFen: 3333, stock: 10, name: 'Longjing tea' }, { priceFen: 1001, stock: 10, name: 'Tea cup' }], shippingFen: 800, coupon: { thresholdFen: 10000, valueFen: 1000 } });
    const shopB = await seedShop(system, { goods: [{ priceFen: 4999, stock: 10, name: 'Teapot' }, { priceFen: 7, stock: 10, name: 'Sticker' }], fullReduction: { thresholdFen: 10000, discountFen: 1500 } });
    const buyerId = newBuyerId();
    const memberCouponId = await claimCoupon(system, buyerId, shopA.couponId!);
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopA.skuIds[0], quantity: 3 });
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopA.skuIds[1], quantity: 1 });
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopB.skuIds[0], quantity: 2 });
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopB.skuIds[1], quantity: 1 });
    // An unchecked line stays in the cart after checkout.
    const [extraSku] = (await seedShop(system, { goods: [{ priceFen: 100, stock: 5 }] })).skuIds;
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: extraSku, quantity: 1 });
    await buyerCall(system, buyerId, 'PATCH', `/cart/items/${extraSku}`, { checked: false });

    const before = await buyerCall(system, buyerId, 'GET', '/checkout');
    const viewA = before.shops.find((s: { sellerId: number }) => s.sellerId === shopA.sellerId);
    expect(viewA.coupons).toEqual([expect.objectContaining({ memberCouponId, valueFen: 1000, thresholdFen: 10000 })]);
    expect(viewA.selectedCoupon).toBeNull();

    const view = await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId });
    const [a, b] = [shopA.sellerId, shopB.sellerId].map((id) => view.shops.find((s: { sellerId: number }) => s.sellerId === id));
    expect(a.selectedCoupon).toEqual({ memberCouponId, title: 'shop coupon' });
    expect(a.totals).toEqual({ goodsFen: 11000, fullReductionFen: 0, couponFen: 1000, discountFen: 1000, shippingFen: 800, payableFen: 10800 });
    expect(b.totals).toEqual({ goodsFen: 10005, fullReductionFen: 1500, couponFen: 0, discountFen: 1500, shippingFen: 0, payableFen: 8505 });
    expect(b.fullReductions).toEqual([expect.objectContaining({ thresholdFen: 10000, discountFen: 1500, applied: true })]);
    expect(view.totals).toEqual({ goodsFen: 21005, discountFen: 2500, shippingFen: 800, payableFen: 19305 });
    // Largest remainder: A 1000 × 9999/11000 = 909.00…, × 1001/11000 = 91.00 → 909 + 91; B 1500 × 9998/10005 = 1498.95…, × 7/10005 = 1.04… → 1499 + 1.
    expect(a.lines.map((l: { discountFen: number }) => l.discountFen)).toEqual([909, 91]);
    expect(b.lines.map((l: { discountFen: number }) => l.discountFen)).toEqual([1499, 1]);

    const created = await system.http('POST', '/checkout', {
      token: system.token('buyer', buyerId),
      headers: { 'idempotency-key': `co-${buyerId}` },
      body: { address: ADDRESS, paymentType: 'ONLINE', invoiceTitle: 'Shanghai Tea Co.', deliveryTime: 'WORKDAYS' },
    });
    expect(created.status).toBe(201);
    expect(created.body.totalFen).toBe(19305);
    expect(created.body.orders.map((o: { sellerId: number; orderFen: number }) => [o.sellerId, o.orderFen])).toEqual([[shopA.sellerId, 10800], [shopB.sellerId, 8505]]);
    const { tradeSn } = created.body;

    const [trade] = await system.dataSource.query('SELECT total_fen, goods_fen, freight_fen, discount_fen FROM trade WHERE trade_sn = ?', [tradeSn]);
    expect(trade).toEqual({ total_fen: 19305, goods_fen: 21005, freight_fen: 800, discount_fen: 2500 });
    const orders = await system.dataSource.query('SELECT order_sn, order_fen, goods_fen, discount_fen, shipping_fen FROM orders WHERE trade_sn = ? ORDER BY seller_id', [tradeSn]);
    let tradeSum = 0;
    for (const order of orders) {
      const items = await system.dataSource.query('SELECT price_fen, num, discount_fen, paid_fen, refundable_fen FROM order_item WHERE order_sn = ?', [order.order_sn]);
      for (const item of items) {
        expect(item.paid_fen + item.discount_fen).toBe(item.price_fen * item.num);
        expect(item.refundable_fen).toBe(item.paid_fen);
      }
      expect(items.reduce((s: number, i: { discount_fen: number }) => s + i.discount_fen, 0)).toBe(order.discount_fen);
      expect(items.reduce((s: number, i: { paid_fen: number }) => s + i.paid_fen, 0) + order.shipping_fen).toBe(order.order_fen);
      tradeSum += order.order_fen;
    }
    expect(tradeSum).toBe(trade.total_fen);

    // Address, invoice and delivery time are order meta; the coupon is used by shop A's order, once.
    const orderA = created.body.orders[0].orderSn;
    const meta = await system.dataSource.query('SELECT meta_key, meta_value FROM order_meta WHERE order_sn = ? ORDER BY meta_key', [orderA]);
    expect(Object.fromEntries(meta.map((m: { meta_key: string; meta_value: string }) => [m.meta_key, m.meta_value]))).toEqual({
      ADDRESS: JSON.stringify(ADDRESS),
      COUPON: expect.stringContaining(`"memberCouponId":${memberCouponId}`),
      COUPON_PRICE: '1000',
      DELIVERY_TIME: 'WORKDAYS',
      INVOICE_TITLE: 'Shanghai Tea Co.',
    });
    const [coupon] = await system.dataSource.query('SELECT status, order_sn FROM member_coupon WHERE id = ?', [memberCouponId]);
    expect(coupon).toEqual({ status: 'USED', order_sn: orderA });

    // Personal data never enters a workflow: the order workflow's history holds no address or phone.
    await waitConfirmed(system, created.body);
    const history = await system.temporal.workflow.getHandle(`order-${orderA}`).fetchHistory();
    const historyText = JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    expect(historyText).toContain(orderA);
    expect(historyText).not.toContain(ADDRESS.mobile);
    expect(historyText).not.toContain('Century Avenue');

    // The checked lines left the cart; the unchecked one stayed. The same key replays the same trade.
    const cart = await buyerCall(system, buyerId, 'GET', '/cart');
    expect(cart.shops.flatMap((s: { lines: { skuId: number }[] }) => s.lines.map((l) => l.skuId))).toEqual([extraSku]);
    const replay = await system.http('POST', '/checkout', {
      token: system.token('buyer', buyerId),
      headers: { 'idempotency-key': `co-${buyerId}` },
      body: { address: ADDRESS, paymentType: 'ONLINE', invoiceTitle: 'Shanghai Tea Co.', deliveryTime: 'WORKDAYS' },
    });
    expect(replay.status).toBe(201);
    expect(replay.body.tradeSn).toBe(tradeSn);
    expect(await ordersOf(buyerId)).toBe(2);

    // Pay shop A's order, then refund one unit of the tea line: exactly that unit's paid share comes back.
    const pay = await buyerCall(system, buyerId, 'POST', `/orders/${orderA}/payment`, { provider: 'wechatpay' });
    await system.sim.payTrade(pay.outTradeNo, 'wechatpay');
    await waitForStatus(system, orderA, OrderStatus.PAID_OFF);
    const [tea] = await system.dataSource.query('SELECT id, num, paid_fen FROM order_item WHERE order_sn = ? AND sku_id = ?', [orderA, shopA.skuIds[0]]);
    expect(tea).toMatchObject({ num: 3, paid_fen: 9999 - 909 });
    const share = lineRefundFen({ paidFen: tea.paid_fen, num: tea.num }, 0, 1);
    expect(share).toBe(3030);
    const refunds = new RefundActivities(system.dataSource, createPaymentProviders(system.config.payments), system.config.api.publicBaseUrl);
    const refund = await refunds.createRefund({ causeKey: `line:${tea.id}:1`, orderSn: orderA, reason: 'one tin arrived dented', refundFen: share });
    expect(refund).toMatchObject({ refundFen: share, totalFen: 10800 });
    const outcome = await system.temporal.workflow.execute('refundWorkflow', {
      workflowId: refundWorkflowId(refund.refundSn),
      taskQueue: system.config.temporal.taskQueue,
      args: [{ refundSn: refund.refundSn, orderSn: orderA, pollScheduleMs: [500, 1000] }],
    });
    expect(outcome).toEqual({ status: 'SUCCESS', refundSn: refund.refundSn });
    expect(await system.sim.moneyMoved(pay.outTradeNo, 'wechatpay')).toEqual({ capturedFen: 10800, refundedFen: 3030, refunds: 1 });
    const [after] = await system.dataSource.query('SELECT refunded_fen FROM orders WHERE order_sn = ?', [orderA]);
    expect(after.refunded_fen).toBe(3030);
  });

  it('refuses bad checkouts with a reason and writes nothing', async () => {
    const shopA = await seedShop(system, { goods: [{ priceFen: 20000, stock: 2 }], coupon: { thresholdFen: 0, valueFen: 500 } });
    const shopB = await seedShop(system, { goods: [{ priceFen: 5000, stock: 5 }], coupon: { thresholdFen: 0, valueFen: 500 } });
    const buyerId = newBuyerId();
    const token = system.token('buyer', buyerId);
    const submit = () => system.http('POST', '/checkout', { token, body: { address: ADDRESS } });
    const couponA = await claimCoupon(system, buyerId, shopA.couponId!);
    const couponB = await claimCoupon(system, buyerId, shopB.couponId!);

    expect(await submit()).toMatchObject({ status: 422, body: { detail: expect.stringContaining('nothing to check out') } });
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopA.skuIds[0], quantity: 2 });

    // A coupon of another shop.
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId: couponB });
    expect((await buyerCall(system, buyerId, 'GET', '/checkout')).shops[0].couponProblem).toMatch(/belongs to shop/);
    expect(await submit()).toMatchObject({ status: 422, body: { detail: expect.stringMatching(new RegExp(`coupon ${couponB} belongs to shop ${shopB.sellerId}, not shop ${shopA.sellerId}`)) } });
    // A coupon chosen for a shop that has nothing in this checkout.
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId: null });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopB.sellerId}`, { memberCouponId: couponB });
    expect(await submit()).toMatchObject({ status: 422, body: { detail: expect.stringContaining('has no goods in this checkout') } });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopB.sellerId}`, { memberCouponId: null });
    // An expired coupon (its validity ended after the buyer claimed it).
    await system.dataSource.query('UPDATE coupon SET valid_until = NOW(3) - INTERVAL 1 SECOND WHERE id = ?', [shopA.couponId]);
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId: couponA });
    expect(await submit()).toMatchObject({ status: 422, body: { detail: `coupon ${couponA} has expired` } });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shopA.sellerId}`, { memberCouponId: null });
    // Someone else's coupon is not found as the buyer's.
    const other = newBuyerId();
    await buyerCall(system, other, 'PUT', '/buy-now', { skuId: shopB.skuIds[0], quantity: 1 });
    await buyerCall(system, other, 'PUT', `/checkout/coupons/${shopB.sellerId}`, { way: 'BUY_NOW', memberCouponId: couponB });
    expect(await system.http('POST', '/checkout', { token: system.token('buyer', other), body: { way: 'BUY_NOW', address: ADDRESS } })).toMatchObject({ status: 422, body: { detail: `coupon ${couponB} is not one of your coupons` } });

    // Out of stock (the cart holds 2, another buyer took 1 meanwhile): 409, nothing reserved.
    await system.dataSource.query('UPDATE goods SET available_quantity = 1 WHERE id = ?', [shopA.skuIds[0]]);
    expect(await submit()).toMatchObject({ status: 409, body: { code: 'OUT_OF_STOCK', detail: expect.stringContaining(`not enough stock for SKU ${shopA.skuIds[0]}`) } });
    // Unknown SKU (delisted after it was added).
    await buyerCall(system, buyerId, 'POST', '/cart/items', { skuId: shopB.skuIds[0], quantity: 1 });
    await system.dataSource.query('UPDATE goods SET id = id + 900000000 WHERE id = ?', [shopB.skuIds[0]]);
    expect(await submit()).toMatchObject({ status: 422, body: { detail: `unknown SKU: ${shopB.skuIds[0]}` } });
    // Bad bodies.
    expect((await system.http('POST', '/checkout', { token, body: { address: { ...ADDRESS, mobile: '12' } } })).status).toBe(400);
    expect((await system.http('POST', '/checkout', { token, body: { address: ADDRESS, paymentType: 'CARD' } })).status).toBe(400);
    expect((await system.http('POST', '/checkout', { token, body: {} })).status).toBe(400);

    expect(await ordersOf(buyerId)).toBe(0);
    expect(await system.dataSource.query('SELECT status FROM member_coupon WHERE id IN (?) ORDER BY id', [[couponA, couponB]])).toEqual([{ status: 'UNUSED' }, { status: 'UNUSED' }]);
    expect(await goodsRow(system.dataSource, shopA.skuIds[0])).toMatchObject({ available_quantity: 1 });
    expect((await buyerCall(system, buyerId, 'GET', '/cart')).shops.flatMap((s: { lines: unknown[] }) => s.lines)).toHaveLength(2);
  });

  it('a coupon is used by one of 20 concurrent checkouts, and given back once when that unpaid order is cancelled', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 3000, stock: 100 }], coupon: { thresholdFen: 0, valueFen: 700 } });
    const buyerId = newBuyerId();
    const memberCouponId = await claimCoupon(system, buyerId, shop.couponId!);
    await buyerCall(system, buyerId, 'PUT', '/buy-now', { skuId: shop.skuIds[0], quantity: 1 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shop.sellerId}`, { way: 'BUY_NOW', memberCouponId });
    const token = system.token('buyer', buyerId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => system.http('POST', '/checkout', { token, headers: { 'idempotency-key': `race-${buyerId}-${i}` }, body: { way: 'BUY_NOW', address: ADDRESS } })),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won.map((r) => r.status)).toEqual([201]);
    // The losers were refused (coupon already used, or the buy-now item already checked out), never a 500.
    const refusal = /^coupon \d+ has already been used$|^nothing to check out/;
    expect(results.filter((r) => r.status !== 201 && !([409, 422].includes(r.status) && refusal.test(r.body.detail)))).toEqual([]);
    expect(await ordersOf(buyerId)).toBe(1);
    const orderSn = won[0].body.orders[0].orderSn;
    expect(won[0].body.orders[0].orderFen).toBe(2300);
    expect(await system.dataSource.query('SELECT status, order_sn FROM member_coupon WHERE id = ?', [memberCouponId])).toEqual([{ status: 'USED', order_sn: orderSn }]);
    expect(await goodsRow(system.dataSource, shop.skuIds[0])).toMatchObject({ available_quantity: 99 });

    // The buyer cancels the unpaid order: the existing cancellation releases the stock and gives the coupon back.
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    const cancelled = await system.http('POST', `/orders/${orderSn}/cancellations`, { token, headers: { 'idempotency-key': `cancel-${orderSn}` }, body: { reason: 'changed my mind' } });
    expect(cancelled.status).toBeLessThan(300);
    await eventually(async () => ((await system.dataSource.query('SELECT status FROM member_coupon WHERE id = ?', [memberCouponId]))[0].status === 'UNUSED' ? true : undefined), 60_000, 'coupon given back');
    await eventually(async () => ((await goodsRow(system.dataSource, shop.skuIds[0])).available_quantity === 100 ? true : undefined), 60_000, 'stock released');
    // Running the give-back again (a retry after its commit) changes nothing; one log row.
    expect(await releaseOrderCoupons(system.dataSource, orderSn)).toBe(0);
    expect(await system.dataSource.query("SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND event_key = 'coupon:RELEASE'", [orderSn])).toEqual([{ n: 1 }]);
    // The cancellation's own workflow ran the give-back; its progress lists the step.
    const cancellation = system.temporal.workflow.getHandle(`cancel-${orderSn}`);
    const progress = await eventually(async () => {
      const steps = (await cancellation.query<{ steps?: string[] }>('progress')).steps ?? [];
      return steps.includes('cancellation request closed') ? steps : undefined;
    }, 30_000, 'cancellation closed in its workflow');
    expect(progress).toContain('coupons given back');
    await recordHistory(cancellation, 'cancellation-asks-order-unpaid-coupon');

    // The coupon works again on the next checkout.
    await buyerCall(system, buyerId, 'PUT', '/buy-now', { skuId: shop.skuIds[0], quantity: 1 });
    await buyerCall(system, buyerId, 'PUT', `/checkout/coupons/${shop.sellerId}`, { way: 'BUY_NOW', memberCouponId });
    const again = await buyerCall(system, buyerId, 'POST', '/checkout', { way: 'BUY_NOW', address: ADDRESS });
    expect(again.orders[0].orderFen).toBe(2300);
  });

  it('64 concurrent checkouts of the last 10 units sell exactly 10', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 990, stock: 10 }] });
    const buyers = Array.from({ length: 64 }, () => newBuyerId());
    for (const buyerId of buyers) await buyerCall(system, buyerId, 'PUT', '/buy-now', { skuId: shop.skuIds[0], quantity: 1 });
    const results = await Promise.all(
      buyers.map((buyerId) => system.http('POST', '/checkout', { token: system.token('buyer', buyerId), headers: { 'idempotency-key': `last-${buyerId}` }, body: { way: 'BUY_NOW', address: ADDRESS } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 409)).toHaveLength(54);
    expect(await goodsRow(system.dataSource, shop.skuIds[0])).toEqual({ quantity: 10, available_quantity: 0, sales_count: 0 });
    // The ledger records a reservation as a negative movement of available stock.
    const [{ reserved }] = await system.dataSource.query("SELECT COALESCE(-SUM(quantity), 0) AS reserved, COUNT(*) AS n FROM stock_movement WHERE sku_id = ? AND kind = 'RESERVE'", [shop.skuIds[0]]);
    expect(Number(reserved)).toBe(10);
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM order_item WHERE sku_id = ?', [shop.skuIds[0]]);
    expect(n).toBe(10);
  });

  it('the cart survives an API restart (it is in Redis), and an abandoned cart expires', async () => {
    const shop = await seedShop(system, { goods: [{ priceFen: 1200, stock: 5 }] });
    const buyerId = newBuyerId();
    const start = async (cartTtlMs: number): Promise<{ app: INestApplication; url: string }> => {
      const app = await createApiApp({ ...system.config, redis: { ...system.config.redis, cartTtlMs } }, { logger: false });
      return { app, url: await listenOnAnyPort(app) };
    };
    const get = async (url: string) => (await (await fetch(`${url}/cart`, { headers: { authorization: `Bearer ${system.token('buyer', buyerId)}` } })).json()) as { shops: { lines: unknown[] }[] };
    const first = await start(system.config.redis.cartTtlMs);
    const added = await fetch(`${first.url}/cart/items`, { method: 'POST', headers: { authorization: `Bearer ${system.token('buyer', buyerId)}`, 'content-type': 'application/json' }, body: JSON.stringify({ skuId: shop.skuIds[0], quantity: 3 }) });
    expect(added.status).toBe(201);
    await first.app.close();
    const second = await start(1500);
    try {
      expect((await get(second.url)).shops[0].lines).toEqual([expect.objectContaining({ skuId: shop.skuIds[0], quantity: 3, checked: true })]);
      // A cart touched under a 1.5 s TTL is gone once that passes untouched.
      await fetch(`${second.url}/cart/items/${shop.skuIds[0]}`, { method: 'PATCH', headers: { authorization: `Bearer ${system.token('buyer', buyerId)}`, 'content-type': 'application/json' }, body: JSON.stringify({ quantity: 2 }) });
      expect(await redis.pttl(`${system.config.redis.keyPrefix}cart:${buyerId}`)).toBeLessThanOrEqual(1500);
      await eventually(async () => ((await get(second.url)).shops.length === 0 ? true : undefined), 20_000, 'cart expired');
    } finally {
      await second.app.close();
    }
  });
});
