import { createHash } from 'node:crypto';
import { waitForOrderCancelled } from '../support/cancellations';
import { OrderStatus } from '../../domain';
import { afterSaleApi } from '../support/after-sales';
import { placeOrder, placePaidOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * A seller's machine with an API key of its own (docs/seller-integration.md): made once with its
 * secret, used as `Authorization: Bearer sk_live_…` within its scopes, every use attributed to the key
 * in the order log, and refused once revoked.
 */
describe('seller API keys', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const createKey = async (sellerId: number, scopes: string[], name = 'ERP') => {
    const created = await system.http('POST', '/seller/api-keys', { token: system.token('seller', sellerId), body: { name, scopes } });
    expect(created.status).toBe(201);
    return created.body as { id: string; key: string; scopes: string[] };
  };
  const cancel = (orderSn: string, credential: string, idempotencyKey: string) =>
    system.http('POST', `/orders/${orderSn}/cancellations`, { token: credential, headers: { 'idempotency-key': idempotencyKey }, body: { reason: 'out of stock at the warehouse' } });

  it('cancels with an orders:write key, and the order log, the request and the event name the key', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const made = await createKey(order.sellerId, ['orders:read', 'orders:write'], 'ERP cancellations');
    expect(made.key).toMatch(new RegExp(`^sk_live_${made.id}_[A-Za-z0-9_-]{43}$`));
    expect(made.scopes).toEqual(['orders:read', 'orders:write']);
    // Only the hash is stored: the key itself is nowhere in the row.
    const [row] = await system.dataSource.query('SELECT seller_id, HEX(secret_sha256) AS hash, last_used_at FROM seller_api_key WHERE id = ?', [made.id]);
    expect({ sellerId: String(row.seller_id), lastUsedAt: row.last_used_at }).toEqual({ sellerId: String(order.sellerId), lastUsedAt: null });
    expect(row.hash).toBe(createHash('sha256').update(made.key).digest('hex').toUpperCase());

    const accepted = await cancel(order.orderSn, made.key, `key-${order.orderSn}`);
    expect(accepted.status).toBe(202);
    await waitForOrderCancelled(system, order.orderSn);

    const actor = `key:${made.id}`;
    const read = await system.http('GET', `/orders/${order.orderSn}`, { token: made.key });
    expect(read.status).toBe(200);
    const cancelLine = read.body.log.find((line: { operation: string }) => line.operation === 'SERVICE_CANCEL');
    expect(cancelLine).toMatchObject({ actorRole: 'SELLER', actorId: actor, oldStatus: 'PAID_OFF', newStatus: 'CANCELLED' });
    const request = await system.http('GET', `/orders/${order.orderSn}/cancellations/${accepted.body.cancellationId}`, { token: made.key });
    expect(request.body.requestedBy).toEqual({ role: 'seller', id: actor });
    const [event] = await system.dataSource.query(`SELECT payload_json AS payload FROM business_event WHERE order_sn = ? AND event_type = 'order.cancelled'`, [order.orderSn]);
    expect((typeof event.payload === 'string' ? JSON.parse(event.payload) : event.payload).actor).toEqual({ role: 'SELLER', id: actor });

    // The use is recorded (at most once a minute), and the list shows it without the secret.
    await eventually(async () => ((await system.dataSource.query('SELECT last_used_at FROM seller_api_key WHERE id = ?', [made.id]))[0].last_used_at ? true : undefined), 10_000, 'last use recorded');
    const listed = await system.http('GET', '/seller/api-keys', { token: system.token('seller', order.sellerId) });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ id: made.id, name: 'ERP cancellations', scopes: ['orders:read', 'orders:write'], revoked: false, revokedAt: null });
    expect(listed.body.items[0].lastUsedAt).toEqual(expect.any(String));
    expect(listed.body.items[0]).not.toHaveProperty('key');
    expect(JSON.stringify(listed.body)).not.toContain(made.key.split('_').at(-1));
  });

  it('ships with an orders:write key and audits an after-sale with an after-sales:write key, each step naming its key', async () => {
    const order = await placePaidOrder(system, 'alipay');
    const writer = await createKey(order.sellerId, ['orders:write']);
    const auditor = await createKey(order.sellerId, ['after-sales:write']);
    const shipped = await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: writer.key, body: { carrier: 'SF', trackingNo: `SF${order.orderSn.slice(-8)}` } });
    expect(shipped.status).toBe(200);
    await system.http('POST', `/orders/${order.orderSn}/receipt`, { token: system.token('buyer', order.buyerId) });
    await waitForStatus(system, order.orderSn, OrderStatus.ROG);
    const [line] = await system.dataSource.query('SELECT id FROM order_item WHERE order_sn = ?', [order.orderSn]);
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: Number(line.id), num: 1 }], reason: 'one tin dented' }, `key-as-${order.orderSn}`);
    expect(applied.status).toBe(201);
    const serviceSn: string = applied.body.serviceSn;

    // The order key may not audit; the after-sale key may.
    expect((await api.audit(serviceSn, { decision: 'PASS' }, writer.key)).body.code).toBe('INSUFFICIENT_SCOPE');
    const passed = await api.audit(serviceSn, { decision: 'PASS' }, auditor.key);
    expect(passed.status).toBe(200);
    expect(passed.body.status).toBe('PASS');

    const [shipLine] = await system.dataSource.query(`SELECT actor_role, actor_id FROM order_log WHERE order_sn = ? AND operation = 'SHIP'`, [order.orderSn]);
    expect(shipLine).toEqual({ actor_role: 'SELLER', actor_id: `key:${writer.id}` });
    const afterSale = await api.get(serviceSn, api.seller);
    expect(afterSale.body.log.find((step: { action: string }) => step.action === 'AUDIT_PASS')).toMatchObject({ actor: 'SELLER', actorId: `key:${auditor.id}` });
  });

  it('refuses a key without the route\'s scope (403), a route closed to keys (403), and another seller\'s order (404)', async () => {
    const mine = await placeOrder(system);
    const theirs = await placeOrder(system);
    const readOnly = await createKey(mine.sellerId, ['orders:read', 'events:read']);
    const writer = await createKey(mine.sellerId, ['orders:write']);

    const noScope = await cancel(mine.orderSn, readOnly.key, `ro-${mine.orderSn}`);
    expect(noScope.status).toBe(403);
    expect(noScope.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'orders:write' });
    // orders:write does not read: GET /orders/{sn} needs orders:read.
    expect((await system.http('GET', `/orders/${mine.orderSn}`, { token: writer.key })).body.code).toBe('INSUFFICIENT_SCOPE');
    // Keys cannot make keys, whatever their scopes.
    const minting = await system.http('POST', '/seller/api-keys', { token: writer.key, body: { name: 'child', scopes: ['orders:write'] } });
    expect(minting.status).toBe(403);
    expect(minting.body.code).toBe('INSUFFICIENT_SCOPE');

    const other = await cancel(theirs.orderSn, writer.key, `other-${theirs.orderSn}`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    expect(await system.dataSource.query('SELECT id FROM cancellation_request WHERE order_sn = ?', [theirs.orderSn])).toEqual([]);

    // The key can do what it is for: the seller's own unpaid order is cancelled.
    expect((await cancel(mine.orderSn, writer.key, `own-${mine.orderSn}`)).status).toBe(202);
    await waitForOrderCancelled(system, mine.orderSn);
  });

  it('refuses a revoked, an unknown and a malformed key with 401 API_KEY_INVALID; only its seller revokes it', async () => {
    const order = await placeOrder(system);
    const made = await createKey(order.sellerId, ['orders:read']);
    expect((await system.http('GET', '/orders', { token: made.key })).status).toBe(200);

    // Another seller's key is "not found" to them, and stays working.
    const stranger = await system.http('DELETE', `/seller/api-keys/${made.id}`, { token: system.token('seller', order.sellerId + 1) });
    expect(stranger.status).toBe(404);
    expect((await system.http('GET', '/orders', { token: made.key })).status).toBe(200);

    const revoked = await system.http('DELETE', `/seller/api-keys/${made.id}`, { token: system.token('seller', order.sellerId) });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: made.id, revoked: true, revokedAt: expect.any(String) });
    const refused = await system.http('GET', `/orders/${order.orderSn}`, { token: made.key });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'API_KEY_INVALID', detail: expect.stringContaining('revoked') });
    const listed = await system.http('GET', '/seller/api-keys', { token: system.token('seller', order.sellerId) });
    expect(listed.body.items.map((k: { id: string; revoked: boolean }) => [k.id, k.revoked])).toEqual([[made.id, true]]);

    // The right id with a wrong secret, and junk: the same refusal, telling nothing.
    const forged = made.key.slice(0, -4) + (made.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const other = await createKey(order.sellerId, ['orders:read']);
    const wrongSecret = other.key.slice(0, -4) + (other.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const credential of [forged, wrongSecret, 'sk_live_999999999_' + 'x'.repeat(43), 'sk_test_1']) {
      const answer = await system.http('GET', '/orders', { token: credential });
      expect({ credential, status: answer.status, code: answer.body.code }).toEqual({ credential, status: 401, code: 'API_KEY_INVALID' });
    }
    expect((await system.http('GET', '/orders', { token: other.key })).status).toBe(200);
  });

  it('lets only a signed-in seller manage keys, and checks what it asks for', async () => {
    const buyer = await system.http('POST', '/seller/api-keys', { token: system.token('buyer', 7), body: { name: 'x', scopes: ['orders:read'] } });
    expect(buyer.status).toBe(403);
    expect(buyer.body.code).toBe('FORBIDDEN');
    for (const body of [{ name: 'x', scopes: [] }, { name: 'x', scopes: ['orders:delete'] }, { name: ' ', scopes: ['orders:read'] }, { name: 'x', scopes: ['orders:read', 'orders:read'] }]) {
      const refused = await system.http('POST', '/seller/api-keys', { token: system.token('seller', 7), body });
      expect({ body, status: refused.status, code: refused.body.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('declares the routes, their answers and the scopes in OpenAPI', async () => {
    const doc = (await system.http('GET', '/docs-json')).body;
    const create = doc.paths['/v1/seller/api-keys'].post;
    expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/CreatedApiKey');
    expect(doc.paths['/v1/seller/api-keys'].get.responses['200'].content['application/json'].schema.properties.items.items.$ref).toBe('#/components/schemas/ApiKeyView');
    expect(doc.paths['/v1/seller/api-keys/{id}'].delete.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/ApiKeyView');
    const cancelOp = doc.paths['/v1/orders/{orderSn}/cancellations'].post;
    expect(cancelOp['x-api-key-scope']).toBe('orders:write');
    expect(cancelOp.responses['401'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(expect.arrayContaining(['UNAUTHENTICATED', 'API_KEY_INVALID']));
    expect(cancelOp.responses['403'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(expect.arrayContaining(['FORBIDDEN', 'INSUFFICIENT_SCOPE']));
    expect(create['x-api-key-scope']).toBeUndefined();
  });
});
