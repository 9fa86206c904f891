import { UnprocessableEntityException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ClaimedCoupon, PromotionRefused, ShopTotals, mergeQuantities, priceShop } from '../../../domain';
import { ShopPromotions, readClaimedCoupons, readShopPromotions } from '../../../db/promotions';
import { GoodsRow, readGoodsForPricing } from '../../../db/goods';

export interface CheckoutItem {
  skuId: number;
  quantity: number;
}

export interface ShopQuote {
  sellerId: number;
  goods: GoodsRow[];
  promotions: ShopPromotions;
  coupon?: ClaimedCoupon;
  /** Only in a lenient quote (the checkout view): why the selected coupon is not applied. */
  couponProblem?: string;
  totals: ShopTotals;
}

type Query = Pick<EntityManager, 'query'>;

/**
 * Prices a checkout from MySQL (goods, shipping, full reductions, the buyer's coupons): never from
 * what the cart remembers. `strict` (the write) refuses a bad coupon with 422; the view instead
 * prices without it and says why.
 */
export async function quoteCheckout(
  db: Query,
  buyerId: string,
  items: CheckoutItem[],
  couponsBySeller: Map<number, number>,
  now: Date,
  options: { strict: boolean; groupPrices?: ReadonlyMap<number, number> },
): Promise<ShopQuote[]> {
  const quantities = mergeQuantities(items);
  if (typeof quantities === 'string') throw new UnprocessableEntityException(quantities);
  const skuIds = [...quantities.keys()].sort((a, b) => a - b);
  if (!skuIds.length) throw new UnprocessableEntityException('nothing to check out: the cart has no checked lines (or there is no buy-now item)');
  const goods: GoodsRow[] = await readGoodsForPricing(db, skuIds);
  const missing = skuIds.filter((id) => !goods.some((g) => g.id === id));
  if (missing.length) throw new UnprocessableEntityException(`unknown SKU: ${missing.join(', ')}`);

  const bySeller = new Map<number, GoodsRow[]>();
  for (const row of goods) bySeller.set(row.seller_id, [...(bySeller.get(row.seller_id) ?? []), row]);
  const sellerIds = [...bySeller.keys()].sort((a, b) => a - b);
  // A coupon left chosen for a shop that is no longer in the checkout: the view ignores it, the write refuses.
  const strayShop = [...couponsBySeller.keys()].find((sellerId) => !bySeller.has(sellerId));
  if (options.strict && strayShop !== undefined) throw new UnprocessableEntityException(`a coupon was chosen for shop ${strayShop}, which has no goods in this checkout`);
  const promotions = await readShopPromotions(db, sellerIds, now);
  const claimed = await readClaimedCoupons(db, buyerId, [...couponsBySeller.values()]);

  return sellerIds.map((sellerId) => {
    const rows = bySeller.get(sellerId)!;
    const shopPromotions = promotions.get(sellerId)!;
    const memberCouponId = couponsBySeller.get(sellerId);
    const coupon = memberCouponId === undefined ? undefined : claimed.get(memberCouponId);
    const price = (withCoupon?: ClaimedCoupon) =>
      priceShop(
        {
          sellerId,
          // A group-buy activity's SKU sells at the activity's group price, not the goods row's.
          lines: rows.map((row) => ({ skuId: row.id, priceFen: options.groupPrices?.get(row.id) ?? row.price_fen, num: quantities.get(row.id)! })),
          shippingFen: shopPromotions.shippingFen,
          fullReductions: shopPromotions.fullReductions,
          coupon: withCoupon,
        },
        now.getTime(),
      );
    let problem: string | undefined = memberCouponId !== undefined && !coupon ? `coupon ${memberCouponId} is not one of your coupons` : undefined;
    let totals: ShopTotals | undefined;
    if (!problem) {
      try {
        totals = price(coupon);
      } catch (err) {
        if (!(err instanceof PromotionRefused)) throw err;
        problem = err.message;
      }
    }
    if (problem) {
      if (options.strict) throw new UnprocessableEntityException(problem);
      totals = price(undefined);
    }
    return { sellerId, goods: rows, promotions: shopPromotions, ...(coupon && !problem ? { coupon } : {}), ...(problem ? { couponProblem: problem } : {}), totals: totals! };
  });
}
