import { OrderStatus } from '../../domain';
import { goodsRow, newSellerId, recordHistory, seedGoods } from '../support/fixtures';
import { createActivity } from '../support/group-buys';
import { PlacedOrder, payOrder, placeOrder, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

/**
 * Group-buy activities set up by the seller (issue 23 point 6), through HTTP on real Temporal, MariaDB
 * and the signed simulator: the seller's routes; 50 concurrent joins of an activity whose quota is 10
 * units; the quota given back exactly once; a group short of members at its deadline formed by
 * auto-form, or failed and its paid members refunded once; the order refused for the quota kept with
 * its out-status FAIL and the reason.
 */
describe('group-buy activities', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ GROUP_BUY_DEADLINE: '6s' });
  });
  afterAll(async () => {
    await system?.stop();
  });
  beforeEach(async () => {
    await system.sim.reset();
  });

  const seller = (sellerId: number) => system.token('seller', sellerId);
  const activityOf = async (sellerId: number, id: number) => (await system.http('GET', `/seller/group-buy-activities/${id}`, { token: seller(sellerId) })).body;
  const join = (buyerId: number, skuId: number, groupBuy: { activityId?: number; groupId?: string }) =>
    system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 1 }], groupBuy } });
  const outStatusOf = async (order: { orderSn: string; buyerId: number }) =>
    (await system.http('GET', `/orders/${order.orderSn}`, { token: system.token('buyer', order.buyerId) })).body;
  const quotaEvents = async (orderSn: string, type: string) => {
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM business_event WHERE order_sn = ? AND event_type = ?', [orderSn, type]);
    return Number(n);
  };

  it('lets a seller create, list and end an activity (token or a group-buys:manage key); refusals are problem documents', async () => {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 5000, stock: 20 });
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const body = { skuId, groupPriceFen: 3900, groupSize: 3, endsAt, formWithinSeconds: 600, quotaUnits: 5, limitPerBuyer: 2, autoForm: true };

    const created = await system.http('POST', '/seller/group-buy-activities', { token: seller(sellerId), body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ skuId, groupPriceFen: 3900, groupSize: 3, formWithinSeconds: 600, quotaUnits: 5, takenUnits: 0, limitPerBuyer: 2, autoForm: true, status: 'ACTIVE', open: true });

    const dearer = await system.http('POST', '/seller/group-buy-activities', { token: seller(sellerId), body: { ...body, groupPriceFen: 5001 } });
    expect(dearer.status).toBe(422);
    expect(dearer.headers.get('content-type')).toContain('application/problem+json');
    expect(dearer.body).toMatchObject({ code: 'REQUEST_UNPROCESSABLE', detail: expect.stringContaining('above the SKU') });
    const notMine = await system.http('POST', '/seller/group-buy-activities', { token: seller(newSellerId()), body });
    expect(notMine.status).toBe(404);
    expect(notMine.body.code).toBe('NOT_FOUND');

    const key = async (scopes: string[]) => (await system.http('POST', '/seller/api-keys', { token: seller(sellerId), body: { name: `group buys ${scopes}`, scopes } })).body.key as string;
    const listed = await system.http('GET', '/seller/group-buy-activities', { token: await key(['group-buys:manage']) });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { id: number }) => a.id)).toEqual([created.body.id]);
    const denied = await system.http('GET', '/seller/group-buy-activities', { token: await key(['orders:read']) });
    expect(denied).toMatchObject({ status: 403, body: { code: 'INSUFFICIENT_SCOPE' } });

    // A group opens only inside an activity; an ended activity takes no one.
    const buyerId = sellerId + 500_000;
    const bare = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId, quantity: 1 }], groupBuy: {} } });
    expect(bare).toMatchObject({ status: 422, body: { code: 'REQUEST_UNPROCESSABLE' } });
    const ended = await system.http('POST', `/seller/group-buy-activities/${created.body.id}/end`, { token: seller(sellerId) });
    expect(ended.body).toMatchObject({ status: 'ENDED', open: false });
    const late = await join(buyerId, skuId, { activityId: created.body.id });
    expect(late).toMatchObject({ status: 409, body: { code: 'GROUP_BUY_ACTIVITY_INACTIVE' } });
  });

  it('50 concurrent joins of an activity with a quota of 10 units: exactly 10 taken, 40 refused GROUP_BUY_QUOTA_EXHAUSTED with their orders kept FAIL', async () => {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 5000, stock: 100 });
    // Each join opens its own group of 2, with an hour to fill: none ends during the test.
    const activityId = await createActivity(system, sellerId, { skuId, groupPriceFen: 3900, groupSize: 2, quotaUnits: 10, limitPerBuyer: 1, formWithinSeconds: 3600 });
    const buyers = Array.from({ length: 50 }, (_, i) => 80_000 + sellerId % 1000 * 50 + i);
    const answers = await Promise.all(buyers.map((buyerId) => join(buyerId, skuId, { activityId })));

    const accepted = answers.flatMap((a, i) => (a.status === 201 ? [{ orderSn: a.body.orders[0].orderSn as string, orderFen: a.body.orders[0].orderFen as number, buyerId: buyers[i] }] : []));
    const refused = answers.flatMap((a, i) => (a.status === 409 ? [{ body: a.body, buyerId: buyers[i] }] : []));
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const { body } of refused) {
      expect(body).toMatchObject({ code: 'GROUP_BUY_QUOTA_EXHAUSTED', orderSn: expect.stringMatching(/^O/), tradeSn: expect.stringMatching(/^T/) });
      expect(body.detail).toMatch(new RegExp(`activity ${activityId} quota exhausted: 1 unit\\(s\\) asked, 0 of 10 left`));
    }
    expect(accepted.every((o) => o.orderFen === 3900)).toBe(true); // the group price, not the SKU's 5000
    expect(await activityOf(sellerId, activityId)).toMatchObject({ quotaUnits: 10, takenUnits: 10 });
    const [{ units }] = await system.dataSource.query('SELECT SUM(units) AS units FROM group_buy_activity_quota WHERE activity_id = ? AND returned_at IS NULL', [activityId]);
    expect(Number(units)).toBe(10);
    // Only the accepted orders reserved goods stock.
    expect(await goodsRow(system.dataSource, skuId)).toMatchObject({ quantity: 100, available_quantity: 90 });

    // Out-status: SUCCESS once each accepted order is confirmed, FAIL with the reason for each refused one.
    for (const order of accepted) await waitForStatus(system, order.orderSn, OrderStatus.CONFIRM);
    for (const order of accepted) {
      expect((await outStatusOf(order)).outStatus).toEqual([expect.objectContaining({ outType: 'GROUPBUY_GOODS', outStatus: 'SUCCESS', reason: null })]);
    }
    const shown = await outStatusOf({ orderSn: refused[0].body.orderSn, buyerId: refused[0].buyerId });
    expect(shown.order).toMatchObject({ orderStatus: 'INTODB_ERROR', payStatus: 'PAY_NO', groupId: null });
    expect(shown.outStatus).toEqual([expect.objectContaining({ outType: 'GROUPBUY_GOODS', outStatus: 'FAIL', reason: expect.stringContaining('quota exhausted') })]);
    const refusedSns = refused.map((r) => r.body.orderSn);
    const [{ failed }] = await system.dataSource.query(`SELECT COUNT(*) AS failed FROM order_out_status WHERE out_status = 'FAIL' AND reason LIKE '%quota exhausted%' AND order_sn IN (?)`, [refusedSns]);
    expect(Number(failed)).toBe(40);
    const [{ closed }] = await system.dataSource.query(`SELECT COUNT(*) AS closed FROM trade WHERE trade_status = 'CANCELLED' AND trade_sn IN (?)`, [refused.map((r) => r.body.tradeSn)]);
    expect(Number(closed)).toBe(40);

    // The limit per buyer is its own refusal.
    const again = await join(accepted[0].buyerId, skuId, { activityId });
    expect(again).toMatchObject({ status: 409, body: { code: 'GROUP_BUY_LIMIT_REACHED' } });

    // A member's order cancelled gives its unit back, once: another buyer may then join.
    const gone = accepted[1];
    const cancel = await system.http('POST', `/orders/${gone.orderSn}/cancellations`, { token: system.token('buyer', gone.buyerId), headers: { 'idempotency-key': `gb-${gone.orderSn}` }, body: { reason: 'changed my mind' } });
    expect(cancel.status).toBe(202);
    await eventually(async () => ((await activityOf(sellerId, activityId)).takenUnits === 9 ? true : undefined), 30_000, 'unit given back');
    await eventually(async () => {
      const [row] = await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [gone.orderSn]);
      return row ? true : undefined;
    }, 30_000, 'cancellation completed');
    expect(await quotaEvents(gone.orderSn, 'group_buy_activity.quota_returned')).toBe(1);
    const newcomer = await join(buyers[49] + 1_000, skuId, { activityId });
    expect(newcomer.status).toBe(201);
    expect(await activityOf(sellerId, activityId)).toMatchObject({ takenUnits: 10 });
  });

  /** Two members pay, one does not, in a group of 3 that cannot fill before its 6 s deadline. */
  async function shortGroup(autoForm: boolean) {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 5000, stock: 10 });
    const activityId = await createActivity(system, sellerId, { skuId, groupPriceFen: 4200, groupSize: 3, quotaUnits: 10, limitPerBuyer: 1, formWithinSeconds: 6, autoForm });
    const sku = { skuId, sellerId };
    const first = await placeOrder(system, { quantity: 1, sku, buyerId: sellerId + 500_000, groupBuy: { activityId } });
    const second = await placeOrder(system, { quantity: 1, sku, buyerId: sellerId + 500_001, groupBuy: { groupId: first.groupId } });
    const unpaid = await placeOrder(system, { quantity: 1, sku, buyerId: sellerId + 500_002, groupBuy: { groupId: first.groupId } });
    expect(await activityOf(sellerId, activityId)).toMatchObject({ takenUnits: 3 });
    const trades = [await payOrder(system, first, 'wechatpay'), await payOrder(system, second, 'alipay')];
    return { sellerId, skuId, activityId, first, second, unpaid, trades, groupId: first.groupId! };
  }

  async function refundedOnce(order: PlacedOrder, outTradeNo: string) {
    await eventually(async () => {
      const [row] = await system.dataSource.query('SELECT pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
      return row.pay_status === 'REFUNDED' ? true : undefined;
    }, 45_000, `${order.orderSn} refunded`);
    expect(order.orderFen).toBe(4200);
    expect(await system.sim.moneyMoved(outTradeNo)).toEqual({ capturedFen: 4200, refundedFen: 4200, refunds: 1 });
    const refunds = await system.dataSource.query('SELECT refund_fen, status FROM refund WHERE order_sn = ?', [order.orderSn]);
    expect(refunds).toEqual([{ refund_fen: 4200, status: 'SUCCESS' }]);
  }

  it('auto-form on: a group short of members at its deadline forms with its paid members; the unpaid one is cancelled and its unit given back', async () => {
    const group = await shortGroup(true);
    const { first, second, unpaid } = group;
    await waitForStatus(system, first.orderSn, OrderStatus.FORMED, 30_000);
    await waitForStatus(system, second.orderSn, OrderStatus.FORMED, 30_000);
    await waitForStatus(system, unpaid.orderSn, OrderStatus.CANCELLED, 30_000);
    const groupWorkflow = system.temporal.workflow.getHandle(`group-${group.groupId}`);
    expect(await groupWorkflow.result()).toMatchObject({ status: 'FORMED', autoFormed: true, size: 3 });
    const [row] = await system.dataSource.query('SELECT status, activity_id FROM group_buy WHERE group_id = ?', [group.groupId]);
    expect({ status: row.status, activityId: Number(row.activity_id) }).toEqual({ status: 'FORMED', activityId: group.activityId });
    await eventually(async () => ((await activityOf(group.sellerId, group.activityId)).takenUnits === 2 ? true : undefined), 30_000, 'unpaid unit given back');
    for (const order of [first, second]) {
      expect((await outStatusOf(order)).outStatus).toEqual([expect.objectContaining({ outType: 'GROUPBUY_GOODS', outStatus: 'SUCCESS' })]);
      expect(await quotaEvents(order.orderSn, 'group_buy_activity.quota_returned')).toBe(0);
    }
    // The formed members' orders ship like any formed group's.
    const shipped = await system.http('POST', `/orders/${first.orderSn}/shipment`, { token: seller(group.sellerId), body: { carrier: 'SF', trackingNo: 'SF30001' } });
    expect(shipped.body.status).toBe('SHIPPED');
    await recordHistory(groupWorkflow, 'group-buy-auto-formed');
  });

  it('auto-form off: the short group fails at its deadline; each paid member refunded exactly once, every unit given back once', async () => {
    const group = await shortGroup(false);
    const { first, second, unpaid } = group;
    for (const order of [first, second, unpaid]) await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED, 45_000);
    await refundedOnce(first, group.trades[0]);
    await refundedOnce(second, group.trades[1]);
    expect(await system.temporal.workflow.getHandle(`group-${group.groupId}`).result()).toMatchObject({ status: 'FAILED' });
    await eventually(async () => ((await activityOf(group.sellerId, group.activityId)).takenUnits === 0 ? true : undefined), 30_000, 'every unit given back');
    for (const order of [first, second, unpaid]) {
      await eventually(async () => {
        const [row] = await system.dataSource.query(`SELECT 1 FROM cancellation_request WHERE order_sn = ? AND status = 'COMPLETED'`, [order.orderSn]);
        return row ? true : undefined;
      }, 45_000, `cancellation of ${order.orderSn} completed`);
      expect(await quotaEvents(order.orderSn, 'group_buy_activity.quota_returned')).toBe(1);
      // The stock was taken (SUCCESS) before the group failed; the cancellation gave it back through the ledger.
      expect((await outStatusOf(order)).outStatus).toEqual([expect.objectContaining({ outStatus: 'SUCCESS' })]);
    }
    expect(await goodsRow(system.dataSource, group.skuId)).toMatchObject({ quantity: 10, available_quantity: 10, sales_count: 0 });
  });
});
