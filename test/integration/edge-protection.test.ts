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

  it('checkout: the 4th request in a minute from one buyer (RATE_LIMIT_WRITES_PER_MINUTE=3) is a 429 with Retry-After; another buyer is not slowed', async () => {
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 100, stock: 100 });
    const buyer = system.token('buyer', newSellerId() + 800_000);
    const statuses = [];
    const remaining = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await raw('POST', '/trades', buyer, { items: [{ skuId, quantity: 1 }] });
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit')?.replace(/;t=\d+$/, ''));
    }
    expect(statuses).toEqual([201, 201, 201]);
    // The IETF RateLimit headers on answers that went through too.
    expect(remaining).toEqual(['"writes";r=2', '"writes";r=1', '"writes";r=0']);
    const limited = await raw('POST', '/trades', buyer, { items: [{ skuId, quantity: 1 }] });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-policy')).toBe('"writes";q=3;w=60');
    expect(limited.headers.get('ratelimit')).toBe(`"writes";r=0;t=${retryAfter}`);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await limited.json()).toEqual({
      type: 'urn:durable-orders:error:RATE_LIMITED',
      title: 'Too many requests',
      status: 429,
      code: 'RATE_LIMITED',
      detail: `too many requests: at most 3 writes a minute on this route for one buyer; retry after ${retryAfter} s (Retry-After)`,
      instance: '/trades',
      requestId: limited.headers.get('x-request-id'),
      retryAfterSeconds: retryAfter,
    });
    expect((await raw('POST', '/trades', system.token('buyer', newSellerId() + 800_000), { items: [{ skuId, quantity: 1 }] })).status).toBe(201);
  });

  it('payment creation, the status poll and cancellations are limited per principal', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const buyer = system.token('buyer', order.buyerId);
    const polls = [];
    for (let i = 0; i < 6; i += 1) polls.push((await raw('GET', `/orders/${order.orderSn}/payment`, buyer)).status);
    expect(polls).toEqual([200, 200, 200, 200, 200, 429]);
    // Support polling the same order has its own allowance, and its kind's limit (the old settings are the buyer's).
    const supportPoll = await raw('GET', `/orders/${order.orderSn}/payment`, system.token('support', 1));
    expect(supportPoll.status).toBe(200);
    expect(supportPoll.headers.get('ratelimit-policy')).toBe('"polls";q=600;w=60');
    const creates = [];
    for (let i = 0; i < 4; i += 1) creates.push((await raw('POST', `/orders/${order.orderSn}/payment`, buyer, { provider: 'wechatpay' })).status);
    expect(creates).toEqual([201, 201, 201, 429]);
    const cancels = [];
    for (let i = 0; i < 4; i += 1) cancels.push((await raw('POST', `/orders/${order.orderSn}/cancellations`, buyer, { reason: 'x' })).status);
    expect(cancels.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(cancels[3]).toBe(429);
  });

  it('documents the 429 and its headers on the limited routes in the OpenAPI document', async () => {
    const document = (await (await fetch(`${system.apiUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>> };
    const cancel429 = document.paths['/v1/orders/{orderSn}/cancellations'].post.responses['429'];
    expect(Object.keys(cancel429.headers ?? {}).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
    expect(document.paths['/v1/orders/{orderSn}/payment'].get.responses['429']).toBeDefined();
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
