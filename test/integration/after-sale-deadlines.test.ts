import { walkPages } from '../support/pages';
import { goodsRow, recordHistory } from '../support/fixtures';
import { afterSaleApi, afterSaleWorkflowDone, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * The after-sale deadlines as timers, with short settings: the seller's silence passes the
 * application at the requested amount, the buyer's silence closes it, and a receipt that never comes
 * (or comes short) goes to support, who decides. Real Temporal, MariaDB and simulator.
 */
describe('after-sale deadlines', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ AFTER_SALE_AUDIT_DEADLINE: '4s', AFTER_SALE_RETURN_DEADLINE: '4s', AFTER_SALE_RECEIPT_DEADLINE: '4s' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('audit deadline → automatic PASS at the requested amount; return-shipping deadline → CLOSED', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: order.lines[1].orderItemId, num: 1 }], reason: 'Wrong size' }, `dl-${order.orderSn}`);
    expect(applied.body).toMatchObject({ status: 'APPLY', requestedFen: 2500, deadline: { action: 'AUDIT_PASS' } });
    await waitForAfterSale(system, applied.body.serviceSn, 'PASS', 20_000);
    const passed = await api.get(applied.body.serviceSn);
    expect(passed.body).toMatchObject({ agreedFen: 2500, deadline: { action: 'EXPIRE' }, workflow: { waitingOn: 'BUYER' } });
    expect(passed.body.log[2]).toMatchObject({ action: 'AUDIT_PASS', actor: 'SYSTEM_TIMER' });
    await waitForAfterSale(system, applied.body.serviceSn, 'CLOSED', 20_000);
    const closed = await api.get(applied.body.serviceSn);
    expect(closed.body).toMatchObject({ closedReason: expect.stringMatching(/AFTER_SALE_RETURN_DEADLINE/), deadline: null });
    expect(closed.body.log.map((l: { action: string }) => l.action)).toEqual(['APPLY', 'OPEN', 'AUDIT_PASS', 'EXPIRE']);
    expect((await system.sim.moneyMoved(order.outTradeNo)).refunds).toBe(0);
    await afterSaleWorkflowDone(system, applied.body.serviceSn);
    await recordHistory(system.temporal.workflow.getHandle(`after-sale-${applied.body.serviceSn}`), 'after-sale-deadlines-closed');
  });

  it('receipt deadline → WAIT_FOR_MANUAL; a short receipt too; support refunds one and closes the other', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a, b] = order.lines;
    const api = afterSaleApi(system, order);
    const lost = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: a.orderItemId, num: 2 }], reason: 'Chipped' }, `lost-${order.orderSn}`);
    const short = await api.apply({ serviceType: 'RETURN_GOODS', lines: [{ orderItemId: b.orderItemId, num: 2 }], reason: 'Chipped' }, `short-${order.orderSn}`);
    for (const x of [lost, short]) {
      expect((await api.audit(x.body.serviceSn, { decision: 'PASS' })).status).toBe(200);
      expect((await api.shipBack(x.body.serviceSn)).status).toBe(200);
    }
    // One unit of B came back damaged, the other never arrived: support decides.
    expect((await api.receipt(short.body.serviceSn, [{ orderItemId: b.orderItemId, goodNum: 0, damagedNum: 1 }])).body).toMatchObject({ status: 'WAIT_FOR_MANUAL', workflow: { waitingOn: 'SUPPORT' } });
    await waitForAfterSale(system, lost.body.serviceSn, 'WAIT_FOR_MANUAL', 20_000);
    const listed = await system.http('GET', '/support/after-sales?status=WAIT_FOR_MANUAL', { token: api.support });
    expect(listed.body.items.map((x: { serviceSn: string }) => x.serviceSn)).toEqual(expect.arrayContaining([lost.body.serviceSn, short.body.serviceSn]));
    // Page by page (one a page): the same after-sales, newest first, each once.
    expect((await walkPages(system, '/v1/support/after-sales?status=WAIT_FOR_MANUAL', api.support, 1)).map((x) => x.serviceSn)).toEqual(listed.body.items.map((x: { serviceSn: string }) => x.serviceSn));
    // Only support decides; a refund above what the lines are worth is refused with the reason.
    expect((await api.decide(lost.body.serviceSn, { action: 'CLOSE', reason: 'x' }, api.seller)).status).toBe(403);
    expect((await api.decide(lost.body.serviceSn, { action: 'REFUND', reason: 'lost by the courier' })).status).toBe(400);
    const over = await api.decide(lost.body.serviceSn, { action: 'REFUND', refundFen: 2001, reason: 'lost by the courier' });
    expect(over.status).toBe(409);
    expect(over.body.detail).toMatch(/exceeds the 2000 fen/);
    expect((await api.decide(lost.body.serviceSn, { action: 'REFUND', refundFen: 2000, reason: 'lost by the courier' })).status).toBe(200);
    expect((await api.decide(short.body.serviceSn, { action: 'CLOSE', reason: 'buyer kept one unit' })).body).toMatchObject({ status: 'CLOSED' });
    await waitForAfterSale(system, lost.body.serviceSn, 'COMPLETED');
    expect(await system.sim.moneyMoved(order.outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: 2000, refunds: 1 });
    // Nothing came back in good condition: no restock; the refunded units' sales are taken back.
    expect(await goodsRow(system.dataSource, a.skuId)).toEqual({ quantity: 7, available_quantity: 7, sales_count: 1 });
    expect(await goodsRow(system.dataSource, b.skuId)).toEqual({ quantity: 7, available_quantity: 7, sales_count: 3 });
    const log = await system.dataSource.query('SELECT action, actor_role FROM after_sale_log WHERE service_sn = ? ORDER BY seq', [lost.body.serviceSn]);
    expect(log.map((l: { action: string; actor_role: string }) => `${l.action}/${l.actor_role}`)).toEqual(['APPLY/BUYER', 'OPEN/SYSTEM', 'AUDIT_PASS/SELLER', 'SHIP_RETURN/BUYER', 'RECEIPT_OVERDUE/SYSTEM_TIMER', 'SUPPORT_REFUND/SUPPORT', 'COMPLETE/SYSTEM']);
    await afterSaleWorkflowDone(system, lost.body.serviceSn);
    await recordHistory(system.temporal.workflow.getHandle(`after-sale-${lost.body.serviceSn}`), 'after-sale-receipt-overdue-support-refund');
  });
});
