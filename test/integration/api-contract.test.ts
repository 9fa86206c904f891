import { OrderStatus } from '../../domain';
import { newSellerId, seedGoods } from '../support/fixtures';
import { placeOrder, waitForStatus } from '../support/orders';
import { walkPages } from '../support/pages';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * The machine-grade contract on the running system (issue 22 item 4; docs/seller-integration.md#the-contract):
 * the API under /v1 with the unversioned paths still routed (and the providers' notify_url, which
 * stays unversioned), and cursor pagination — walking the pages of the lists a seller's backend and
 * support read returns every row once, in a stable order, even while rows are added between pages.
 * (The document itself is walked route by route in test/unit/openapi-contract.test.ts.)
 */
jest.setTimeout(300_000);

describe('the API contract: /v1 and cursor pages', () => {
  let system: TestSystem;
  let sellerId: number;
  let skuId: number;
  const buyerId = () => sellerId + 500_000;
  const seller = () => system.token('seller', sellerId);
  const support = () => system.token('support', 1);

  beforeAll(async () => {
    // Webhook endpoints on loopback are listed below (nothing is delivered to them: they take one event type no test emits).
    system = await startTestSystem({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    sellerId = newSellerId();
    skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 1500, stock: 100 });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const walk = (path: string, token: string, limit: number, between?: (pageNo: number) => Promise<void>) => walkPages(system, path, token, limit, between);

  const sellerOrderSns = async (): Promise<string[]> =>
    (await system.dataSource.query('SELECT order_sn FROM orders WHERE seller_id = ? ORDER BY id DESC', [sellerId])).map((r: { order_sn: string }) => r.order_sn);

  it('answers under /v1 and on the old paths alike; the problem instance names the path called', async () => {
    const versioned = await system.http('GET', `/v1/goods/${skuId}`, { token: seller() });
    const old = await system.http('GET', `/goods/${skuId}`, { token: seller() });
    expect(versioned.status).toBe(200);
    expect(versioned.body).toEqual(old.body);
    expect(versioned.body).toMatchObject({ id: skuId, sellerId, priceFen: 1500 });

    // A checkout under /v1, then the buyer pays under /v1: the provider's notification still comes to
    // the unversioned notify_url configured at the provider (/notify/wechatpay) and pays the order.
    const trade = await system.http('POST', '/v1/trades', { token: system.token('buyer', buyerId()), body: { items: [{ skuId, quantity: 1 }] } });
    expect(trade.status).toBe(201);
    const orderSn: string = trade.body.orders[0].orderSn;
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    const payment = await system.http('POST', `/v1/orders/${orderSn}/payment`, { token: system.token('buyer', buyerId()), body: { provider: 'wechatpay' } });
    expect(payment.status).toBe(201);
    await system.sim.payTrade(payment.body.outTradeNo, 'wechatpay');
    await waitForStatus(system, orderSn, OrderStatus.PAID_OFF);
    expect((await system.http('GET', `/v1/orders/${orderSn}/payment`, { token: system.token('buyer', buyerId()) })).body).toMatchObject({ orderSn, paid: true });
    expect((await system.http('GET', `/orders/${orderSn}/payment`, { token: system.token('buyer', buyerId()) })).body).toMatchObject({ orderSn, paid: true });

    const refused = await system.http('GET', '/v1/orders/NO-SUCH-ORDER', { token: seller() });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'NOT_FOUND', instance: '/v1/orders/NO-SUCH-ORDER' });
    // Not a prefix match on the letters: /v10 is no version of this API.
    expect((await system.http('GET', `/v10/goods/${skuId}`, { token: seller() })).status).toBe(404);

    // The document names every route under /v1.
    const doc = (await system.http('GET', '/docs-json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).every((path) => path.startsWith('/v1/'))).toBe(true);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/v1/orders/{orderSn}', '/v1/seller/events']));
  });

  it('walks a seller\'s orders page by page: every order once, newest first, also while new orders arrive between pages', async () => {
    for (let i = 0; i < 6; i++) await placeOrder(system, { sku: { skuId, sellerId }, quantity: 1 });
    const expected = await sellerOrderSns();
    expect(expected.length).toBe(7);

    const bySeller = (await walk('/v1/orders', seller(), 2)).map((o) => o.orderSn);
    expect(bySeller).toEqual(expected);
    // The buyer's view of the same orders (all bought by one buyer), and support's search by seller.
    expect((await walk('/v1/orders', system.token('buyer', buyerId()), 3)).map((o) => o.orderSn)).toEqual(expected);
    expect((await walk(`/v1/support/orders?sellerId=${sellerId}`, support(), 4)).map((o) => o.orderSn)).toEqual(expected);
    // Support's view of the whole table, filtered by seller and status (the paid order is not CONFIRM).
    const confirmed = (await system.dataSource.query("SELECT order_sn FROM orders WHERE seller_id = ? AND order_status = 'CONFIRM' ORDER BY id DESC", [sellerId])).map((r: { order_sn: string }) => r.order_sn);
    expect(confirmed.length).toBe(6);
    expect((await walk(`/v1/orders?sellerId=${sellerId}&status=CONFIRM`, support(), 2)).map((o) => o.orderSn)).toEqual(confirmed);

    // An order placed after the first page is newer than the cursor: it is not on a later page, and no
    // order already read moves onto one (OFFSET would shift every row by one and repeat a row).
    let added = '';
    const walked = (await walk('/v1/orders', seller(), 3, async (pageNo) => {
      if (pageNo === 1) added = (await placeOrder(system, { sku: { skuId, sellerId }, quantity: 1 })).orderSn;
    })).map((o) => o.orderSn);
    expect(walked).toEqual(expected);
    expect(walked).not.toContain(added);
    expect((await walk('/v1/orders', seller(), 100)).map((o) => o.orderSn)).toEqual([added, ...expected]);
  });

  it('walks a seller\'s API keys, webhook endpoints and a buyer\'s coupons page by page', async () => {
    const keyIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const made = await system.http('POST', '/v1/seller/api-keys', { token: seller(), body: { name: `key ${i}`, scopes: ['orders:read'] } });
      expect(made.status).toBe(201);
      keyIds.push(made.body.id);
    }
    expect((await walk('/v1/seller/api-keys', seller(), 2)).map((k) => k.id)).toEqual([...keyIds].reverse());

    // A key with orders:read reads the same order pages as its seller.
    const key = (await system.http('POST', '/v1/seller/api-keys', { token: seller(), body: { name: 'reader', scopes: ['orders:read'] } })).body.key as string;
    expect((await walk('/v1/orders', key, 5)).map((o) => o.orderSn)).toEqual(await sellerOrderSns());

    const endpointIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const made = await system.http('POST', '/v1/seller/webhook-endpoints', { token: seller(), body: { url: `http://127.0.0.1:9/hooks/${i}`, eventTypes: ['complaint.filed'] } });
      expect(made.status).toBe(201);
      endpointIds.push(made.body.id);
    }
    expect((await walk('/v1/seller/webhook-endpoints', seller(), 2)).map((e) => e.id)).toEqual(endpointIds);

    const couponIds: number[] = [];
    const validUntil = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < 3; i++) {
      const coupon = await system.http('POST', '/v1/promotions/coupons', { token: seller(), body: { title: `coupon ${i}`, thresholdFen: 1000, valueFen: 100, validFrom: new Date(Date.now() - 60_000).toISOString(), validUntil, totalCount: 10 } });
      expect(coupon.status).toBe(201);
      expect((await system.http('POST', `/v1/coupons/${coupon.body.id}/claim`, { token: system.token('buyer', buyerId()) })).status).toBe(201);
      couponIds.push(coupon.body.id);
    }
    expect((await walk('/v1/coupons/mine', system.token('buyer', buyerId()), 2)).map((c) => c.couponId)).toEqual(couponIds);
  });

  it('refuses a limit above the maximum and a cursor it did not give, as problem answers', async () => {
    const tooMany = await system.http('GET', '/v1/orders?limit=101', { token: seller() });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('limit must be a whole number from 1 to 100') });
    const forged = await system.http('GET', '/v1/orders?cursor=bm90IGEgY3Vyc29y', { token: seller() });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('cursor is not one this list gave') });
    // A cursor of one list (a reconciliation run: a day and a provider) is no cursor of another.
    const otherList = Buffer.from(JSON.stringify(['2026-11-20', 'wechatpay'])).toString('base64url');
    expect((await system.http('GET', `/v1/orders?cursor=${otherList}`, { token: seller() })).body.code).toBe('VALIDATION_FAILED');
    const page = await system.http('GET', '/v1/orders?page=2', { token: seller() });
    expect(page.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringContaining('page is replaced by cursor') });
  });
});
