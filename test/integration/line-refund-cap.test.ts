import { afterSaleApi, receivedTwoLineOrder, waitForAfterSale, TwoLineOrder } from '../support/after-sales';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Issue 20: one order line is never refunded more than was paid for it, whatever mix of complaint
 * arbitrations and after-sales refunds it. The money property test (money-property.test.ts) found
 * it with random sequences; this is the deterministic case: line A paid 50.00 CNY in an order whose
 * payment holds more (line B 200.00), so only a per-line cap can stop a second refund of line A.
 */
describe('a line is refunded at most what was paid for it', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const support = () => system.token('support', 3);

  /** A complaint about line A, walked to WAIT_ARBITRATION; returns its id. */
  async function complaintAwaitingArbitration(order: TwoLineOrder): Promise<number> {
    const [a] = order.lines;
    const filed = await system.http('POST', `/orders/${order.orderSn}/complaints`, { token: system.token('buyer', order.buyerId), body: { skuId: a.skuId, topic: 'Short weight', content: 'The tin holds 200 g, not 250 g.' } });
    expect(filed.status).toBe(201);
    const id: number = filed.body.id;
    expect((await system.http('POST', `/support/complaints/${id}/review`, { token: support(), body: { content: 'accepted' } })).status).toBe(200);
    expect((await system.http('POST', `/complaints/${id}/appeal`, { token: system.token('seller', order.sellerId), body: { content: 'we weighed it' } })).status).toBe(200);
    const asked = await system.http('POST', `/complaints/${id}/arbitration-request`, { token: system.token('buyer', order.buyerId), body: { content: 'please decide' } });
    expect(asked.body.status).toBe('WAIT_ARBITRATION');
    return id;
  }

  const arbitrate = (id: number, refundFen?: number) =>
    system.http('POST', `/support/complaints/${id}/arbitration`, { token: support(), body: { result: refundFen ? `refund ${refundFen} fen` : 'no further refund', ...(refundFen ? { refundFen } : {}) } });

  /** Refunds (not CLOSED) of the order, once none is in flight. */
  async function settledRefunds(order: TwoLineOrder): Promise<{ cause_key: string; refund_fen: number; status: string }[]> {
    return eventually(async () => {
      const rows = await system.dataSource.query(`SELECT cause_key, refund_fen, status FROM refund WHERE order_sn = ? AND status <> 'CLOSED' ORDER BY id`, [order.orderSn]);
      return rows.every((r: { status: string }) => r.status !== 'APPLY' && r.status !== 'PROCESSING') ? rows : undefined;
    }, 45_000, 'refunds settled');
  }

  async function orderWithLineOfFiftyYuan(): Promise<TwoLineOrder> {
    const order = await receivedTwoLineOrder(system, 'wechatpay', { aFen: 5000, bFen: 20000, num: 1 });
    expect(order.lines.map((l) => l.paidFen)).toEqual([5000, 20000]);
    return order;
  }

  it('two complaints arbitrated at 50.00 each and a refund-only after-sale: only the first 50.00 is refunded (the issue-20 case)', async () => {
    const order = await orderWithLineOfFiftyYuan();
    const [a] = order.lines;

    const first = await complaintAwaitingArbitration(order);
    expect((await arbitrate(first, 5000)).body).toMatchObject({ status: 'COMPLETE', refundFen: 5000 });

    // The line is fully refunded: a second arbitration refund of it is refused with the reason, and nothing is recorded.
    const second = await complaintAwaitingArbitration(order);
    const again = await arbitrate(second, 5000);
    expect({ status: again.status, message: again.body.message }).toEqual({ status: 409, message: expect.stringMatching(/remain|exceeds/) });
    expect((await arbitrate(second)).body.status).toBe('COMPLETE');

    // Nothing of line A is left for a refund-only after-sale either.
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'never arrived' }, `cap-as-${order.orderSn}`);
    if (applied.status === 201) {
      expect(applied.body.requestedFen).toBe(0);
      expect((await api.audit(applied.body.serviceSn, { decision: 'PASS', refundFen: 5000 })).status).toBe(409);
    } else {
      expect(applied.status).toBe(409);
    }

    expect((await settledRefunds(order)).map((r) => [r.cause_key, r.refund_fen, r.status])).toEqual([[`complaint:${first}:1`, 5000, 'SUCCESS']]);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toMatchObject({ refundedFen: 5000, refunds: 1 });
  });

  it('a second arbitration may refund what remains of the line, not more; the after-sale then offers only the rest', async () => {
    const order = await orderWithLineOfFiftyYuan();
    const [a] = order.lines;

    const first = await complaintAwaitingArbitration(order);
    expect((await arbitrate(first, 3000)).body).toMatchObject({ status: 'COMPLETE', refundFen: 3000 });

    const second = await complaintAwaitingArbitration(order);
    const over = await arbitrate(second, 2001);
    expect({ status: over.status, message: over.body.message }).toEqual({ status: 409, message: expect.stringMatching(/remain|exceeds/) });
    expect((await arbitrate(second, 1500)).body).toMatchObject({ status: 'COMPLETE', refundFen: 1500 });

    // 5.00 of line A remain: the refund-only after-sale asks exactly that, and the seller cannot agree to more.
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'REFUND_ONLY', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'never arrived' }, `cap-rest-${order.orderSn}`);
    expect(applied.status).toBe(201);
    expect(applied.body.requestedFen).toBe(500);
    expect((await api.audit(applied.body.serviceSn, { decision: 'PASS', refundFen: 501 })).status).toBe(409);
    expect((await api.audit(applied.body.serviceSn, { decision: 'PASS' })).body).toMatchObject({ status: 'PASS', agreedFen: 500 });
    await waitForAfterSale(system, applied.body.serviceSn, 'COMPLETED', 60_000);

    const refunds = await settledRefunds(order);
    expect(refunds.reduce((s, r) => s + r.refund_fen, 0)).toBe(5000);
    expect(await system.sim.moneyMoved(order.outTradeNo)).toMatchObject({ refundedFen: 5000, refunds: 3 });
  });
});
