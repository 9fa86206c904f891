import { newSellerId, seedGoods } from '../support/fixtures';
import { placeOrder } from '../support/orders';
import { TestSystem, startTestSystem } from '../support/system';

/** Rate limits per principal on the routes that start work or call a provider, and security headers. */
describe('edge protection', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_WRITES_PER_MINUTE: '3', RATE_LIMIT_POLLS_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const raw = (method: string, path: string, token?: string, body?: unknown) =>
    fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json', 'idempotency-key': `k-${Math.random()}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('checkout: the 4th request in a minute from one buyer is a 429 with Retry-After; another buyer is not slowed', async () => {
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 100, stock: 100 });
    const buyer = system.token('buyer', newSellerId() + 800_000);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await raw('POST', '/trades', buyer, { items: [{ skuId, quantity: 1 }] })).status);
    expect(statuses).toEqual([201, 201, 201]);
    const limited = await raw('POST', '/trades', buyer, { items: [{ skuId, quantity: 1 }] });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { message: string }).message).toMatch(/at most 3 a minute on this route for one caller; retry after \d+ s/);
    expect((await raw('POST', '/trades', system.token('buyer', newSellerId() + 800_000), { items: [{ skuId, quantity: 1 }] })).status).toBe(201);
  });

  it('payment creation, the status poll and cancellations are limited per principal', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const buyer = system.token('buyer', order.buyerId);
    const polls = [];
    for (let i = 0; i < 6; i += 1) polls.push((await raw('GET', `/orders/${order.orderSn}/payment`, buyer)).status);
    expect(polls).toEqual([200, 200, 200, 200, 200, 429]);
    // Support polling the same order has its own allowance.
    expect((await raw('GET', `/orders/${order.orderSn}/payment`, system.token('support', 1))).status).toBe(200);
    const creates = [];
    for (let i = 0; i < 4; i += 1) creates.push((await raw('POST', `/orders/${order.orderSn}/payment`, buyer, { provider: 'wechatpay' })).status);
    expect(creates).toEqual([201, 201, 201, 429]);
    const cancels = [];
    for (let i = 0; i < 4; i += 1) cancels.push((await raw('POST', `/orders/${order.orderSn}/cancellations`, buyer, { reason: 'x' })).status);
    expect(cancels.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(cancels[3]).toBe(429);
  });

  it('never limits /notify/*: providers retry on their own schedule', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 15; i += 1) {
      const res = await fetch(`${system.apiUrl}/notify/alipay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'notify_id=1&sign=x' });
      statuses.add(res.status);
    }
    expect([...statuses]).toEqual([400]);
  });

  it('sends security headers; only /docs goes without a Content-Security-Policy', async () => {
    const health = await fetch(`${system.apiUrl}/health`);
    expect(health.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-powered-by')).toBeNull();
    const docs = await fetch(`${system.apiUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toBeNull();
    expect(docs.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
