import { readSellerEvents } from '../../db/business-events';
import { waitForOrderCancelled } from '../support/cancellations';
import { placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * GET /seller/events: the outbox read by one seller, in sequence order, with a cursor and a long poll
 * that answers when an event commits (docs/events.md#feed).
 */
describe('the seller event feed', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  interface Page { events: { sellerSeq: number; eventId: string; eventType: string; orderSn: string | null; payload: Record<string, any>; occurredAt: string }[]; next: string; hasMore: boolean }
  const feed = async (credential: string, query: string): Promise<Page> => {
    const answer = await system.http('GET', `/seller/events?${query}`, { token: credential });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const keyFor = async (sellerId: number, scopes: string[]) => (await system.http('POST', '/seller/api-keys', { token: system.token('seller', sellerId), body: { name: 'feed', scopes } })).body.key as string;

  it("returns the seller's own events in sequence order, page by page, and none of another seller's", async () => {
    const order = await placePaidOrder(system, 'alipay');
    const second = await placeOrder(system, { sku: { skuId: order.skuId, sellerId: order.sellerId }, buyerId: order.buyerId });
    const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: system.token('seller', order.sellerId), headers: { 'idempotency-key': `feed-${order.orderSn}` }, body: { reason: 'price error' } });
    expect(cancelled.status).toBe(202);
    await waitForOrderCancelled(system, order.orderSn);
    // Refunded too: the story ends with order.refund_settled.
    await eventually(async () => ((await system.dataSource.query(`SELECT 1 FROM business_event WHERE order_sn = ? AND event_type = 'order.refund_settled'`, [order.orderSn])).length ? true : undefined), 60_000, 'refund settled');
    const other = await placePaidOrder(system, 'wechatpay');

    const key = await keyFor(order.sellerId, ['events:read']);
    const stored = await readSellerEvents(system.dataSource.manager, order.sellerId, 0, 1000);
    const all = await feed(key, 'after=0&limit=500');
    expect(all.events.map((e) => e.sellerSeq)).toEqual(stored.map((_, i) => i + 1));
    expect(all.events.map((e) => e.eventId)).toEqual(stored.map((e) => e.eventId));
    expect(all).toMatchObject({ next: String(stored.length), hasMore: false });
    expect(new Set(all.events.map((e) => e.orderSn).filter(Boolean))).toEqual(new Set([order.orderSn, second.orderSn]));
    const types = all.events.filter((e) => e.orderSn === order.orderSn).map((e) => e.eventType);
    expect(types).toEqual(expect.arrayContaining(['order.created', 'order.paid', 'cancellation.received', 'order.cancelled', 'refund.created', 'refund.succeeded', 'order.refund_settled']));
    expect(types.indexOf('order.paid')).toBeLessThan(types.indexOf('order.cancelled'));
    expect(types.indexOf('order.cancelled')).toBeLessThan(types.indexOf('order.refund_settled'));

    // Pages of 3: the cursor walks the same list, hasMore until the end, and past it nothing.
    const walked: number[] = [];
    let cursor = '0';
    for (let pages = 0; pages < 100; pages++) {
      const page = await feed(key, `after=${cursor}&limit=3`);
      walked.push(...page.events.map((e) => e.sellerSeq));
      expect(page.hasMore).toBe(walked.length < stored.length);
      cursor = page.next;
      if (!page.hasMore) break;
    }
    expect(walked).toEqual(stored.map((e) => e.sellerSeq));
    expect(await feed(key, `after=${cursor}`)).toEqual({ events: [], next: cursor, hasMore: false });

    // The other seller (its own token this time) sees its own story and nothing of the first.
    const theirs = await feed(system.token('seller', other.sellerId), 'after=0&limit=500');
    expect(theirs.events.length).toBeGreaterThan(0);
    expect(new Set(theirs.events.map((e) => e.orderSn))).toEqual(new Set([other.orderSn]));
    expect(theirs.events.map((e) => e.sellerSeq)).toEqual(theirs.events.map((_, i) => i + 1));
  });

  it('holds an empty answer until an event commits (wait), and answers empty when the time is up', async () => {
    const first = await placeOrder(system);
    const key = await keyFor(first.sellerId, ['events:read']);
    const { next } = await feed(key, 'after=0&limit=500');

    const idle = Date.now();
    expect(await feed(key, `after=${next}&wait=1`)).toEqual({ events: [], next, hasMore: false });
    expect(Date.now() - idle).toBeGreaterThanOrEqual(950);

    const asked = Date.now();
    let answeredAt = 0;
    const waiting = feed(key, `after=${next}&wait=25`).then((page) => ((answeredAt = Date.now()), page));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const placing = placeOrder(system, { sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId });
    // When the first new event is visible to a reader (this test's own clock: looked for every 20 ms).
    let committedAt = 0;
    for (const giveUp = Date.now() + 20_000; !committedAt && Date.now() < giveUp; ) {
      const seen = await system.dataSource.query('SELECT 1 FROM business_event WHERE seller_id = ? AND seller_seq > ?', [first.sellerId, Number(next)]);
      if (seen.length) committedAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const second = await placing;
    const woke = await waiting;
    expect(woke.events.length).toBeGreaterThan(0);
    expect(woke.events[0]).toMatchObject({ sellerSeq: Number(next) + 1, eventType: 'order.created', orderSn: second.orderSn });
    expect(answeredAt - asked).toBeGreaterThanOrEqual(1500);
    // Woken by the commit, not by the end of the wait (25 s): within the feed's 250 ms poll of the event
    // becoming visible, with room for a busy box.
    expect(answeredAt - committedAt).toBeLessThan(1500);
    expect(Number(woke.next)).toBe(woke.events.at(-1)!.sellerSeq);
  });

  it('takes only events:read keys and seller tokens, never seller 0, and checks its parameters', async () => {
    const order = await placeOrder(system);
    const noScope = await system.http('GET', '/seller/events', { token: await keyFor(order.sellerId, ['orders:read']) });
    expect(noScope.status).toBe(403);
    expect(noScope.body.code).toBe('INSUFFICIENT_SCOPE');
    // The platform's stream (seller 0: reconciliation cases) has no seller to ask for it: id 0 is no principal.
    const platform = await system.http('GET', '/seller/events', { token: system.token('seller', 0) });
    expect(platform.status).toBe(401);
    expect((await system.http('GET', '/seller/events', { token: system.token('buyer', order.buyerId) })).body.code).toBe('FORBIDDEN');
    for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=501', 'wait=31', 'after=1&after=2']) {
      const refused = await system.http('GET', `/seller/events?${query}`, { token: system.token('seller', order.sellerId) });
      expect({ query, status: refused.status, code: refused.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }
    const doc = (await system.http('GET', '/docs-json')).body;
    const op = doc.paths['/v1/seller/events'].get;
    expect(op['x-api-key-scope']).toBe('events:read');
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/EventFeedPage');
    expect(doc.components.schemas.FeedEvent.properties.eventType.enum).toEqual(expect.arrayContaining(['order.cancelled', 'refund.succeeded', 'after_sale.applied']));
  });
});
