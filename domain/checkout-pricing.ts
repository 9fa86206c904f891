/**
 * Checkout pricing per shop: goods, full reduction, seller coupon, shipping, payable, and the
 * discount allocated to each line to the fen. The API's checkout view and the trade writer both
 * price through here, so what the buyer is shown is what is written.
 *
 * Rules (kept small and exact):
 * - Full reduction: of the shop's active rules whose threshold the goods total reaches, the one
 *   taking the most off applies (one rule per shop, as javashop's full-minus).
 * - Coupon: one seller coupon per shop; its threshold is checked against the goods total (before
 *   the full reduction), it must belong to this shop, be unused and valid at checkout time.
 * - Discounts never take the goods below 1 fen per shop: an online payment of 0 is impossible.
 * - Shipping is a flat per-shop fee; it is not allocated to lines (it goes back only with a
 *   whole-order refund).
 * - Allocation: the shop's discount is split over its lines in proportion to each line's goods
 *   amount by largest remainder (Hamilton): every line gets floor(D × g / G), and the fen left over
 *   go one each to the lines with the largest remainders (ties: larger line, then earlier line).
 *   So Σ line discounts = D exactly and each line's paid amount is what the buyer really paid for it.
 *
 * Pure: imported by the API, the activities and (if need be) workflow code.
 */
import { assertFen } from './money';

export enum MemberCouponStatus {
  UNUSED = 'UNUSED',
  USED = 'USED',
}

export interface PricedLine {
  skuId: number;
  priceFen: number;
  num: number;
}

export interface FullReductionRule {
  id: number;
  thresholdFen: number;
  discountFen: number;
}

/** A coupon the buyer claimed (member_coupon joined with its coupon). */
export interface ClaimedCoupon {
  memberCouponId: number;
  couponId: number;
  sellerId: number;
  title: string;
  thresholdFen: number;
  valueFen: number;
  /** Validity as epoch milliseconds (domain code reads no clock: the caller passes now). */
  validFromMs: number;
  validUntilMs: number;
  status: MemberCouponStatus;
}

export interface ShopPricingInput {
  sellerId: number;
  lines: PricedLine[];
  shippingFen: number;
  fullReductions: FullReductionRule[];
  coupon?: ClaimedCoupon;
}

export interface LineTotals {
  skuId: number;
  num: number;
  priceFen: number;
  goodsFen: number;
  discountFen: number;
  /** What the buyer pays for this line: goods − its share of the discount; the line's refundable amount. */
  paidFen: number;
}

export interface ShopTotals {
  sellerId: number;
  goodsFen: number;
  fullReductionFen: number;
  fullReductionId?: number;
  couponFen: number;
  memberCouponId?: number;
  discountFen: number;
  shippingFen: number;
  payableFen: number;
  lines: LineTotals[];
}

/** A promotion the buyer asked for cannot be used; the API answers 422 with `message`. */
export class PromotionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionRefused';
  }
}

/** Why a claimed coupon cannot be used on this shop's goods now, or undefined if it can. */
export function couponRefusal(coupon: ClaimedCoupon, sellerId: number, goodsFen: number, nowMs: number): string | undefined {
  if (coupon.sellerId !== sellerId) return `coupon ${coupon.memberCouponId} belongs to shop ${coupon.sellerId}, not shop ${sellerId}`;
  if (coupon.status !== MemberCouponStatus.UNUSED) return `coupon ${coupon.memberCouponId} has already been used`;
  if (nowMs < coupon.validFromMs) return `coupon ${coupon.memberCouponId} is not valid yet`;
  if (nowMs >= coupon.validUntilMs) return `coupon ${coupon.memberCouponId} has expired`;
  if (goodsFen < coupon.thresholdFen) return `coupon ${coupon.memberCouponId} needs goods of at least ${coupon.thresholdFen} fen in shop ${sellerId} (have ${goodsFen})`;
  return undefined;
}

/** The best full-reduction rule the goods total reaches, if any. */
export function bestFullReduction(rules: FullReductionRule[], goodsFen: number): FullReductionRule | undefined {
  let best: FullReductionRule | undefined;
  for (const rule of rules) {
    if (goodsFen >= rule.thresholdFen && (!best || rule.discountFen > best.discountFen)) best = rule;
  }
  return best;
}

/** Prices one shop's lines; throws PromotionRefused if the chosen coupon cannot be used. */
export function priceShop(input: ShopPricingInput, nowMs: number): ShopTotals {
  if (input.lines.length === 0) throw new RangeError(`shop ${input.sellerId} has no lines`);
  assertFen(input.shippingFen, 'shippingFen');
  const goods = input.lines.map((line) => {
    assertFen(line.priceFen, 'priceFen');
    if (!Number.isSafeInteger(line.num) || line.num < 1) throw new RangeError(`quantity of SKU ${line.skuId} must be a positive integer`);
    return line.priceFen * line.num;
  });
  const goodsFen = goods.reduce((a, b) => a + b, 0);
  const rule = bestFullReduction(input.fullReductions, goodsFen);
  if (input.coupon) {
    const refusal = couponRefusal(input.coupon, input.sellerId, goodsFen, nowMs);
    if (refusal) throw new PromotionRefused(refusal);
  }
  // Goods never drop below 1 fen: the coupon gives up what the full reduction already took.
  const cap = Math.max(0, goodsFen - 1);
  const fullReductionFen = Math.min(rule?.discountFen ?? 0, cap);
  const couponFen = Math.min(input.coupon?.valueFen ?? 0, cap - fullReductionFen);
  const discountFen = fullReductionFen + couponFen;
  const shares = allocateLargestRemainder(discountFen, goods);
  const lines = input.lines.map((line, i) => ({
    skuId: line.skuId,
    num: line.num,
    priceFen: line.priceFen,
    goodsFen: goods[i],
    discountFen: shares[i],
    paidFen: goods[i] - shares[i],
  }));
  return {
    sellerId: input.sellerId,
    goodsFen,
    fullReductionFen,
    ...(rule && fullReductionFen > 0 ? { fullReductionId: rule.id } : {}),
    couponFen,
    ...(input.coupon ? { memberCouponId: input.coupon.memberCouponId } : {}),
    discountFen,
    shippingFen: input.shippingFen,
    payableFen: goodsFen - discountFen + input.shippingFen,
    lines,
  };
}

/**
 * Splits `total` fen over `weights` in proportion, exactly (Σ result = total), by largest remainder.
 * Ties go to the larger weight, then to the earlier index, so the split is deterministic.
 */
export function allocateLargestRemainder(total: number, weights: number[]): number[] {
  assertFen(total, 'total');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  if (sum <= 0) throw new RangeError('cannot allocate an amount over zero weights');
  if (total > sum) throw new RangeError(`cannot allocate ${total} fen over lines worth ${sum} fen`);
  // BigInt keeps total × weight exact even for large amounts.
  const T = BigInt(total);
  const S = BigInt(sum);
  const base = weights.map((w) => Number((T * BigInt(w)) / S));
  const remainders = weights.map((w, i) => ({ i, w, r: (T * BigInt(w)) % S }));
  let left = total - base.reduce((a, b) => a + b, 0);
  remainders.sort((a, b) => (a.r === b.r ? (a.w === b.w ? a.i - b.i : b.w - a.w) : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0) break;
    base[i] += 1;
    left -= 1;
  }
  return base;
}

/**
 * What refunding `units` more units of a line gives back, when `alreadyRefundedUnits` were refunded
 * before: the line's paid amount spread over its units cumulatively (floor(paid × k / num)), so
 * refunding the units one by one or all at once gives the same total, and all of them give exactly
 * the line's paid amount.
 */
export function lineRefundFen(line: { paidFen: number; num: number }, alreadyRefundedUnits: number, units: number): number {
  assertFen(line.paidFen, 'paidFen');
  if (!Number.isSafeInteger(units) || units < 1) throw new RangeError('units to refund must be a positive integer');
  if (!Number.isSafeInteger(alreadyRefundedUnits) || alreadyRefundedUnits < 0) throw new RangeError('already refunded units must be a non-negative integer');
  if (alreadyRefundedUnits + units > line.num) throw new RangeError(`cannot refund ${units} more of ${line.num} units (${alreadyRefundedUnits} refunded already)`);
  const upTo = (k: number) => Math.floor((line.paidFen * k) / line.num);
  return upTo(alreadyRefundedUnits + units) - upTo(alreadyRefundedUnits);
}
