import { Actor, FlowType, OrderOperate, OrderStatus, checkOperation } from '../../domain';
import type { ProviderName } from '../../payments';
import { goodsRow, newSellerId, recordHistory, seedGoods } from '../support/fixtures';
import { PlacedOrder, orderStatus, payOrder, placeOrder, placePaidOrder, startPayment, waitForStatus } from '../support/orders';
import { TestSystem, eventually, startTestSystem } from '../support/system';

const operationLog = (system: TestSystem, orderSn: string) =>
  system.dataSource.query('SELECT operation, old_status AS `from`, new_status AS `to`, actor_role AS actor FROM order_log WHERE order_sn = ? AND new_status IS NOT NULL ORDER BY id', [orderSn]);

/** The order's life through HTTP, on real Temporal + MariaDB + the payment simulator. */
describe('order lifecycle', () => {
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

  const seller = (order: PlacedOrder) => system.token('seller', order.sellerId);
  const buyer = (order: PlacedOrder) => system.token('buyer', order.buyerId);
  const admin = () => system.token('admin', 1);

  it.each<ProviderName>(['wechatpay', 'alipay'])('runs an online order paid with %s to COMPLETE', async (provider) => {
    const order = await placePaidOrder(system, provider);
    expect((await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: seller(order), body: { carrier: 'SF', trackingNo: 'SF10001' } })).body.status).toBe('SHIPPED');
    expect((await system.http('POST', `/orders/${order.orderSn}/receipt`, { token: buyer(order) })).body.status).toBe('ROG');
    expect((await system.http('POST', `/orders/${order.orderSn}/completion`, { token: admin() })).body.status).toBe('COMPLETE');
    expect(await operationLog(system, order.orderSn)).toEqual([
      { operation: 'CONFIRM', from: 'NEW', to: 'CONFIRM', actor: 'SYSTEM' },
      { operation: 'PAY', from: 'CONFIRM', to: 'PAID_OFF', actor: 'PAYMENT_CALLBACK' },
      { operation: 'SHIP', from: 'PAID_OFF', to: 'SHIPPED', actor: 'SELLER' },
      { operation: 'ROG', from: 'SHIPPED', to: 'ROG', actor: 'BUYER' },
      { operation: 'COMPLETE', from: 'ROG', to: 'COMPLETE', actor: 'ADMIN' },
    ]);
    // Stock reserved at checkout, taken at shipment; sales counted at payment.
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 2 });
    const [row] = await system.dataSource.query('SELECT pay_status, payment_provider, paid_fen, pay_order_no FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toMatchObject({ pay_status: 'PAY_YES', payment_provider: provider, paid_fen: order.orderFen });
    expect(row.pay_order_no).toBeTruthy();
    const shown = await system.http('GET', `/orders/${order.orderSn}`, { token: buyer(order) });
    expect(shown.body.workflow.state.status).toBe('COMPLETE');
    await recordHistory(system.temporal.workflow.getHandle(`order-${order.orderSn}`), `order-online-complete-${provider}`);
  });

  it('forms a group buy when its members have paid (one per provider), then ships each order', async () => {
    const first = await placeOrder(system, { quantity: 1, groupBuy: { size: 2 } });
    expect(first.groupId).toMatch(/^G\d{20}$/);
    const second = await placeOrder(system, { quantity: 1, sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId + 1, groupBuy: { groupId: first.groupId } });
    await payOrder(system, first, 'wechatpay');
    // A paid group-buy order may not ship before the group forms.
    const early = await system.http('POST', `/orders/${first.orderSn}/shipment`, { token: seller(first), body: { carrier: 'SF', trackingNo: 'SF20001' } });
    expect(early.status).toBe(409);
    await system.sim.payTrade(await startPayment(system, second, 'alipay'), 'alipay');
    await waitForStatus(system, first.orderSn, OrderStatus.FORMED);
    await waitForStatus(system, second.orderSn, OrderStatus.FORMED);
    const group = await system.http('GET', `/groups/${first.groupId}`, { token: buyer(first) });
    expect(group.body).toMatchObject({ status: 'FORMED', size: 2 });
    for (const order of [first, second]) {
      expect((await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: seller(order), body: { carrier: 'SF', trackingNo: 'SF20002' } })).body.status).toBe('SHIPPED');
      expect((await system.http('POST', `/orders/${order.orderSn}/receipt`, { token: buyer(order) })).body.status).toBe('ROG');
      expect((await system.http('POST', `/orders/${order.orderSn}/completion`, { token: admin() })).body.status).toBe('COMPLETE');
    }
    const groupWorkflow = system.temporal.workflow.getHandle(`group-${first.groupId}`);
    expect((await groupWorkflow.result()).status).toBe('FORMED');
    await recordHistory(groupWorkflow, 'group-buy-formed');
    await recordHistory(system.temporal.workflow.getHandle(`order-${first.orderSn}`), 'order-pintuan-complete');
  });

  it('refunds every paid member when a group does not form before its deadline', async () => {
    const first = await placeOrder(system, { quantity: 1, groupBuy: { size: 3 } });
    const second = await placeOrder(system, { quantity: 1, sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId + 1, groupBuy: { groupId: first.groupId } });
    const unpaid = await placeOrder(system, { quantity: 1, sku: { skuId: first.skuId, sellerId: first.sellerId }, buyerId: first.buyerId + 2, groupBuy: { groupId: first.groupId } });
    const firstTrade = await payOrder(system, first, 'wechatpay');
    const secondTrade = await payOrder(system, second, 'alipay');
    for (const order of [first, second, unpaid]) await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED, 45_000);
    for (const [order, trade] of [[first, firstTrade], [second, secondTrade]] as const) {
      await eventually(async () => {
        const [row] = await system.dataSource.query('SELECT pay_status FROM orders WHERE order_sn = ?', [order.orderSn]);
        return row.pay_status === 'REFUNDED' ? true : undefined;
      }, 45_000, `${order.orderSn} refunded`);
      expect(await system.sim.moneyMoved(trade)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
    }
    // Every member's stock is back; the group is recorded as failed.
    await eventually(async () => {
      const goods = await goodsRow(system.dataSource, first.skuId);
      return goods.available_quantity === 10 && goods.sales_count === 0 ? true : undefined;
    }, 30_000, 'stock restored');
    const [group] = await system.dataSource.query('SELECT status FROM group_buy WHERE group_id = ?', [first.groupId]);
    expect(group.status).toBe('FAILED');
    // Each member's cancel, decided by its order workflow, ran in that order's own cancellation workflow.
    for (const order of [first, second, unpaid]) expect(await system.temporal.workflow.getHandle(`cancel-${order.orderSn}`).result()).toMatchObject({ outcome: 'COMPLETED' });
    await recordHistory(system.temporal.workflow.getHandle(`group-${first.groupId}`), 'group-buy-failed');
    await recordHistory(system.temporal.workflow.getHandle(`cancel-${first.orderSn}`), 'cancellation-asks-order-group-failed-paid');
  });

  it('sells exactly the stock to 50 concurrent buyers of one SKU with stock 10', async () => {
    const sellerId = newSellerId();
    const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: 990, stock: 10 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => system.http('POST', '/trades', { token: system.token('buyer', 70_000 + i), body: { items: [{ skuId, quantity: 1 }] } })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(40);
    expect(answers.find((a) => a.status === 409)!.body.detail).toContain('not enough stock');
    expect(await goodsRow(system.dataSource, skuId)).toEqual({ quantity: 10, available_quantity: 0, sales_count: 0 });
    const [{ reserved }] = await system.dataSource.query(`SELECT SUM(quantity) AS reserved FROM stock_movement WHERE sku_id = ? AND kind = 'RESERVE'`, [skuId]);
    expect(Number(reserved)).toBe(-10);
    const [{ orders }] = await system.dataSource.query('SELECT COUNT(*) AS orders FROM order_item WHERE sku_id = ?', [skuId]);
    expect(Number(orders)).toBe(10);
  });

  it('refunds a payment that lands while the order is being cancelled, and the order stays CANCELLED', async () => {
    const order = await placeOrder(system);
    const outTradeNo = await startPayment(system, order, 'wechatpay');
    // The buyer pays, but the provider's notification is late: our books still say unpaid.
    await system.sim.controlNotifications({ mode: 'delay', provider: 'wechatpay', kind: 'payment', delayMs: 4000, count: 1 });
    await system.sim.payTrade(outTradeNo, 'wechatpay');
    const cancelled = await system.http('POST', `/orders/${order.orderSn}/cancellations`, { token: buyer(order), headers: { 'idempotency-key': 'changed-my-mind' }, body: { reason: 'changed my mind' } });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.refunding).toBe(false);
    await eventually(async () => ((await system.sim.moneyMoved(outTradeNo)).refunds === 1 ? true : undefined), 45_000, 'late payment refunded');
    // The late notification arrives afterwards and changes nothing.
    await system.sim.waitForNotifications((log) => log.some((n) => n.outTradeNo === outTradeNo && n.kind === 'payment' && n.acked), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await system.sim.moneyMoved(outTradeNo)).toEqual({ capturedFen: order.orderFen, refundedFen: order.orderFen, refunds: 1 });
    expect(await orderStatus(system, order.orderSn)).toBe('CANCELLED');
    const [payment] = await system.dataSource.query('SELECT status, paid_after_cancel FROM payment WHERE out_trade_no = ?', [outTradeNo]);
    expect(payment).toEqual({ status: 'REFUNDED', paid_after_cancel: 1 });
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 10, available_quantity: 10, sales_count: 0 });
    expect((await operationLog(system, order.orderSn)).map((r: { operation: string }) => r.operation)).toEqual(['CONFIRM', 'CANCEL']);
  });

  it('applies a payment once however often it is notified, and refunds a second payment by another route', async () => {
    const order = await placeOrder(system);
    await system.sim.controlNotifications({ mode: 'duplicate', provider: 'wechatpay', kind: 'payment', times: 3, count: 1 });
    const wechatTrade = await startPayment(system, order, 'wechatpay');
    const alipayTrade = await startPayment(system, order, 'alipay');
    await system.sim.payTrade(wechatTrade, 'wechatpay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
    await system.sim.waitForNotifications((log) => log.filter((n) => n.outTradeNo === wechatTrade && n.acked).length >= 3, 20_000);
    // The buyer also paid with Alipay in another tab: that money goes back, the order keeps its first payment.
    await system.sim.payTrade(alipayTrade, 'alipay');
    await eventually(async () => ((await system.sim.moneyMoved(alipayTrade)).refunds === 1 ? true : undefined), 45_000, 'second payment refunded');
    expect(await system.sim.moneyMoved(wechatTrade)).toEqual({ capturedFen: order.orderFen, refundedFen: 0, refunds: 0 });
    expect((await operationLog(system, order.orderSn)).filter((r: { operation: string }) => r.operation === 'PAY')).toHaveLength(1);
    const [{ sales }] = await system.dataSource.query(`SELECT COUNT(*) AS sales FROM stock_movement WHERE order_sn = ? AND kind = 'SALE'`, [order.orderSn]);
    expect(Number(sales)).toBe(1);
    expect(await goodsRow(system.dataSource, order.skuId)).toMatchObject({ sales_count: 2 });
    expect(await orderStatus(system, order.orderSn)).toBe('PAID_OFF');
  });

  it('rejects a notification whose amount differs from the payment, then accepts the genuine one', async () => {
    const order = await placeOrder(system);
    const outTradeNo = await startPayment(system, order, 'alipay');
    await system.sim.controlNotifications({ mode: 'forge', provider: 'alipay', kind: 'payment', forge: 'tampered-amount', count: 1 });
    await system.sim.payTrade(outTradeNo, 'alipay');
    await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
    const log = await system.sim.waitForNotifications((l) => l.filter((n) => n.outTradeNo === outTradeNo).length >= 2, 20_000);
    const mine = log.filter((n) => n.outTradeNo === outTradeNo);
    expect(mine[0]).toMatchObject({ status: 400, acked: false });
    expect(mine.some((n) => n.status === 200 && n.acked)).toBe(true);
    const [{ n }] = await system.dataSource.query('SELECT COUNT(*) AS n FROM provider_notification WHERE out_trade_no = ?', [outTradeNo]);
    expect(Number(n)).toBe(1);
    const [row] = await system.dataSource.query('SELECT paid_fen FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row.paid_fen).toBe(order.orderFen);
  });

  it('refuses every operation the table does not allow in the current status, changing nothing', async () => {
    const ship = (o: PlacedOrder) => system.http('POST', `/orders/${o.orderSn}/shipment`, { token: seller(o), body: { carrier: 'SF', trackingNo: 'SF30001' } });
    const receive = (o: PlacedOrder) => system.http('POST', `/orders/${o.orderSn}/receipt`, { token: buyer(o) });
    const collect = (o: PlacedOrder) => system.http('POST', `/orders/${o.orderSn}/cash-collected`, { token: seller(o) });
    const complete = (o: PlacedOrder) => system.http('POST', `/orders/${o.orderSn}/completion`, { token: admin() });
    const cancel = (o: PlacedOrder) => system.http('POST', `/orders/${o.orderSn}/cancellations`, { token: seller(o), headers: { 'idempotency-key': `t-${o.orderSn}` }, body: { reason: 'table test' } });

    // One order in each reachable status of each flow.
    const orders: { flow: FlowType; status: OrderStatus; order: PlacedOrder }[] = [];
    const online = async (upTo: OrderStatus) => {
      const o = await placeOrder(system);
      if (upTo !== OrderStatus.CONFIRM) await payOrder(system, o, 'wechatpay');
      if (([OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE] as OrderStatus[]).includes(upTo)) await ship(o);
      if (([OrderStatus.ROG, OrderStatus.COMPLETE] as OrderStatus[]).includes(upTo)) await receive(o);
      if (upTo === OrderStatus.COMPLETE) await complete(o);
      orders.push({ flow: FlowType.ONLINE, status: upTo, order: o });
    };
    const cod = async (upTo: OrderStatus) => {
      const o = await placeOrder(system, { paymentType: 'COD' });
      if (upTo !== OrderStatus.CONFIRM) await ship(o);
      if (([OrderStatus.ROG, OrderStatus.PAID_OFF, OrderStatus.COMPLETE] as OrderStatus[]).includes(upTo)) await receive(o);
      if (([OrderStatus.PAID_OFF, OrderStatus.COMPLETE] as OrderStatus[]).includes(upTo)) await collect(o);
      if (upTo === OrderStatus.COMPLETE) await complete(o);
      orders.push({ flow: FlowType.COD, status: upTo, order: o });
    };
    for (const status of [OrderStatus.CONFIRM, OrderStatus.PAID_OFF, OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.COMPLETE]) await online(status);
    for (const status of [OrderStatus.CONFIRM, OrderStatus.SHIPPED, OrderStatus.ROG, OrderStatus.PAID_OFF, OrderStatus.COMPLETE]) await cod(status);
    const cancelled = await placeOrder(system);
    expect((await cancel(cancelled)).status).toBe(202);
    await waitForStatus(system, cancelled.orderSn, OrderStatus.CANCELLED);
    orders.push({ flow: FlowType.ONLINE, status: OrderStatus.CANCELLED, order: cancelled });
    // The group (GROUP_BUY_DEADLINE 6 s) fails and cancels its member when the deadline passes: the
    // group-buy order is placed last and checked first, well inside that window.
    const pintuan = await placeOrder(system, { quantity: 1, groupBuy: { size: 5 } });
    await payOrder(system, pintuan, 'wechatpay');
    orders.unshift({ flow: FlowType.PINTUAN, status: OrderStatus.PAID_OFF, order: pintuan });

    const operations: { operation: OrderOperate; actor: Actor; call: (o: PlacedOrder) => Promise<{ status: number }> }[] = [
      { operation: OrderOperate.SHIP, actor: Actor.SELLER, call: ship },
      { operation: OrderOperate.ROG, actor: Actor.BUYER, call: receive },
      { operation: OrderOperate.PAY, actor: Actor.SELLER, call: collect },
      { operation: OrderOperate.COMPLETE, actor: Actor.ADMIN, call: complete },
    ];
    let refusals = 0;
    for (const { flow, status, order } of orders) {
      expect(await orderStatus(system, order.orderSn)).toBe(status);
      const before = await system.dataSource.query('SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ?', [order.orderSn]);
      for (const { operation, actor, call } of operations) {
        if (checkOperation({ flow, status, operation, actor }).allowed) continue;
        const answer = await call(order);
        expect({ flow, status, operation, http: answer.status }).toEqual({ flow, status, operation, http: 409 });
        refusals += 1;
      }
      const cancelAs = status === OrderStatus.CONFIRM ? OrderOperate.CANCEL : OrderOperate.SERVICE_CANCEL;
      if (!checkOperation({ flow, status, operation: cancelAs, actor: Actor.SELLER }).allowed && status !== OrderStatus.CANCELLED) {
        expect({ flow, status, cancel: (await cancel(order)).status }).toEqual({ flow, status, cancel: 409 });
        refusals += 1;
      }
      expect(await orderStatus(system, order.orderSn)).toBe(status);
      expect(await system.dataSource.query('SELECT COUNT(*) AS n FROM order_log WHERE order_sn = ?', [order.orderSn])).toEqual(before);
    }
    expect(refusals).toBeGreaterThanOrEqual(30);
  });
});

/** The per-order timers that replace the daily batch, with their durations shortened to seconds. */
describe('order timers', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      CANCEL_ORDER_DAY: '4s',
      ROG_ORDER_DAY: '2s',
      COMPLETE_ORDER_DAY: '2s',
      COMPLETE_ORDER_PAY: '2s',
      COMMENT_ORDER_DAY: '3s',
      COMPLAIN_EXPIRED_DAY: '3s',
      SERVICE_EXPIRED_DAY: '4s',
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('cancels an unpaid order after cancel_order_day and releases its stock', async () => {
    const order = await placeOrder(system);
    await waitForStatus(system, order.orderSn, OrderStatus.CANCELLED, 30_000);
    expect(await operationLog(system, order.orderSn)).toEqual([
      { operation: 'CONFIRM', from: 'NEW', to: 'CONFIRM', actor: 'SYSTEM' },
      { operation: 'CANCEL', from: 'CONFIRM', to: 'CANCELLED', actor: 'SYSTEM_TIMER' },
    ]);
    await eventually(async () => ((await goodsRow(system.dataSource, order.skuId)).available_quantity === 10 ? true : undefined), 20_000, 'stock released');
    // The timer's cancel is the order's own decision; the give-back is the same cancellation workflow's, started as a child.
    const cancellation = system.temporal.workflow.getHandle(`cancel-${order.orderSn}`);
    expect(await cancellation.result()).toMatchObject({ outcome: 'COMPLETED' });
    const [request] = await system.dataSource.query('SELECT actor_role, status FROM cancellation_request WHERE order_sn = ?', [order.orderSn]);
    expect(request).toEqual({ actor_role: 'SYSTEM_TIMER', status: 'COMPLETED' });
    await recordHistory(cancellation, 'cancellation-asks-order-timer');
    await recordHistory(system.temporal.workflow.getHandle(`order-${order.orderSn}`), 'order-cancelled-by-timer-with-its-cancellation');
  });

  it('receives, completes and closes the windows of a shipped order on its own, then the workflow ends', async () => {
    const order = await placePaidOrder(system, 'wechatpay');
    await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: 'SF40001' } });
    const handle = system.temporal.workflow.getHandle(`order-${order.orderSn}`);
    const final = await handle.result();
    expect(final.status).toBe('COMPLETE');
    expect((await operationLog(system, order.orderSn)).slice(2)).toEqual([
      { operation: 'SHIP', from: 'PAID_OFF', to: 'SHIPPED', actor: 'SELLER' },
      { operation: 'ROG', from: 'SHIPPED', to: 'ROG', actor: 'SYSTEM_TIMER' },
      { operation: 'COMPLETE', from: 'ROG', to: 'COMPLETE', actor: 'SYSTEM_TIMER' },
    ]);
    const [row] = await system.dataSource.query('SELECT comment_status, complain_status, service_status FROM orders WHERE order_sn = ?', [order.orderSn]);
    expect(row).toEqual({ comment_status: 'FINISHED', complain_status: 'EXPIRED', service_status: 'EXPIRED' });
    const windows = await system.dataSource.query(`SELECT event_key FROM order_log WHERE order_sn = ? AND operation = 'WINDOW' ORDER BY event_key`, [order.orderSn]);
    expect(windows.map((w: { event_key: string }) => w.event_key)).toEqual(['window:after-sale', 'window:comment', 'window:complaint']);
    await recordHistory(handle, 'order-online-timers');
  });

  it('marks a received cash-on-delivery order paid and completes it', async () => {
    const order = await placeOrder(system, { paymentType: 'COD' });
    await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: 'SF40002' } });
    await waitForStatus(system, order.orderSn, OrderStatus.COMPLETE, 30_000);
    expect((await operationLog(system, order.orderSn)).map((r: { operation: string; actor: string }) => `${r.operation}/${r.actor}`)).toEqual([
      'CONFIRM/SYSTEM', 'SHIP/SELLER', 'ROG/SYSTEM_TIMER', 'PAY/SYSTEM_TIMER', 'COMPLETE/SYSTEM_TIMER',
    ]);
    expect(await goodsRow(system.dataSource, order.skuId)).toEqual({ quantity: 8, available_quantity: 8, sales_count: 2 });
  });

  it('lets the user action that beats a timer win, with exactly one transition', async () => {
    const order = await placePaidOrder(system, 'alipay');
    // Paid before cancel_order_day: the auto-cancel never happens.
    await new Promise((r) => setTimeout(r, 4500));
    expect(await orderStatus(system, order.orderSn)).toBe('PAID_OFF');
    await system.http('POST', `/orders/${order.orderSn}/shipment`, { token: system.token('seller', order.sellerId), body: { carrier: 'SF', trackingNo: 'SF40003' } });
    // The buyer confirms before rog_order_day: one ROG, by the buyer.
    expect((await system.http('POST', `/orders/${order.orderSn}/receipt`, { token: system.token('buyer', order.buyerId) })).body.status).toBe('ROG');
    await waitForStatus(system, order.orderSn, OrderStatus.COMPLETE, 30_000);
    const log = await operationLog(system, order.orderSn);
    expect(log.filter((r: { operation: string }) => r.operation === 'ROG')).toEqual([{ operation: 'ROG', from: 'SHIPPED', to: 'ROG', actor: 'BUYER' }]);
    expect(log.filter((r: { operation: string }) => r.operation === 'CANCEL')).toEqual([]);
  });
});
