import { PaymentStatus, RefundStatus } from '../../domain';
import { recordHistory } from '../support/fixtures';
import { PlacedOrder, placeOrder, placePaidOrder } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/** Support's goodwill refund (issue 10 point 8): the ordinary refund path, audited, idempotent, bounded by what remains. */
describe('support goodwill refund', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const goodwill = (orderSn: string, body: unknown, key: string, token = system.token('support', 9)) =>
    system.http('POST', `/support/orders/${orderSn}/goodwill-refunds`, { token, headers: { 'idempotency-key': key }, body });

  const refundsOf = (order: PlacedOrder): Promise<{ refund_sn: string; cause_key: string; status: string; refund_fen: number }[]> =>
    system.dataSource.query('SELECT refund_sn, cause_key, status, refund_fen FROM refund WHERE order_sn = ? ORDER BY id', [order.orderSn]);

  it('refunds the amount through the refund workflow, audits it in the order log, leaves the order statuses alone, and replays the answer for the same key', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    const body = { refundFen: 1500, reason: 'Parcel arrived two weeks late' };
    const accepted = await goodwill(order.orderSn, body, `gw-${order.orderSn}`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ orderSn: order.orderSn, refundFen: 1500, status: 'REFUNDING', refundSn: expect.stringMatching(/^R\d+$/) });
    expect(accepted.body.workflowId).toBe(`goodwill-refund-${accepted.body.goodwillRefundId}`);
    expect(accepted.body.temporalUiUrl).toContain(accepted.body.workflowId);
    expect(accepted.body.refundTemporalUiUrl).toContain(`refund-${accepted.body.refundSn}`);

    const handle = system.temporal.workflow.getHandle(accepted.body.workflowId);
    expect(await handle.result()).toMatchObject({ status: 'REFUNDED', refunds: [{ status: 'SUCCESS', refundSn: accepted.body.refundSn }] });
    expect(await refundsOf(order)).toEqual([{ refund_sn: accepted.body.refundSn, cause_key: `goodwill:${accepted.body.goodwillRefundId}:1`, status: RefundStatus.SUCCESS, refund_fen: 1500 }]);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'wechatpay')).toEqual({ capturedFen: order.orderFen, refundedFen: 1500, refunds: 1 });

    const [row] = await system.dataSource.query('SELECT order_status, pay_status, service_status, refunded_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ order_status: 'PAID_OFF', pay_status: 'PAY_YES', service_status: 'NOT_APPLY', refunded_fen: 1500 });
    const [payment] = await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [order.outTradeNo]);
    expect(payment.status).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    const log = await system.dataSource.query('SELECT event_key, actor_role, actor_id, message FROM order_log WHERE order_sn = ? ORDER BY id', [order.orderSn]);
    expect(log.map((r: { event_key: string }) => r.event_key.replace(/R\d+/, 'R*'))).toEqual([
      'CONFIRM:NEW->CONFIRM',
      'PAY:CONFIRM->PAID_OFF',
      'refund:R*:created',
      `goodwill:${accepted.body.goodwillRefundId}:1`,
      'refund:R*:SUCCESS',
    ]);
    expect(log[3]).toMatchObject({ actor_role: 'SUPPORT', actor_id: 'support:9', message: `goodwill refund of 15.00 CNY by support:9 (refund ${accepted.body.refundSn}): Parcel arrived two weeks late` });

    // The same key replays the first answer and records nothing more; the same key with another body is a 422.
    expect(await goodwill(order.orderSn, body, `gw-${order.orderSn}`)).toEqual(accepted);
    expect(await refundsOf(order)).toHaveLength(1);
    const reused = await goodwill(order.orderSn, { ...body, refundFen: 1600 }, `gw-${order.orderSn}`);
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', detail: expect.stringMatching(/Idempotency-Key was already used with a different request/) });

    // The order's workflows (and the goodwill one) are found by OrderSn in the UI.
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const w of system.temporal.workflow.list({ query: `OrderSn="${order.orderSn}"` })) ids.push(w.workflowId);
      return ids.includes(accepted.body.workflowId) && ids.includes(`refund-${accepted.body.refundSn}`) ? ids : undefined;
    }, 20_000, 'visibility of the goodwill workflows');
    expect(found).toEqual(expect.arrayContaining([`order-${order.orderSn}`]));

    const read = await system.http('GET', `/support/orders/${order.orderSn}/goodwill-refunds/${accepted.body.goodwillRefundId}`, { token: system.token('support', 9) });
    expect(read.body).toMatchObject({ status: 'REFUNDED', refund: { refundSn: accepted.body.refundSn, status: 'SUCCESS', refundFen: 1500 } });
    await recordHistory(handle, 'goodwill-refund');
  });

  it('refuses more than remains refundable with 409 and a reason, and records no refund', async () => {
    const order = await placePaidOrder(system, 'alipay');
    const first = await goodwill(order.orderSn, { refundFen: order.orderFen - 100, reason: 'most of it' }, `gw-most-${order.orderSn}`);
    expect(first.status).toBe(202);
    const over = await goodwill(order.orderSn, { refundFen: 101, reason: 'a bit more' }, `gw-over-${order.orderSn}`);
    expect(over.status).toBe(409);
    expect(over.body.detail).toMatch(/a refund of 101 fen exceeds the 100 fen that remain refundable on payment/);
    // Its replay answers the same (but for the request id, which is each request's own); exactly what remains is still possible.
    const replayed = await goodwill(order.orderSn, { refundFen: 101, reason: 'a bit more' }, `gw-over-${order.orderSn}`);
    expect({ ...replayed, body: { ...replayed.body, requestId: 'each request its own' } }).toEqual({ ...over, body: { ...over.body, requestId: 'each request its own' } });
    expect(replayed.body.requestId).not.toBe(over.body.requestId);
    expect((await refundsOf(order)).map((r) => r.refund_fen)).toEqual([order.orderFen - 100]);
    const rest = await goodwill(order.orderSn, { refundFen: 100, reason: 'the rest' }, `gw-rest-${order.orderSn}`);
    expect(rest.status).toBe(202);
    await eventually(async () => ((await refundsOf(order)).every((r) => r.status === RefundStatus.SUCCESS) ? true : undefined), 30_000, 'both refunds SUCCESS');
    const [payment] = await system.dataSource.query('SELECT status FROM payment WHERE out_trade_no = ?', [order.outTradeNo]);
    expect(payment.status).toBe(PaymentStatus.REFUNDED);
    expect(await system.sim.moneyMoved(order.outTradeNo, 'alipay')).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 2 });
  });

  it('answers 409 for an unpaid order, 404 for an unknown one, 400 for a bad amount, 403 for a buyer', async () => {
    const unpaid = await placeOrder(system);
    const refused = await goodwill(unpaid.orderSn, { refundFen: 100, reason: 'sorry' }, `gw-unpaid-${unpaid.orderSn}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'NothingToRefund', detail: expect.stringMatching(/has no captured payment to refund/) });
    expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [unpaid.orderSn])).toEqual([{ n: 0 }]);
    expect((await goodwill('O20260101000000000000', { refundFen: 100, reason: 'x' }, 'gw-unknown')).status).toBe(404);
    for (const refundFen of [0, -5, 1.5, '100']) {
      const bad = await goodwill(unpaid.orderSn, { refundFen, reason: 'x' }, `gw-bad-${String(refundFen)}`);
      expect(bad.status).toBe(400);
    }
    expect((await goodwill(unpaid.orderSn, { refundFen: 100, reason: ' ' }, 'gw-blank')).status).toBe(400);
    expect((await system.http('POST', `/support/orders/${unpaid.orderSn}/goodwill-refunds`, { token: system.token('support', 9), body: { refundFen: 100, reason: 'x' } })).status).toBe(400);
    expect((await goodwill(unpaid.orderSn, { refundFen: 100, reason: 'x' }, 'gw-buyer', system.token('buyer', unpaid.buyerId))).status).toBe(403);
  });

  it('is documented in OpenAPI', async () => {
    const docs = (await fetch(`${system.apiUrl}/docs-json`).then((r) => r.json())) as { paths: Record<string, any> };
    const path = docs.paths['/v1/support/orders/{orderSn}/goodwill-refunds'];
    // The route's own answers, and the problem responses every guarded route with a body and a path parameter has.
    expect(Object.keys(path.post.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '413', '422', '429', '500']);
    expect(path.post.responses['409'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual(['NothingToRefund', 'RefundExceedsRemaining', 'RefundLinesMismatch', 'CONFLICT']);
    expect(path.post.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['orderSn', 'Idempotency-Key']));
  });
});
