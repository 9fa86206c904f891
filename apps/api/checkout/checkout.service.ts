import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PaymentType } from '../../../domain';
import { CartStore, CheckoutWay } from '../cart/cart-store';
import { requestHash } from '../common/idempotency';
import { readUnusedCoupons } from '../../../db/promotions';
import { TradeAnswer, TradesService } from '../trades/trades.service';
import { quoteCheckout } from './checkout-pricer';
import { SubmitCheckoutDto } from './checkout.dto';

/**
 * Checkout from the cart's checked lines or the buy-now item: a priced view per shop, then the
 * trade written by the one trade writer (the same as POST /trades), then the lines leave the cart
 * (unless the trade was a replay of the Idempotency-Key).
 */
@Injectable()
export class CheckoutService {
  constructor(
    private readonly cart: CartStore,
    private readonly trades: TradesService,
    private readonly dataSource: DataSource,
  ) {}

  async view(buyerId: string, way: CheckoutWay) {
    const items = await this.cart.checkoutLines(buyerId, way);
    const selected = await this.cart.selectedCoupons(buyerId, way);
    if (!items.length) return { way, shops: [], totals: { goodsFen: 0, discountFen: 0, shippingFen: 0, payableFen: 0 } };
    const shops = await quoteCheckout(this.dataSource.manager, buyerId, items, selected, new Date(), { strict: false });
    const unused = await readUnusedCoupons(this.dataSource.manager, buyerId, shops.map((s) => s.sellerId));
    const quantities = new Map(items.map((i) => [i.skuId, i.quantity]));
    const sum = (pick: (t: (typeof shops)[number]['totals']) => number) => shops.reduce((total, shop) => total + pick(shop.totals), 0);
    return {
      way,
      shops: shops.map((shop) => ({
        sellerId: shop.sellerId,
        lines: shop.totals.lines.map((line) => {
          const goods = shop.goods.find((g) => g.id === line.skuId)!;
          return { ...line, name: goods.name, availableQuantity: goods.available_quantity, enoughStock: goods.available_quantity >= (quantities.get(line.skuId) ?? 0) };
        }),
        fullReductions: shop.promotions.fullReductions.map((rule) => ({ ...rule, applied: rule.id === shop.totals.fullReductionId })),
        coupons: unused.filter((c) => c.sellerId === shop.sellerId).map((c) => ({ memberCouponId: c.memberCouponId, couponId: c.couponId, title: c.title, thresholdFen: c.thresholdFen, valueFen: c.valueFen, validUntil: new Date(c.validUntilMs).toISOString() })),
        selectedCoupon: shop.coupon ? { memberCouponId: shop.coupon.memberCouponId, title: shop.coupon.title } : null,
        ...(shop.couponProblem ? { couponProblem: shop.couponProblem } : {}),
        totals: { goodsFen: shop.totals.goodsFen, fullReductionFen: shop.totals.fullReductionFen, couponFen: shop.totals.couponFen, discountFen: shop.totals.discountFen, shippingFen: shop.totals.shippingFen, payableFen: shop.totals.payableFen },
      })),
      totals: { goodsFen: sum((t) => t.goodsFen), discountFen: sum((t) => t.discountFen), shippingFen: sum((t) => t.shippingFen), payableFen: sum((t) => t.payableFen) },
    };
  }

  async submit(buyerId: string, dto: SubmitCheckoutDto, idempotencyKey?: string): Promise<TradeAnswer> {
    const way = dto.way ?? 'CART';
    const items = await this.cart.checkoutLines(buyerId, way);
    const { answer, replayed } = await this.trades.createTrade({
      buyerId,
      items,
      paymentType: dto.paymentType ?? PaymentType.ONLINE,
      couponsBySeller: await this.cart.selectedCoupons(buyerId, way),
      // The buyer's personal data stays in MySQL (order meta): workflows only ever see order numbers and amounts.
      orderMeta: {
        ADDRESS: JSON.stringify(dto.address),
        DELIVERY_TIME: dto.deliveryTime ?? 'ANY',
        ...(dto.invoiceTitle ? { INVOICE_TITLE: dto.invoiceTitle.trim() } : {}),
      },
      idempotencyKey,
      // The key replays what the buyer submitted; the cart it came from is gone after the first success.
      requestHash: requestHash({ checkout: way, ...dto }),
    });
    // Only the submission that wrote the trade empties the cart (or the buy-now item) and its chosen
    // coupons: a replay would take lines added and coupons chosen since then, never ordered.
    if (!replayed) await this.cart.removeCheckedOut(buyerId, way, items.map((i) => i.skuId));
    return answer;
  }
}
