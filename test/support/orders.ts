import type { ProviderName } from '../../payments';
import { OrderStatus } from '../../domain';
import { TestSystem, eventually } from './system';
import { newSellerId, seedGoods } from './fixtures';

export interface PlacedOrder {
  orderSn: string;
  outTradeNo?: string;
  sellerId: number;
  buyerId: number;
  skuId: number;
  orderFen: number;
}

export async function orderStatus(system: TestSystem, orderSn: string): Promise<string> {
  const [row] = await system.dataSource.query('SELECT order_status FROM orders WHERE order_sn = ?', [orderSn]);
  return row?.order_status;
}

/** A buyer checks out one SKU (seeded for a fresh seller) and the order workflow confirms it. */
export async function placeOrder(system: TestSystem, options: { priceFen?: number; stock?: number; quantity?: number; paymentType?: 'ONLINE' | 'COD' } = {}): Promise<PlacedOrder> {
  const sellerId = newSellerId();
  const buyerId = sellerId + 500_000;
  const skuId = await seedGoods(system.dataSource, { sellerId, priceFen: options.priceFen ?? 12900, stock: options.stock ?? 10 });
  const created = await system.http('POST', '/trades', {
    token: system.token('buyer', buyerId),
    body: { items: [{ skuId, quantity: options.quantity ?? 2 }], paymentType: options.paymentType ?? 'ONLINE' },
  });
  if (created.status !== 201) throw new Error(`checkout failed: ${created.status} ${JSON.stringify(created.body)}`);
  const { orderSn, orderFen } = created.body.orders[0];
  await eventually(async () => ((await orderStatus(system, orderSn)) === OrderStatus.CONFIRM ? true : undefined), 30_000, `order ${orderSn} CONFIRM`);
  return { orderSn, sellerId, buyerId, skuId, orderFen };
}

/** …and pays it through the provider (the simulator plays the buyer scanning), confirmed by the signed notification. */
export async function placePaidOrder(system: TestSystem, provider: ProviderName, options: Parameters<typeof placeOrder>[1] = {}): Promise<PlacedOrder & { outTradeNo: string }> {
  const order = await placeOrder(system, options);
  const payment = await system.http('POST', `/orders/${order.orderSn}/payment`, { token: system.token('buyer', order.buyerId), body: { provider } });
  if (payment.status !== 201) throw new Error(`payment failed: ${payment.status} ${JSON.stringify(payment.body)}`);
  if (provider === 'alipay') {
    // The buyer's browser posts the signed cashier form to Alipay, which opens the cashier page.
    const form = new URLSearchParams(payment.body.formItems.map((item: { name: string; value: string }) => [item.name, item.value]));
    const cashier = await fetch(payment.body.gatewayUrl, { method: 'POST', body: form });
    if (!cashier.ok) throw new Error(`Alipay cashier refused the form: ${cashier.status} ${await cashier.text()}`);
  }
  await system.sim.payTrade(payment.body.outTradeNo, provider);
  await eventually(async () => ((await orderStatus(system, order.orderSn)) === OrderStatus.PAID_OFF ? true : undefined), 30_000, `order ${order.orderSn} PAID_OFF`);
  return { ...order, outTradeNo: payment.body.outTradeNo };
}
