import { arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';

/** The checkout view in OpenAPI (common/answer-schemas.ts); POST /checkout answers the trade (trades/trade-answers.ts). */

const TOTALS = { goodsFen: integer(), discountFen: integer(), shippingFen: integer(), payableFen: integer() };

export const CHECKOUT_VIEW = object({
  way: oneOf(['CART', 'BUY_NOW']),
  shops: arrayOf(
    object(
      {
        sellerId: integer(),
        lines: arrayOf(object({ skuId: integer(), num: integer(), priceFen: integer(), goodsFen: integer(), discountFen: integer(), paidFen: integer('what the buyer pays for the line (its refundable amount)'), name: string(), availableQuantity: integer(), enoughStock: boolean() })),
        fullReductions: arrayOf(object({ id: integer(), thresholdFen: integer(), discountFen: integer(), applied: boolean() })),
        coupons: arrayOf(object({ memberCouponId: integer(), couponId: integer(), title: string(), thresholdFen: integer(), valueFen: integer(), validUntil: dateTime() }), 'the buyer\'s unused coupons of the shop'),
        selectedCoupon: nullable(object({ memberCouponId: integer(), title: string() })),
        couponProblem: string('why the selected coupon does not apply'),
        totals: object({ goodsFen: integer(), fullReductionFen: integer(), couponFen: integer(), discountFen: integer(), shippingFen: integer(), payableFen: integer() }),
      },
      { optional: ['couponProblem'] },
    ),
  ),
  totals: object(TOTALS),
});
