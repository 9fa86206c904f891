import {
  DEFAULT_REFUND_SPACING,
  OrderSettingError,
  PaymentStatus,
  nextRefundSlot,
  paymentStatusAfterRefunds,
  readRefundSpacing,
  refundCountRefusal,
  refundTooEarlyByMs,
  slotWidthMs,
} from '../../../domain';

describe('provider refund rules', () => {
  it('defaults to the real spacing: WeChat Pay 1 minute, Alipay 3 s', () => {
    expect(DEFAULT_REFUND_SPACING).toEqual({ wechatpay: 60_000, alipay: 3_000 });
    expect(readRefundSpacing(() => undefined)).toEqual({ wechatpay: 60_000, alipay: 3_000 });
    expect(readRefundSpacing((name) => (name === 'WECHATPAY_REFUND_SPACING' ? ' ' : undefined))).toEqual({ wechatpay: 60_000, alipay: 3_000 });
  });

  it('reads shorter spacings for the simulator and refuses them against a real provider', () => {
    const env: Record<string, string> = { WECHATPAY_REFUND_SPACING: '2s', ALIPAY_REFUND_SPACING: '250ms' };
    expect(readRefundSpacing((name) => env[name])).toEqual({ wechatpay: 2_000, alipay: 250 });
    expect(() => readRefundSpacing((name) => env[name], { realProvider: true })).toThrow(OrderSettingError);
    expect(() => readRefundSpacing((name) => env[name], { realProvider: true })).toThrow(/WECHATPAY_REFUND_SPACING.*minimum of 60000 ms/);
    expect(readRefundSpacing((name) => ({ WECHATPAY_REFUND_SPACING: '2m' })[name], { realProvider: true })).toEqual({ wechatpay: 120_000, alipay: 3_000 });
    expect(() => readRefundSpacing((name) => ({ ALIPAY_REFUND_SPACING: 'soon' })[name])).toThrow(/ALIPAY_REFUND_SPACING: "soon" is not a duration/);
    expect(() => readRefundSpacing((name) => ({ ALIPAY_REFUND_SPACING: '0s' })[name])).toThrow(/longer than zero/);
  });

  it('WeChat Pay takes 50 refunds per payment; the 51st is refused with a reason; Alipay has no documented count limit', () => {
    expect(refundCountRefusal('wechatpay', 0)).toBeUndefined();
    expect(refundCountRefusal('wechatpay', 49)).toBeUndefined();
    expect(refundCountRefusal('wechatpay', 50)).toMatch(/at most 50 refunds per payment and this payment already has 50/);
    expect(refundCountRefusal('alipay', 500)).toBeUndefined();
  });

  it('gives each refund of a payment a slot at least the spacing (plus a margin) after the previous one', () => {
    expect(slotWidthMs(60_000)).toBe(62_000);
    expect(slotWidthMs(3_000)).toBe(3_300);
    expect(slotWidthMs(100)).toBe(400);
    const first = nextRefundSlot({ nowMs: 1_000, spacingMs: 3_000 });
    expect(first).toEqual({ slotAtMs: 1_000, nextFreeAtMs: 4_300 });
    const second = nextRefundSlot({ nowMs: 1_100, nextFreeAtMs: first.nextFreeAtMs, spacingMs: 3_000 });
    expect(second).toEqual({ slotAtMs: 4_300, nextFreeAtMs: 7_600 });
    // Long after the last one: no wait.
    expect(nextRefundSlot({ nowMs: 50_000, nextFreeAtMs: second.nextFreeAtMs, spacingMs: 3_000 }).slotAtMs).toBe(50_000);
    // After "too frequent" the provider's view wins over ours: a full slot from now.
    expect(nextRefundSlot({ nowMs: 50_000, nextFreeAtMs: 10_000, spacingMs: 3_000, afterTooFrequent: true })).toEqual({ slotAtMs: 53_300, nextFreeAtMs: 56_600 });
  });

  it('tells the simulator how much too early a refund is', () => {
    expect(refundTooEarlyByMs({ nowMs: 10_000, spacingMs: 3_000 })).toBe(0);
    expect(refundTooEarlyByMs({ nowMs: 10_000, lastRefundAtMs: 8_000, spacingMs: 3_000 })).toBe(1_000);
    expect(refundTooEarlyByMs({ nowMs: 11_000, lastRefundAtMs: 8_000, spacingMs: 3_000 })).toBe(0);
  });
});

describe('payment status after refunds', () => {
  it('is REFUNDED only when the successful refunds add up to the amount', () => {
    expect(paymentStatusAfterRefunds(12_900, 0)).toBe(PaymentStatus.PAID);
    expect(paymentStatusAfterRefunds(12_900, 100)).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    expect(paymentStatusAfterRefunds(12_900, 12_899)).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    expect(paymentStatusAfterRefunds(12_900, 12_900)).toBe(PaymentStatus.REFUNDED);
  });
});
