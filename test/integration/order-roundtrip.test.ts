import { OrderStatus } from '../../domain';
import { orderStateQuery } from '../../workflows/order.contract';
import { TestSystem, eventually, startTestSystem } from '../support/system';
import { goodsRow, newSellerId, recordHistory, seedGoods } from '../support/fixtures';

/** API → order workflow → activities → MySQL, on a real Temporal server and MariaDB. */
describe('order round trip (cash on delivery)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('creates a trade, runs the order workflow to COMPLETE and keeps stock, sales and the log exact', async () => {
    const sellerId = newSellerId();
    const buyerId = 501;
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 12900, stock: 5 });
    const buyer = system.token('buyer', buyerId);
    const seller = system.token('seller', sellerId);

    const created = await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 2 }], paymentType: 'COD' } });
    expect(created.status).toBe(201);
    expect(created.body.totalFen).toBe(25800);
    const { orderSn, workflowId } = created.body.orders[0];
    expect(workflowId).toBe(`order-${orderSn}`);
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 5, available_quantity: 3, sales_count: 0 });

    const confirmed = await eventually(async () => {
      const res = await system.http('GET', `/orders/${orderSn}`, { token: seller });
      return res.body.order?.orderStatus === OrderStatus.CONFIRM ? res.body : undefined;
    }, 30_000, 'order CONFIRM');
    expect(confirmed.log.map((row: { newStatus: string }) => row.newStatus)).toEqual([OrderStatus.CONFIRM]);
    expect(confirmed.workflow.temporalUiUrl).toContain(encodeURIComponent(workflowId));

    const shipped = await system.http('POST', `/orders/${orderSn}/shipment`, { token: seller, body: { carrier: 'SF Express', trackingNo: 'SF1234567890' } });
    expect(shipped).toEqual({ status: 200, body: { orderSn, status: OrderStatus.SHIPPED } });
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 3, available_quantity: 3, sales_count: 0 });

    // Shipping twice is refused by the flow table and changes nothing.
    const again = await system.http('POST', `/orders/${orderSn}/shipment`, { token: seller, body: { carrier: 'SF Express', trackingNo: 'SF1234567890' } });
    expect(again.status).toBe(409);

    expect((await system.http('POST', `/orders/${orderSn}/receipt`, { token: buyer })).body.status).toBe(OrderStatus.ROG);
    expect((await system.http('POST', `/orders/${orderSn}/cash-collected`, { token: seller })).body.status).toBe(OrderStatus.PAID_OFF);
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 3, available_quantity: 3, sales_count: 2 });
    const admin = system.token('admin', 1);
    expect((await system.http('POST', `/orders/${orderSn}/completion`, { token: admin })).body.status).toBe(OrderStatus.COMPLETE);

    const handle = system.temporal.workflow.getHandle(workflowId);
    // The workflow stays on for the comment / complaint / after-sale windows; its state is COMPLETE.
    expect((await handle.query(orderStateQuery)).status).toBe(OrderStatus.COMPLETE);
    const [row] = await system.dataSource.query('SELECT order_status, pay_status, ship_status, paid_fen FROM orders WHERE order_sn = ?', [orderSn]);
    expect(row).toEqual({ order_status: 'COMPLETE', pay_status: 'PAY_YES', ship_status: 'SHIP_ROG', paid_fen: 25800 });
    const log = await system.dataSource.query('SELECT operation, old_status, new_status, actor_role FROM order_log WHERE order_sn = ? ORDER BY id', [orderSn]);
    expect(log).toEqual([
      { operation: 'CONFIRM', old_status: 'NEW', new_status: 'CONFIRM', actor_role: 'SYSTEM' },
      { operation: 'SHIP', old_status: 'CONFIRM', new_status: 'SHIPPED', actor_role: 'SELLER' },
      { operation: 'ROG', old_status: 'SHIPPED', new_status: 'ROG', actor_role: 'BUYER' },
      { operation: 'PAY', old_status: 'ROG', new_status: 'PAID_OFF', actor_role: 'SELLER' },
      { operation: 'COMPLETE', old_status: 'PAID_OFF', new_status: 'COMPLETE', actor_role: 'ADMIN' },
    ]);
    await recordHistory(handle, 'order-cod-complete-open');
  });

  it('keeps other parties out and refuses bad input with a clear 4xx', async () => {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 100, stock: 1 });
    const buyer = system.token('buyer', 777);

    expect((await system.http('POST', '/trades', { body: { items: [{ skuId, quantity: 1 }] } })).status).toBe(401);
    expect((await system.http('POST', '/trades', { token: system.token('seller', sellerId), body: { items: [{ skuId, quantity: 1 }] } })).status).toBe(403);
    const priced = await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 1, priceFen: 1 }] } });
    expect(priced.status).toBe(400);
    expect(JSON.stringify(priced.body.errors)).toContain('priceFen should not exist');
    expect((await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 0 }] } })).status).toBe(400);
    expect((await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId: 99999999, quantity: 1 }] } })).status).toBe(422);
    const short = await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 2 }] } });
    expect(short.status).toBe(409);
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 1, available_quantity: 1, sales_count: 0 });

    const created = await system.http('POST', '/trades', { token: buyer, body: { items: [{ skuId, quantity: 1 }] } });
    const { orderSn } = created.body.orders[0];
    expect((await system.http('GET', `/orders/${orderSn}`, { token: system.token('seller', sellerId + 1) })).status).toBe(404);
    expect((await system.http('GET', `/orders/${orderSn}`, { token: system.token('buyer', 778) })).status).toBe(404);
    const foreignShip = await system.http('POST', `/orders/${orderSn}/shipment`, { token: system.token('seller', sellerId + 1), body: { carrier: 'SF', trackingNo: 'SF0001' } });
    expect(foreignShip.status).toBe(404);
    expect((await system.http('GET', `/orders/${orderSn}`, { token: system.token('support', 9) })).status).toBe(200);
  });

  it('replays a retried checkout with the same Idempotency-Key and refuses a different body under it', async () => {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 500, stock: 10 });
    const buyer = system.token('buyer', 901);
    const headers = { 'idempotency-key': `checkout-${sellerId}` };
    const [first, second] = await Promise.all([
      system.http('POST', '/trades', { token: buyer, headers, body: { items: [{ skuId, quantity: 3 }] } }),
      system.http('POST', '/trades', { token: buyer, headers, body: { items: [{ skuId, quantity: 3 }] } }),
    ]);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.tradeSn).toBe(first.body.tradeSn);
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 10, available_quantity: 7, sales_count: 0 });
    const different = await system.http('POST', '/trades', { token: buyer, headers, body: { items: [{ skuId, quantity: 4 }] } });
    expect(different.status).toBe(422);
  });
});
