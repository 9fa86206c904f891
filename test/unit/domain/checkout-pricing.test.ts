import {
  ClaimedCoupon,
  MemberCouponStatus,
  PromotionRefused,
  allocateLargestRemainder,
  bestFullReduction,
  lineRefundFen,
  priceShop,
} from '../../../domain';

const now = Date.parse('2026-12-01T10:00:00Z');
const coupon = (over: Partial<ClaimedCoupon> = {}): ClaimedCoupon => ({
  memberCouponId: 7,
  couponId: 3,
  sellerId: 1,
  title: '10 off 100',
  thresholdFen: 10000,
  valueFen: 1000,
  validFromMs: Date.parse('2026-11-01T00:00:00Z'),
  validUntilMs: Date.parse('2026-12-31T00:00:00Z'),
  status: MemberCouponStatus.UNUSED,
  ...over,
});

describe('largest-remainder allocation', () => {
  it('splits exactly and gives the leftover fen to the largest remainders', () => {
    // 100 over 1:1:1 → 33.33 each: one line gets the extra fen (the first, all being equal).
    expect(allocateLargestRemainder(100, [300, 300, 300])).toEqual([34, 33, 33]);
    // 1000 × (3333, 3333, 3334) / 10000 = 333.3, 333.3, 333.4 → the largest remainder takes the fen.
    expect(allocateLargestRemainder(1000, [3333, 3333, 3334])).toEqual([333, 333, 334]);
    expect(allocateLargestRemainder(0, [5, 7])).toEqual([0, 0]);
    expect(allocateLargestRemainder(12, [12])).toEqual([12]);
  });

  it('always sums to the total and never gives a line more than its weight (random cases)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 2000; run += 1) {
      const weights = Array.from({ length: 1 + rand(6) }, () => 1 + rand(50000));
      const sum = weights.reduce((a, b) => a + b, 0);
      const total = rand(sum + 1);
      const shares = allocateLargestRemainder(total, weights);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      shares.forEach((share, i) => {
        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(weights[i]);
        // proportional within one fen
        expect(Math.abs(share - (total * weights[i]) / sum)).toBeLessThan(1);
      });
    }
  });

  it('refuses more than the weights hold', () => {
    expect(() => allocateLargestRemainder(11, [5, 5])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(-1, [5])).toThrow(RangeError);
  });
});

describe('full reduction', () => {
  const rules = [
    { id: 1, thresholdFen: 10000, discountFen: 1000 },
    { id: 2, thresholdFen: 20000, discountFen: 3000 },
  ];
  it('takes the best rule the goods reach', () => {
    expect(bestFullReduction(rules, 9999)).toBeUndefined();
    expect(bestFullReduction(rules, 10000)?.id).toBe(1);
    expect(bestFullReduction(rules, 25000)?.id).toBe(2);
  });
});

describe('pricing a shop', () => {
  it('full reduction + coupon + shipping, allocated to the lines to the fen', () => {
    const totals = priceShop(
      {
        sellerId: 1,
        lines: [
          { skuId: 11, priceFen: 3333, num: 3 }, // 9999
          { skuId: 12, priceFen: 1001, num: 1 }, // 1001
          { skuId: 13, priceFen: 7, num: 1 }, // 7
        ],
        shippingFen: 800,
        fullReductions: [{ id: 5, thresholdFen: 10000, discountFen: 1500 }],
        coupon: coupon(),
      },
      now,
    );
    expect(totals.goodsFen).toBe(11007);
    expect(totals.fullReductionFen).toBe(1500);
    expect(totals.fullReductionId).toBe(5);
    expect(totals.couponFen).toBe(1000);
    expect(totals.memberCouponId).toBe(7);
    expect(totals.discountFen).toBe(2500);
    expect(totals.payableFen).toBe(11007 - 2500 + 800);
    // 2500 × 9999/11007 = 2271.05…, × 1001/11007 = 227.35…, × 7/11007 = 1.58… → 2271 + 227 + 1 = 2499; +1 to the 0.58.
    expect(totals.lines.map((l) => l.discountFen)).toEqual([2271, 227, 2]);
    expect(totals.lines.map((l) => l.paidFen)).toEqual([9999 - 2271, 1001 - 227, 5]);
    const paid = totals.lines.reduce((s, l) => s + l.paidFen, 0);
    expect(paid + totals.shippingFen).toBe(totals.payableFen);
  });

  it('no promotion: every line pays its goods', () => {
    const totals = priceShop({ sellerId: 2, lines: [{ skuId: 1, priceFen: 500, num: 2 }], shippingFen: 0, fullReductions: [] }, now);
    expect(totals).toMatchObject({ goodsFen: 1000, discountFen: 0, payableFen: 1000 });
    expect(totals.lines[0]).toMatchObject({ discountFen: 0, paidFen: 1000 });
  });

  it('discounts never take the goods below 1 fen', () => {
    const totals = priceShop(
      { sellerId: 1, lines: [{ skuId: 1, priceFen: 600, num: 1 }], shippingFen: 0, fullReductions: [{ id: 1, thresholdFen: 500, discountFen: 400 }], coupon: coupon({ thresholdFen: 0, valueFen: 5000 }) },
      now,
    );
    expect(totals).toMatchObject({ fullReductionFen: 400, couponFen: 199, discountFen: 599, payableFen: 1 });
  });

  it.each([
    ['another shop', coupon({ sellerId: 2 }), /belongs to shop 2/],
    ['used', coupon({ status: MemberCouponStatus.USED }), /already been used/],
    ['expired', coupon({ validUntilMs: Date.parse('2026-12-01T09:59:59Z') }), /expired/],
    ['not yet valid', coupon({ validFromMs: Date.parse('2026-12-02T00:00:00Z') }), /not valid yet/],
    ['threshold not reached', coupon({ thresholdFen: 100000 }), /needs goods of at least 100000/],
  ])('refuses a coupon of %s', (_what, c, message) => {
    expect(() => priceShop({ sellerId: 1, lines: [{ skuId: 1, priceFen: 20000, num: 1 }], shippingFen: 0, fullReductions: [], coupon: c }, now)).toThrow(PromotionRefused);
    expect(() => priceShop({ sellerId: 1, lines: [{ skuId: 1, priceFen: 20000, num: 1 }], shippingFen: 0, fullReductions: [], coupon: c }, now)).toThrow(message);
  });
});

describe('refunding part of a line', () => {
  it('refunds exactly the line share, unit by unit or all at once', () => {
    const line = { paidFen: 7728, num: 3 }; // 9999 − 2271 from the case above
    const oneByOne = [lineRefundFen(line, 0, 1), lineRefundFen(line, 1, 1), lineRefundFen(line, 2, 1)];
    expect(oneByOne).toEqual([2576, 2576, 2576]);
    expect(oneByOne.reduce((a, b) => a + b, 0)).toBe(7728);
    expect(lineRefundFen(line, 0, 3)).toBe(7728);
    const odd = { paidFen: 1000, num: 3 };
    expect([lineRefundFen(odd, 0, 1), lineRefundFen(odd, 1, 1), lineRefundFen(odd, 2, 1)]).toEqual([333, 333, 334]);
    expect(lineRefundFen(odd, 0, 2) + lineRefundFen(odd, 2, 1)).toBe(1000);
  });

  it('refuses more units than the line has left', () => {
    expect(() => lineRefundFen({ paidFen: 100, num: 2 }, 1, 2)).toThrow(RangeError);
    expect(() => lineRefundFen({ paidFen: 100, num: 2 }, 0, 0)).toThrow(RangeError);
  });
});
