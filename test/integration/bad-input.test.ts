import { JwtService } from '@nestjs/jwt';
import { ensureDevKeys } from '../../payments/dev-keys';
import { encryptResource, newNonce, responseMessage, signRsaSha256, unixSeconds } from '../../payments/wechatpay/signing';
import { OrderStatus } from '../../domain';
import { orderWorkflowId } from '../../workflows/order.contract';
import { goodsRow, newSellerId, seedGoods } from '../support/fixtures';
import { placeOrder, startPayment, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { postSignedWechatPayment } from '../support/wechat-notification';

/**
 * Every case the fuzzing run answered with a 500 is a 4xx with a reason here, and nothing is written.
 * Real API, Temporal, MariaDB and simulator.
 */
describe('bad input gets a 4xx with a reason, never a 500', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const rowCount = async (sql: string, args: unknown[]) => Number((await system.dataSource.query(sql, args))[0].n);
  const tradesOf = (buyerId: string | number) => rowCount('SELECT COUNT(*) AS n FROM trade WHERE buyer_id = ?', [String(buyerId)]);
  const nested = (depth: number, leaf: unknown = 1): unknown => {
    let value: unknown = leaf;
    for (let i = 0; i < depth; i += 1) value = [value];
    return value;
  };
  const nestedObject = (depth: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { address: 'Shanghai' };
    for (let i = 0; i < depth; i += 1) value = { more: value };
    return value;
  };

  it('a body of ~1,600 nested arrays is refused on every POST route before validation', async () => {
    const body = JSON.stringify({ items: nested(1600) });
    expect(body.length).toBeLessThan(4000);
    const order = await placeOrder(system, { quantity: 1 });
    const tokens = { buyer: system.token('buyer', order.buyerId), seller: system.token('seller', order.sellerId), support: system.token('support', 1), admin: system.token('admin', 1) };
    const routes: [string, string][] = [
      ['/trades', tokens.buyer],
      ['/goods', tokens.seller],
      [`/orders/${order.orderSn}/payment`, tokens.buyer],
      [`/orders/${order.orderSn}/cancellations`, tokens.buyer],
      [`/orders/${order.orderSn}/shipment`, tokens.seller],
      [`/orders/${order.orderSn}/receipt`, tokens.buyer],
      [`/orders/${order.orderSn}/cash-collected`, tokens.seller],
      [`/orders/${order.orderSn}/completion`, tokens.admin],
      ['/support/refunds/R1/resolution', tokens.support],
      [`/orders/${order.orderSn}/after-sales`, tokens.buyer],
      ['/after-sales/S1/audit', tokens.seller],
      ['/after-sales/S1/return-shipment', tokens.buyer],
      ['/after-sales/S1/receipt', tokens.seller],
      ['/after-sales/S1/withdrawal', tokens.buyer],
      ['/support/after-sales/S1/decision', tokens.support],
      ['/admin/sweeps/order-status-sweep/run', tokens.admin],
      ['/notify/wechatpay', ''],
    ];
    for (const [path, token] of routes) {
      const res = await fetch(`${system.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
      const answer = (await res.json()) as { detail: string; code: string };
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(answer).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringMatching(/nests deeper than 16 levels/) });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await tradesOf(order.buyerId)).toBe(1);
  });

  it('a delivery address nested more than 32 levels is a 400, nothing written', async () => {
    const buyerId = newSellerId() + 700_000;
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 100, stock: 5 });
    const res = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 1 }], consignee: nestedObject(33) } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/nests deeper/);
    expect(await tradesOf(buyerId)).toBe(0);
    expect(await goodsRow(system.dataSource, skuId)).toMatchObject({ available_quantity: 5 });
  });

  it('an order total above the order_fen column (100,000,000 fen x 22) is a 422, nothing written', async () => {
    const buyerId = newSellerId() + 700_000;
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 100_000_000, stock: 100 });
    const res = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 22 }] } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/exceeds the largest amount an order can hold \(2147483647 fen\)/);
    expect(await tradesOf(buyerId)).toBe(0);
    expect(await goodsRow(system.dataSource, skuId)).toMatchObject({ available_quantity: 100 });
    // 21 units fit (2,100,000,000 fen).
    expect((await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 21 }] } })).status).toBe(201);
  });

  it('duplicate SKU lines are merged and the merged quantity is capped per SKU', async () => {
    const buyerId = newSellerId() + 700_000;
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 1, stock: 5000 });
    const res = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 999 }, { skuId, quantity: 999 }] } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/SKU \d+ is ordered 1998 times across its lines; at most 999 per SKU/);
    expect(await tradesOf(buyerId)).toBe(0);
    expect(await goodsRow(system.dataSource, skuId)).toMatchObject({ available_quantity: 5000 });
  });

  it.each([
    ['sellerId=abc', /sellerId must be a positive whole number/],
    ['sellerId=Infinity', /sellerId must be a positive whole number/],
    ['sellerId=99999999999999999999', /sellerId must be a positive whole number/],
    ['sellerId=1&sellerId=2', /sellerId must be given once/],
    ['limit=99999999999999999999', /limit must be a whole number from 1 to 100/],
    ['limit=0', /limit must be/],
    ['limit=101', /limit must be a whole number from 1 to 100/],
    ['limit=1.5', /limit must be/],
    ['limit=1&limit=2', /limit must be given once/],
    ['cursor=not-a-cursor', /cursor is not one this list gave/],
    ['cursor=1&cursor=2', /cursor must be given once/],
    ['page=2', /page is replaced by cursor/],
    ['status=NEW&status=CONFIRM', /status must be given once/],
    ['status=NOPE', /status must be one of/],
  ])('GET /orders?%s is a 400', async (query, message) => {
    const res = await system.http('GET', `/orders?${query}`, { token: system.token('support', 1) });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(message);
  });

  it('a token subject above BIGINT is a 401; subjects above 2^53 do not alias each other', async () => {
    expect((await system.http('GET', '/orders', { token: system.token('buyer', '99999999999999999999') })).status).toBe(401);
    expect((await system.http('GET', '/orders', { token: system.token('buyer', '0') })).status).toBe(401);
    const owner = '9007199254740992';
    const other = '9007199254740993'; // Number(other) === Number(owner)
    const order = await placeOrder(system, { quantity: 1, buyerId: owner as unknown as number });
    const [row] = await system.dataSource.query('SELECT CAST(buyer_id AS CHAR) AS buyer FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row.buyer).toBe(owner);
    expect((await system.http('GET', `/orders/${order.orderSn}`, { token: system.token('buyer', owner) })).status).toBe(200);
    expect((await system.http('GET', `/orders/${order.orderSn}`, { token: system.token('buyer', other) })).status).toBe(404);
    expect((await system.http('GET', `/orders/${order.orderSn}/payment`, { token: system.token('buyer', other) })).status).toBe(404);
    expect((await system.http('GET', '/orders', { token: system.token('buyer', other) })).body.items).toEqual([]);
    expect((await system.http('GET', '/orders', { token: system.token('buyer', owner) })).body.items.map((o: { orderSn: string }) => o.orderSn)).toEqual([order.orderSn]);
  });

  it('tokens need exp, and at most a 24 h lifetime', async () => {
    const jwt = new JwtService({ secret: system.config.api.jwtSecret });
    const noExp = jwt.sign({ sub: '7', role: 'buyer' }, { algorithm: 'HS256' });
    const forever = jwt.sign({ sub: '7', role: 'buyer', exp: Math.floor(Date.parse('9999-01-01') / 1000) }, { algorithm: 'HS256' });
    const futureIat = jwt.sign({ sub: '7', role: 'buyer', iat: Math.floor(Date.parse('9998-12-31') / 1000), exp: Math.floor(Date.parse('9999-01-01') / 1000) }, { algorithm: 'HS256' });
    const day = jwt.sign({ sub: '7', role: 'buyer' }, { algorithm: 'HS256', expiresIn: 24 * 3600 });
    const res = await system.http('GET', '/orders', { token: noExp });
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/must carry exp/);
    expect((await system.http('GET', '/orders', { token: forever })).body.detail).toMatch(/longer than the maximum of 24 h/);
    expect((await system.http('GET', '/orders', { token: futureIat })).status).toBe(401);
    expect((await system.http('GET', '/orders', { token: day })).status).toBe(200);
  });

  it('retrying a checkout with the same Idempotency-Key after its order workflow closed returns the stored answer', async () => {
    const buyerId = newSellerId() + 700_000;
    const skuId = await seedGoods(system.dataSource, { sellerId: newSellerId(), priceFen: 500, stock: 5 });
    const request = { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 1 }] }, headers: { 'Idempotency-Key': `closed-${buyerId}` } };
    const first = await system.http('POST', '/trades', request);
    expect(first.status).toBe(201);
    const orderSn = first.body.orders[0].orderSn;
    await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
    await system.temporal.workflow.getHandle(orderWorkflowId(orderSn)).terminate('test: the order workflow has closed');
    for (let i = 0; i < 2; i += 1) {
      const again = await system.http('POST', '/trades', request);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
    }
    expect(await tradesOf(buyerId)).toBe(1);
  });

  it('GET /groups/{id} shows the members to members, its seller and support only; anyone else gets 404', async () => {
    const first = await placeOrder(system, { quantity: 1, groupBuy: { size: 2 } });
    const member = await system.http('GET', `/groups/${first.groupId}`, { token: system.token('buyer', first.buyerId) });
    expect(member.status).toBe(200);
    expect(member.body.members.map((m: { orderSn: string }) => m.orderSn)).toEqual([first.orderSn]);
    expect((await system.http('GET', `/groups/${first.groupId}`, { token: system.token('support', 1) })).status).toBe(200);
    const stranger = await system.http('GET', `/groups/${first.groupId}`, { token: system.token('buyer', first.buyerId + 1) });
    expect(stranger.status).toBe(404);
    expect(JSON.stringify(stranger.body)).not.toContain(first.orderSn);
    expect((await system.http('GET', `/groups/${first.groupId}`, { token: system.token('seller', first.sellerId) })).status).toBe(200);
    // Another party's group is "not found", never 403 (which would say that it exists).
    const otherSeller = await system.http('GET', `/groups/${first.groupId}`, { token: system.token('seller', first.sellerId + 1) });
    expect(otherSeller).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(JSON.stringify(otherSeller.body)).not.toContain(first.orderSn);
  });

  it('a cancellation answered "already cancelled" is finalised, not left RECEIVED', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const buyer = system.token('buyer', order.buyerId);
    expect((await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: buyer, body: { reason: 'changed my mind' }, headers: { 'Idempotency-Key': 'c-1' } })).status).toBe(202);
    await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED);
    // The order is CANCELLED before its cancellation workflow has finished its own steps (closing the
    // payment, giving a coupon back): wait for the first request to be finished before comparing.
    await eventually(async () => {
      const [first] = await system.dataSource.query(`SELECT status FROM cancellation_request WHERE order_sn = ? AND idempotency_key = 'c-1'`, [order.orderSn]);
      return first?.status === 'COMPLETED' ? true : undefined;
    }, 30_000, 'the first cancellation request to complete');
    const again = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: buyer, body: { reason: 'really' }, headers: { 'Idempotency-Key': 'c-2' } });
    expect(again.status).toBe(200);
    expect(again.body.alreadyCancelled).toBe(true);
    // The first request's status belongs to its cancellation workflow, which finishes after the order is CANCELLED.
    const rows = await eventually(async () => {
      const found = await system.dataSource.query('SELECT idempotency_key AS k, status FROM cancellation_request WHERE order_sn = ? ORDER BY id', [order.orderSn]);
      return found[0]?.status === 'COMPLETED' ? found : undefined;
    }, 60_000, 'the first cancellation COMPLETED');
    expect(rows).toEqual([
      { k: 'c-1', status: 'COMPLETED' },
      { k: 'c-2', status: 'ALREADY_CANCELLED' },
    ]);
  });

  it('a validly signed WeChat notification with a missing or non-string event_type is a 400, not a TypeError', async () => {
    const w = ensureDevKeys(system.config.payments.keysDir).wechatpay;
    for (const eventType of [undefined, 42, { a: 1 }]) {
      const nonce = newNonce(12);
      const ciphertext = encryptResource(JSON.stringify({ mchid: w.mchid, appid: w.appid, out_trade_no: 'P1W', trade_state: 'SUCCESS' }), w.apiV3Key, nonce, 'transaction');
      const body = JSON.stringify({ id: `EV-${String(eventType)}`, create_time: '', resource_type: 'encrypt-resource', ...(eventType === undefined ? {} : { event_type: eventType }), resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce } });
      const ts = String(unixSeconds());
      const sigNonce = newNonce();
      const res = await fetch(`${system.apiUrl}/notify/wechatpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'wechatpay-timestamp': ts,
          'wechatpay-nonce': sigNonce,
          'wechatpay-serial': w.platformPublicKeyId,
          'wechatpay-signature': signRsaSha256(responseMessage(ts, sigNonce, body), w.platformPrivateKeyPem),
        },
        body,
      });
      expect({ eventType, status: res.status }).toEqual({ eventType, status: 400 });
    }
  });

  it('a validly signed WeChat payment notification for another amount is refused by our amount check and records nothing', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const outTradeNo = await startPayment(system, order, 'wechatpay');
    // Signed and encrypted with the platform's keys, so only the comparison with our payment row can refuse it.
    const res = await postSignedWechatPayment(system, `EV-amount-${outTradeNo}`, { out_trade_no: outTradeNo, transaction_id: `4200${Date.now()}`, trade_state: 'SUCCESS', amount: { total: order.orderFen + 1, currency: 'CNY' }, success_time: '2026-12-01T19:46:05+08:00' });
    expect(res.status).toBe(400);
    expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM provider_notification WHERE out_trade_no = ?', [outTradeNo])).toEqual([{ n: 0 }]);
    expect(await system.dataSource.query('SELECT pay_status, paid_fen FROM orders WHERE order_sn = ?', [order.orderSn])).toEqual([{ pay_status: 'PAY_NO', paid_fen: 0 }]);
  });

  it('a body above 64 KB is a 413 with a reason', async () => {
    const res = await system.http('POST', '/trades', { token: system.token('buyer', 5), body: { items: [{ skuId: 1, quantity: 1 }], consignee: { note: 'x'.repeat(70_000) } } });
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/larger than 64kb/);
    const broken = await fetch(`${system.apiUrl}/trades`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${system.token('buyer', 5)}` }, body: '{"items": [' });
    expect(broken.status).toBe(400);
    expect(JSON.stringify(await broken.json())).not.toMatch(/\n\s+at /);
  });

  it('path ids outside BIGINT are a 400', async () => {
    const token = system.token('support', 1);
    expect((await system.http('GET', '/goods/99999999999999999999', { token })).status).toBe(400);
    expect((await system.http('GET', '/goods/abc', { token })).status).toBe(400);
    const order = await placeOrder(system, { quantity: 1 });
    expect((await system.http('GET', `/orders/${order.orderSn}/cancellations/1e30`, { token })).status).toBe(400);
  });

  it('after-sale routes answer malformed bodies with a 400 and a reason, and write nothing', async () => {
    const order = await placeOrder(system, { quantity: 1 });
    const buyer = system.token('buyer', order.buyerId);
    const seller = system.token('seller', order.sellerId);
    const support = system.token('support', 1);
    const [item] = await system.dataSource.query('SELECT id FROM order_item WHERE order_sn = ?', [order.orderSn]);
    const good = { serviceType: 'RETURN_GOODS', lines: [{ orderItemId: Number(item.id), num: 1 }], reason: 'broken' };
    const apply = (body: unknown, key: string | null = 'bad-1') =>
      system.http('POST', `/orders/${order.orderSn}/after-sales`, { token: buyer, body, headers: key === null ? {} : { 'idempotency-key': key } });
    const cases: [string, () => Promise<{ status: number; body: any }>, RegExp][] = [
      ['no Idempotency-Key', () => apply(good, null), /Idempotency-Key/],
      ['a key with spaces', () => apply(good, 'a b'), /Idempotency-Key/],
      ['an unknown service type', () => apply({ ...good, serviceType: 'STEAL' }), /serviceType must be one of/],
      ['no lines', () => apply({ ...good, lines: [] }), /at least one line/],
      ['a zero quantity', () => apply({ ...good, lines: [{ orderItemId: Number(item.id), num: 0 }] }), /num must be at least 1/],
      ['a quantity as a string', () => apply({ ...good, lines: [{ orderItemId: Number(item.id), num: '1' }] }), /num must be an integer/],
      ['a blank reason', () => apply({ ...good, reason: '  ' }), /reason must not be empty/],
      ['an unknown decision', () => system.http('POST', '/after-sales/S1/audit', { token: seller, body: { decision: 'MAYBE' } }), /decision must be PASS or REFUSE/],
      ['a fractional refund', () => system.http('POST', '/after-sales/S1/audit', { token: seller, body: { decision: 'PASS', refundFen: 1.5 } }), /refundFen must be an integer/],
      ['a refusal without reason', () => system.http('POST', '/after-sales/S1/audit', { token: seller, body: { decision: 'REFUSE' } }), /reason is required to refuse/],
      ['a tracking number with spaces', () => system.http('POST', '/after-sales/S1/return-shipment', { token: buyer, body: { carrier: 'SF', trackingNo: 'SF 1' } }), /trackingNo must be/],
      ['a negative good count', () => system.http('POST', '/after-sales/S1/receipt', { token: seller, body: { lines: [{ orderItemId: 1, goodNum: -1, damagedNum: 0 }] } }), /goodNum must not be less than 0/],
      ['a receipt without lines', () => system.http('POST', '/after-sales/S1/receipt', { token: seller, body: { lines: [] } }), /at least one line/],
      ['a withdrawal without reason', () => system.http('POST', '/after-sales/S1/withdrawal', { token: buyer, body: {} }), /reason/],
      ['a support refund without amount', () => system.http('POST', '/support/after-sales/S1/decision', { token: support, body: { action: 'REFUND', reason: 'lost' } }), /refundFen must be an integer/],
      ['an unknown support action', () => system.http('POST', '/support/after-sales/S1/decision', { token: support, body: { action: 'PAY', reason: 'x' } }), /action must be REFUND or CLOSE/],
      ['a support list by an unknown status', () => system.http('GET', '/support/after-sales?status=NOPE', { token: support }), /status must be one of/],
    ];
    for (const [what, answer, reason] of cases) {
      const { status, body } = await answer();
      expect({ what, status }).toEqual({ what, status: 400 });
      expect(JSON.stringify(body.detail)).toMatch(reason);
    }
    // Well-formed, but about nothing that exists: 404, not a 500.
    expect((await system.http('POST', '/after-sales/S1/audit', { token: seller, body: { decision: 'PASS' } })).status).toBe(404);
    expect((await system.http('GET', '/after-sales/S1', { token: buyer })).status).toBe(404);
    // Not shipped: refused with the reason, nothing recorded.
    expect((await apply(good, 'bad-ok')).status).toBe(409);
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM after_sale WHERE order_sn = ?', [order.orderSn]);
    expect(Number(n)).toBe(0);
  });
});
