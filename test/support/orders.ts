import type { ProviderName } from '../../payments';
import { OrderStatus } from '../../domain';
import { TestSystem, eventually } from './system';
import { newSellerId, seedGoods } from './fixtures';
import { createActivity } from './group-buys';

export interface PlacedOrder {
  orderSn: string;
  outTradeNo?: string;
  sellerId: number;
  buyerId: number;
  skuId: number;
  orderFen: number;
  groupId?: string;
}

export interface PlaceOrderOptions {
  priceFen?: number;
  stock?: number;
  quantity?: number;
  paymentType?: 'ONLINE' | 'COD';
  /** Buy an existing SKU (e.g. to join a group buy) instead of seeding one for a fresh seller. */
  sku?: { skuId: number; sellerId: number };
  buyerId?: number;
  /**
   * Join a group, open one in an activity, or (`size`) open one in a new activity of the seller's for
   * this SKU at its normal price, no auto-form, its groups given GROUP_BUY_DEADLINE to form.
   */
  groupBuy?: { groupId?: string; activityId?: number; size?: number };
}

export async function orderStatus(system: TestSystem, orderSn: string): Promise<string> {
  const [row] = await system.dataSource.query('SELECT order_status FROM orders WHERE order_sn = ?', [orderSn]);
  return row?.order_status;
}

export async function waitForStatus(system: TestSystem, orderSn: string, status: OrderStatus, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => ((await orderStatus(system, orderSn)) === status ? true : undefined), timeoutMs, `order ${orderSn} ${status}`);
}

/** A buyer checks out one SKU (seeded for a fresh seller unless given) and the order workflow confirms it. */
export async function placeOrder(system: TestSystem, options: PlaceOrderOptions = {}): Promise<PlacedOrder> {
  const sellerId = options.sku?.sellerId ?? newSellerId();
  const buyerId = options.buyerId ?? sellerId + 500_000;
  const priceFen = options.priceFen ?? 12900;
  const skuId = options.sku?.skuId ?? (await seedGoods(system.dataSource, { sellerId, priceFen, stock: options.stock ?? 10 }));
  let groupBuy: { groupId?: string; activityId?: number } | undefined;
  if (options.groupBuy) {
    const { size, ...rest } = options.groupBuy;
    groupBuy = size !== undefined && !rest.groupId && !rest.activityId
      ? { activityId: await createActivity(system, sellerId, { skuId, groupPriceFen: priceFen, groupSize: size, formWithinSeconds: Math.max(1, Math.round(system.config.groupBuyDeadlineMs / 1000)) }) }
      : rest;
  }
  const created = await system.http('POST', '/trades', {
    token: system.token('buyer', buyerId),
    body: { items: [{ skuId, quantity: options.quantity ?? 2 }], paymentType: options.paymentType ?? 'ONLINE', ...(groupBuy ? { groupBuy } : {}) },
  });
  if (created.status !== 201) throw new Error(`checkout failed: ${created.status} ${JSON.stringify(created.body)}`);
  const { orderSn, orderFen, groupId } = created.body.orders[0];
  await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
  return { orderSn, sellerId, buyerId, skuId, orderFen, groupId };
}

/** The buyer pays through the provider (the simulator plays the buyer scanning / using the cashier); returns out_trade_no. */
export async function startPayment(system: TestSystem, order: PlacedOrder, provider: ProviderName): Promise<string> {
  const payment = await system.http('POST', `/orders/${order.orderSn}/payment`, { token: system.token('buyer', order.buyerId), body: { provider } });
  if (payment.status !== 201) throw new Error(`payment failed: ${payment.status} ${JSON.stringify(payment.body)}`);
  if (provider === 'alipay') {
    // The buyer's browser posts the signed cashier form to Alipay, which opens the cashier page.
    const form = new URLSearchParams(payment.body.formItems.map((item: { name: string; value: string }) => [item.name, item.value]));
    const cashier = await fetch(payment.body.gatewayUrl, { method: 'POST', body: form });
    if (!cashier.ok) throw new Error(`Alipay cashier refused the form: ${cashier.status} ${await cashier.text()}`);
  }
  return payment.body.outTradeNo;
}

/** Pays and waits for the signed notification to make the order PAID_OFF. */
export async function payOrder(system: TestSystem, order: PlacedOrder, provider: ProviderName): Promise<string> {
  const outTradeNo = await startPayment(system, order, provider);
  await system.sim.payTrade(outTradeNo, provider);
  await waitForStatus(system, order.orderSn, OrderStatus.PAID_OFF);
  return outTradeNo;
}

export async function placePaidOrder(system: TestSystem, provider: ProviderName, options: PlaceOrderOptions = {}): Promise<PlacedOrder & { outTradeNo: string }> {
  const order = await placeOrder(system, options);
  return { ...order, outTradeNo: await payOrder(system, order, provider) };
}
