import { OrderStatus } from '../../domain';
import { goodsRow, recordHistory } from '../support/fixtures';
import { waitForStatus } from '../support/orders';
import { afterSaleApi, afterSaleWorkflowDone, receivedTwoLineOrder, waitForAfterSale } from '../support/after-sales';
import { TestSystem, startTestSystem } from '../support/system';

/**
 * Exchange and re-ship: the after-sale creates a zero-price linked order (CHANGE / SUPPLY_AGAIN)
 * whose own order workflow ships, is received and completes. Real Temporal, MariaDB and simulator.
 */
describe('after-sale exchange and re-ship', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('an exchange takes the unit back, then a CHANGE order ships the replacement and completes; no money moves', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [a] = order.lines;
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'CHANGE_GOODS', lines: [{ orderItemId: a.orderItemId, num: 1 }], reason: 'Wrong pattern' }, `chg-${order.orderSn}`);
    expect(applied.body).toMatchObject({ status: 'APPLY', requestedFen: 0 });
    const sn: string = applied.body.serviceSn;
    // An exchange refunds nothing: an amount is refused.
    expect((await api.audit(sn, { decision: 'PASS', refundFen: 100 })).status).toBe(409);
    expect((await api.audit(sn, { decision: 'PASS' })).body.status).toBe('PASS');
    await api.shipBack(sn);
    await api.receipt(sn, [{ orderItemId: a.orderItemId, goodNum: 1, damagedNum: 0 }]);
    await waitForAfterSale(system, sn, 'COMPLETED');
    const done = await api.get(sn);
    const linkedSn: string = done.body.linkedOrderSn;
    expect(linkedSn).toMatch(/^O\d+/);
    const [linked] = await system.dataSource.query('SELECT order_type, order_fen, source_order_sn FROM orders WHERE order_sn = ?', [linkedSn]);
    expect(linked).toEqual({ order_type: 'CHANGE', order_fen: 0, source_order_sn: order.orderSn });

    await waitForStatus(system, linkedSn, OrderStatus.CONFIRM);
    expect((await system.http('POST', `/orders/${linkedSn}/shipment`, { token: api.seller, body: { carrier: 'SF', trackingNo: 'SFCHANGE1' } })).status).toBe(200);
    expect((await system.http('POST', `/orders/${linkedSn}/receipt`, { token: api.buyer })).status).toBe(200);
    await waitForStatus(system, linkedSn, OrderStatus.ROG);
    expect((await system.http('POST', `/orders/${linkedSn}/completion`, { token: system.token('admin', 1) })).status).toBe(200);
    await waitForStatus(system, linkedSn, OrderStatus.COMPLETE);

    // The good unit came back on the shelf, the replacement left it: on hand and available as after the sale.
    const stock = await goodsRow(system.dataSource, a.skuId);
    expect({ quantity: stock.quantity, available: stock.available_quantity }).toEqual({ quantity: 7, available: 7 });
    expect((await system.sim.moneyMoved(order.outTradeNo)).refunds).toBe(0);
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM refund WHERE order_sn = ?', [order.orderSn]);
    expect(Number(n)).toBe(0);
    await afterSaleWorkflowDone(system, sn);
    await recordHistory(system.temporal.workflow.getHandle(`after-sale-${sn}`), 'after-sale-exchange');
  });

  it('a re-ship creates a SUPPLY_AGAIN order right after the pass, nothing comes back', async () => {
    const order = await receivedTwoLineOrder(system, 'alipay');
    const [, b] = order.lines;
    const api = afterSaleApi(system, order);
    const applied = await api.apply({ serviceType: 'SUPPLY_AGAIN_GOODS', lines: [{ orderItemId: b.orderItemId, num: 2 }], reason: 'Two missing from the parcel' }, `sup-${order.orderSn}`);
    const sn: string = applied.body.serviceSn;
    // Nothing is shipped back for a re-ship.
    expect((await api.audit(sn, { decision: 'PASS' })).status).toBe(200);
    await waitForAfterSale(system, sn, 'COMPLETED');
    expect((await api.shipBack(sn)).status).toBe(409);
    const linkedSn: string = (await api.get(sn)).body.linkedOrderSn;
    const items = await system.dataSource.query('SELECT o.order_type, i.sku_id, i.num, i.paid_fen FROM orders o JOIN order_item i ON i.order_sn = o.order_sn WHERE o.order_sn = ?', [linkedSn]);
    expect(items).toEqual([{ order_type: 'SUPPLY_AGAIN', sku_id: b.skuId, num: 2, paid_fen: 0 }]);
    await waitForStatus(system, linkedSn, OrderStatus.CONFIRM);
    expect((await goodsRow(system.dataSource, b.skuId)).available_quantity).toBe(5);
    const log = await system.dataSource.query('SELECT action FROM after_sale_log WHERE service_sn = ? ORDER BY seq', [sn]);
    expect(log.map((l: { action: string }) => l.action)).toEqual(['APPLY', 'OPEN', 'AUDIT_PASS', 'COMPLETE']);
  });
});
