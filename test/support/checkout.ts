import { OrderStatus } from '../../domain';
import { newSellerId, seedGoods } from './fixtures';
import { TestSystem } from './system';
import { waitForStatus } from './orders';

let nextBuyer = 3_000_000 + Math.floor(Math.random() * 1_000_000);

/** A fresh buyer id per test: carts (Redis) and coupons are per buyer. */
export function newBuyerId(): number {
  return (nextBuyer += 1);
}

export const ADDRESS = { name: 'Li Lei', mobile: '13800000000', detail: 'Shanghai Pudong, Century Avenue 100' };

const day = 24 * 3600 * 1000;

/** A seller's shop with goods; optional shipping fee, full reduction and a coupon, set up through the seller API. */
export async function seedShop(
  system: TestSystem,
  shop: { goods: { priceFen: number; stock: number; name?: string }[]; shippingFen?: number; fullReduction?: { thresholdFen: number; discountFen: number }; coupon?: { thresholdFen: number; valueFen: number; validUntil?: Date; totalCount?: number } },
): Promise<{ sellerId: number; skuIds: number[]; couponId?: number }> {
  const sellerId = newSellerId();
  const token = system.token('seller', sellerId);
  const skuIds: number[] = [];
  for (const goods of shop.goods) skuIds.push(await seedGoods(system.dataSource, { sellerId, ...goods }));
  const call = async (method: string, path: string, body: unknown) => {
    const res = await system.http(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  if (shop.shippingFen !== undefined) await call('PUT', '/promotions/shipping', { shippingFen: shop.shippingFen });
  if (shop.fullReduction) {
    await call('POST', '/promotions/full-reductions', { title: 'full reduction', ...shop.fullReduction, startsAt: new Date(Date.now() - day).toISOString(), endsAt: new Date(Date.now() + day).toISOString() });
  }
  let couponId: number | undefined;
  if (shop.coupon) {
    const validUntil = shop.coupon.validUntil ?? new Date(Date.now() + day);
    const created = await call('POST', '/promotions/coupons', {
      title: 'shop coupon',
      thresholdFen: shop.coupon.thresholdFen,
      valueFen: shop.coupon.valueFen,
      validFrom: new Date(validUntil.getTime() - 2 * day).toISOString(),
      validUntil: validUntil.toISOString(),
      totalCount: shop.coupon.totalCount ?? 100,
    });
    couponId = created.id;
  }
  return { sellerId, skuIds, couponId };
}

/** A buyer call that must succeed. */
export async function buyerCall(system: TestSystem, buyerId: number, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const res = await system.http(method, path, { token: system.token('buyer', buyerId), body, headers });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function claimCoupon(system: TestSystem, buyerId: number, couponId: number): Promise<number> {
  return (await buyerCall(system, buyerId, 'POST', `/coupons/${couponId}/claim`)).memberCouponId;
}

/** Waits until every order of the answer is CONFIRM (its workflow ran). */
export async function waitConfirmed(system: TestSystem, answer: { orders: { orderSn: string }[] }): Promise<void> {
  for (const order of answer.orders) await waitForStatus(system, order.orderSn, OrderStatus.CONFIRM, 60_000);
}
