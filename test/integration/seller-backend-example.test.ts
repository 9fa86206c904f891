import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSellerClient, ok } from '../../clients/seller';
import { SellerBackend, startSellerBackend } from '../../examples/seller-backend/seller-backend';
import { waitForOrderCancelled } from '../support/cancellations';
import { newSellerId, seedGoods } from '../support/fixtures';
import { PlacedOrder, orderStatus, payOrder, placeOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * The sample seller backend (examples/seller-backend; issue 22 item 5) against the real system —
 * Temporal, MariaDB, the simulator, webhooks to its own HTTP server on loopback. The seller makes a key
 * through the generated client; the example registers its endpoint with that key, verifies every
 * delivery with `standardwebhooks`, cancels the order paid for a SKU it cannot ship (attributed to the
 * key), leaves the other order alone, ignores a redelivery of a message it handled and refuses a forgery.
 */
jest.setTimeout(300_000);

describe('examples/seller-backend', () => {
  let system: TestSystem;
  let backend: SellerBackend;
  let sellerId: number;
  let keyId: string;
  /** The key's secret, shown once when it was made. */
  let apiKey: string;
  let blocked: PlacedOrder;
  let shippable: PlacedOrder;

  beforeAll(async () => {
    system = await startTestSystem({
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_INITIAL: '200ms',
      WEBHOOK_RETRY_MAX_INTERVAL: '1s',
      WEBHOOK_IDLE_POLL: '5s',
    });
    sellerId = newSellerId();
    const blockedSku = await seedGoods(system.dataSource, { sellerId, priceFen: 1900, stock: 10 });
    const shippableSku = await seedGoods(system.dataSource, { sellerId, priceFen: 2100, stock: 10 });
    // The seller (signed in, a token) makes the machine's key through the same generated client.
    const asSeller = createSellerClient({ baseUrl: system.apiUrl, apiKey: system.token('seller', sellerId) });
    const key = await ok(asSeller.POST('/v1/seller/api-keys', { body: { name: 'seller-backend example', scopes: ['orders:read', 'orders:write', 'webhooks:manage'] } }));
    keyId = key.id;
    apiKey = key.key;
    backend = await startSellerBackend({ apiUrl: system.apiUrl, apiKey, blockedSkuIds: [String(blockedSku)] });
    blocked = await placeOrder(system, { sku: { skuId: blockedSku, sellerId }, quantity: 1 });
    shippable = await placeOrder(system, { sku: { skuId: shippableSku, sellerId }, quantity: 1 });
  });
  afterAll(async () => {
    await backend?.close();
    await system?.stop();
  });

  const deliveriesOf = (orderSn: string, type: string) => backend.deliveries.filter((d) => d.orderSn === orderSn && d.type === type);

  it('the committed client describes the running API: clients/seller/openapi.json is what /docs-json serves', async () => {
    const served = await system.http('GET', '/docs-json');
    expect(served.status).toBe(200);
    expect(served.body).toEqual(JSON.parse(readFileSync(join(__dirname, '../../clients/seller/openapi.json'), 'utf8')));
  });

  it('cancels the order paid for a blocked SKU with its key, verified and once; the other order stays paid', async () => {
    await payOrder(system, blocked, 'wechatpay');
    await payOrder(system, shippable, 'wechatpay');
    await waitForOrderCancelled(system, blocked.orderSn, 90_000);
    await eventually(async () => (deliveriesOf(blocked.orderSn, 'order.cancelled').length > 0 && deliveriesOf(shippable.orderSn, 'order.paid').length > 0 ? true : undefined), 60_000, 'the example heard the cancel and the second payment');

    expect(deliveriesOf(blocked.orderSn, 'order.paid').map((d) => d.outcome)).toEqual(['cancelled']);
    expect(deliveriesOf(shippable.orderSn, 'order.paid').map((d) => d.outcome)).toEqual(['handled']);
    expect(backend.deliveries.filter((d) => d.outcome === 'rejected')).toEqual([]);
    expect(await orderStatus(system, shippable.orderSn)).toBe('PAID_OFF');

    // The cancel is the key's: the order log names key:{id}.
    const read = await system.http('GET', `/orders/${blocked.orderSn}`, { token: system.token('seller', sellerId) });
    const cancels = read.body.log.filter((line: { operation: string }) => line.operation === 'SERVICE_CANCEL');
    expect(cancels).toEqual([expect.objectContaining({ actorRole: 'SELLER', actorId: `key:${keyId}`, newStatus: 'CANCELLED' })]);
  });

  it('a redelivered message (same webhook-id) is recognised and not acted on again', async () => {
    const [paid] = deliveriesOf(blocked.orderSn, 'order.paid');
    const asKey = createSellerClient({ baseUrl: system.apiUrl, apiKey });
    const resent = await asKey.POST('/v1/seller/webhook-endpoints/{id}/messages/{eventId}/resend', { params: { path: { id: backend.endpointId, eventId: paid.webhookId } } });
    expect(resent.response.status).toBe(202);
    await eventually(async () => (backend.deliveries.some((d) => d.webhookId === paid.webhookId && d.outcome === 'duplicate') ? true : undefined), 60_000, 'the redelivery');
    expect(backend.deliveries.filter((d) => d.webhookId === paid.webhookId).map((d) => d.outcome)).toEqual(['cancelled', 'duplicate']);
    const [{ n }] = await system.dataSource.query(`SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ? AND operation = 'SERVICE_CANCEL'`, [blocked.orderSn]);
    expect(Number(n)).toBe(1);
  });

  it('refuses a delivery whose signature does not verify', async () => {
    const forged = await fetch(backend.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      body: JSON.stringify({ type: 'order.paid', data: { eventId: 'msg_forged', orderSn: shippable.orderSn } }),
    });
    expect(forged.status).toBe(401);
    expect(backend.deliveries.find((d) => d.webhookId === 'msg_forged')).toMatchObject({ outcome: 'rejected' });
    expect(await orderStatus(system, shippable.orderSn)).toBe('PAID_OFF');
  });
});
