import type { ProviderName } from '../../payments';
import { OrderStatus } from '../../domain';
import { newSellerId, seedGoods } from './fixtures';
import { payOrder, waitForStatus } from './orders';
import { TestSystem, eventually } from './system';

export interface TwoLineOrder {
  orderSn: string;
  outTradeNo: string;
  sellerId: number;
  buyerId: number;
  orderFen: number;
  /** Line A and line B, as order_item rows. */
  lines: { orderItemId: number; skuId: number; num: number; paidFen: number }[];
}

/**
 * A paid, shipped and received order of two lines for a fresh seller: line A (3 × aFen), line B
 * (3 × bFen), each SKU seeded with 10 units. Shipping `shippingFen` (the shop's flat fee) when given.
 */
export async function receivedTwoLineOrder(system: TestSystem, provider: ProviderName, options: { aFen?: number; bFen?: number; shippingFen?: number; num?: number; receive?: boolean } = {}): Promise<TwoLineOrder> {
  const sellerId = newSellerId();
  const buyerId = sellerId + 500_000;
  const num = options.num ?? 3;
  const skuA = await seedGoods(system.dataSource, { sellerId, name: 'Tea cup', priceFen: options.aFen ?? 1000, stock: 10 });
  const skuB = await seedGoods(system.dataSource, { sellerId, name: 'Teapot', priceFen: options.bFen ?? 2500, stock: 10 });
  if (options.shippingFen) await system.dataSource.query('INSERT INTO shop_shipping (seller_id, shipping_fen) VALUES (?, ?)', [sellerId, options.shippingFen]);
  const created = await system.http('POST', '/trades', { token: system.token('buyer', buyerId), body: { items: [{ skuId: skuA, quantity: num }, { skuId: skuB, quantity: num }], paymentType: 'ONLINE' } });
  if (created.status !== 201) throw new Error(`checkout failed: ${created.status} ${JSON.stringify(created.body)}`);
  const { orderSn, orderFen } = created.body.orders[0];
  await waitForStatus(system, orderSn, OrderStatus.CONFIRM);
  const placed = { orderSn, sellerId, buyerId, skuId: skuA, orderFen };
  const outTradeNo = await payOrder(system, placed, provider);
  const shipped = await system.http('POST', `/orders/${orderSn}/shipment`, { token: system.token('seller', sellerId), body: { carrier: 'SF', trackingNo: `SF${orderSn.slice(-8)}` } });
  if (shipped.status !== 200) throw new Error(`ship failed: ${shipped.status} ${JSON.stringify(shipped.body)}`);
  if (options.receive !== false) {
    await system.http('POST', `/orders/${orderSn}/receipt`, { token: system.token('buyer', buyerId) });
    await waitForStatus(system, orderSn, OrderStatus.ROG);
  }
  const items: { id: number; sku_id: number; num: number; paid_fen: number }[] = await system.dataSource.query('SELECT id, sku_id, num, paid_fen FROM order_item WHERE order_sn = ? ORDER BY sku_id', [orderSn]);
  return { orderSn, outTradeNo, sellerId, buyerId, orderFen, lines: items.map((i) => ({ orderItemId: Number(i.id), skuId: Number(i.sku_id), num: i.num, paidFen: i.paid_fen })) };
}

export async function afterSaleStatus(system: TestSystem, serviceSn: string): Promise<string> {
  const [row] = await system.dataSource.query('SELECT status FROM after_sale WHERE service_sn = ?', [serviceSn]);
  return row?.status;
}

export async function waitForAfterSale(system: TestSystem, serviceSn: string, status: string, timeoutMs = 45_000): Promise<void> {
  await eventually(async () => ((await afterSaleStatus(system, serviceSn)) === status ? true : undefined), timeoutMs, `after-sale ${serviceSn} ${status}`);
}

/** The HTTP calls of an after-sale, by role. */
export function afterSaleApi(system: TestSystem, order: { orderSn: string; buyerId: number; sellerId: number }) {
  const buyer = system.token('buyer', order.buyerId);
  const seller = system.token('seller', order.sellerId);
  const support = system.token('support', 9);
  return {
    buyer,
    seller,
    support,
    apply: (body: Record<string, unknown>, key: string, token = buyer) => system.http('POST', `/orders/${order.orderSn}/after-sales`, { token, headers: { 'idempotency-key': key }, body }),
    list: (token = buyer) => system.http('GET', `/orders/${order.orderSn}/after-sales`, { token }),
    get: (serviceSn: string, token = buyer) => system.http('GET', `/after-sales/${serviceSn}`, { token }),
    audit: (serviceSn: string, body: Record<string, unknown>, token = seller) => system.http('POST', `/after-sales/${serviceSn}/audit`, { token, body }),
    shipBack: (serviceSn: string, token = buyer) => system.http('POST', `/after-sales/${serviceSn}/return-shipment`, { token, body: { carrier: 'YTO', trackingNo: `YT${serviceSn.slice(-8)}` } }),
    receipt: (serviceSn: string, lines: { orderItemId: number; goodNum: number; damagedNum: number }[], token = seller) => system.http('POST', `/after-sales/${serviceSn}/receipt`, { token, body: { lines } }),
    withdraw: (serviceSn: string, token = buyer) => system.http('POST', `/after-sales/${serviceSn}/withdrawal`, { token, body: { reason: 'changed my mind' } }),
    decide: (serviceSn: string, body: Record<string, unknown>, token = support) => system.http('POST', `/support/after-sales/${serviceSn}/decision`, { token, body }),
  };
}

/** Waits until the after-sale's workflow has finished (it tells the order after its last step), e.g. before recording its history. */
export async function afterSaleWorkflowDone(system: TestSystem, serviceSn: string): Promise<void> {
  await system.temporal.workflow.getHandle(`after-sale-${serviceSn}`).result();
}
