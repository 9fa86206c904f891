import type { ProviderName } from '../../payments';
import { OrderStatus } from '../../domain';
import { newSellerId, seedGoods } from './fixtures';
import { waitForStatus } from './orders';
import { TestSystem, eventually } from './system';

export interface TwoShopTrade {
  tradeSn: string;
  buyerId: number;
  totalFen: number;
  /** One order per shop, by order number. */
  orders: { orderSn: string; sellerId: number; orderFen: number; skuIds: number[] }[];
}

/**
 * A buyer's checkout across two fresh shops (POST /trades): shop 1 sells two SKUs (2 × aFen, 1 × bFen),
 * shop 2 one (1 × cFen); both orders confirmed by their workflows.
 */
export async function twoShopTrade(system: TestSystem, prices: { aFen?: number; bFen?: number; cFen?: number } = {}): Promise<TwoShopTrade> {
  const sellerOne = newSellerId();
  const sellerTwo = newSellerId();
  const buyerId = sellerOne + 700_000;
  const skuA = await seedGoods(system.dataSource, { sellerId: sellerOne, name: 'Tea cup', priceFen: prices.aFen ?? 1000, stock: 10 });
  const skuB = await seedGoods(system.dataSource, { sellerId: sellerOne, name: 'Teapot', priceFen: prices.bFen ?? 2500, stock: 10 });
  const skuC = await seedGoods(system.dataSource, { sellerId: sellerTwo, name: 'Longjing tea', priceFen: prices.cFen ?? 4300, stock: 10 });
  const created = await system.http('POST', '/trades', {
    token: system.token('buyer', buyerId),
    body: { items: [{ skuId: skuA, quantity: 2 }, { skuId: skuB, quantity: 1 }, { skuId: skuC, quantity: 1 }], paymentType: 'ONLINE' },
  });
  if (created.status !== 201) throw new Error(`checkout failed: ${created.status} ${JSON.stringify(created.body)}`);
  const skusOf: Record<number, number[]> = { [sellerOne]: [skuA, skuB], [sellerTwo]: [skuC] };
  const orders = (created.body.orders as { orderSn: string; sellerId: number; orderFen: number }[])
    .map((o) => ({ orderSn: o.orderSn, sellerId: Number(o.sellerId), orderFen: o.orderFen, skuIds: skusOf[Number(o.sellerId)] }))
    .sort((x, y) => (x.orderSn < y.orderSn ? -1 : 1));
  for (const order of orders) await waitForStatus(system, order.orderSn, OrderStatus.CONFIRM, 60_000);
  return { tradeSn: created.body.tradeSn, buyerId, totalFen: created.body.totalFen, orders };
}

/** POST /trades/{sn}/payment as the buyer (must succeed); Alipay: the buyer's browser posts the cashier form. */
export async function startTradePayment(system: TestSystem, trade: { tradeSn: string; buyerId: number }, provider: ProviderName, key?: string) {
  const created = await system.http('POST', `/trades/${trade.tradeSn}/payment`, { token: system.token('buyer', trade.buyerId), body: { provider }, headers: key ? { 'idempotency-key': key } : {} });
  if (created.status !== 201) throw new Error(`trade payment failed: ${created.status} ${JSON.stringify(created.body)}`);
  if (provider === 'alipay') {
    const form = new URLSearchParams(created.body.formItems.map((item: { name: string; value: string }) => [item.name, item.value] as [string, string]));
    const cashier = await fetch(created.body.gatewayUrl, { method: 'POST', body: form });
    if (!cashier.ok) throw new Error(`Alipay cashier refused the form: ${cashier.status} ${await cashier.text()}`);
  }
  return created.body as { tradeSn: string; outTradeNo: string; amountFen: number; shares: { orderSn: string; amountFen: number }[] };
}

export async function tradeStatus(system: TestSystem, tradeSn: string): Promise<string> {
  const [row] = await system.dataSource.query('SELECT trade_status FROM trade WHERE trade_sn = ?', [tradeSn]);
  return row?.trade_status;
}

export async function waitForTradeStatus(system: TestSystem, tradeSn: string, status: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => ((await tradeStatus(system, tradeSn)) === status ? true : undefined), timeoutMs, `trade ${tradeSn} ${status}`);
}
