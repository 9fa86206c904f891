import { OrderSettingError, parseDuration } from './order-settings';

/**
 * What the providers allow for refunds of one payment, and how we pace ours to stay inside it. Pure:
 * the refund workflow's slot claim (activities/refund-slots.ts), the simulator (apps/payment-sim) and
 * the configuration all read these, so our pacing and the provider we test against agree.
 *
 * - WeChat Pay: at most 50 refunds per payment, and partial refunds of one payment at least 1 minute
 *   apart, each with a new out_refund_no (payments.md §1.1 "Limits"). Too early: 429 FREQUENCY_LIMITED.
 * - Alipay: every partial refund needs its own out_request_no (we send the refund number), and
 *   refunds of one trade at least 3 s apart. payments.md names no limit on their count and no code
 *   for "too early"; the simulator answers ACQ.SYSTEM_ERROR (the documented "retry with the same
 *   parameters" answer), which our client already treats as retry-with-the-same-number.
 */
export type RefundProvider = 'wechatpay' | 'alipay';

export interface ProviderRefundRule {
  /** The provider's refund count limit per payment (undefined: none documented). */
  readonly maxRefundsPerPayment?: number;
  /** The provider's documented minimum time between two refunds of one payment. */
  readonly minSpacingMs: number;
  /** The setting that paces our refunds (default: the provider's minimum). */
  readonly spacingSetting: string;
}

export const PROVIDER_REFUND_RULES: Readonly<Record<RefundProvider, ProviderRefundRule>> = {
  wechatpay: { maxRefundsPerPayment: 50, minSpacingMs: 60_000, spacingSetting: 'WECHATPAY_REFUND_SPACING' },
  alipay: { minSpacingMs: 3_000, spacingSetting: 'ALIPAY_REFUND_SPACING' },
};

/** Milliseconds between two refunds of one payment, per provider. */
export type RefundSpacing = Readonly<Record<RefundProvider, number>>;

export const DEFAULT_REFUND_SPACING: RefundSpacing = {
  wechatpay: PROVIDER_REFUND_RULES.wechatpay.minSpacingMs,
  alipay: PROVIDER_REFUND_RULES.alipay.minSpacingMs,
};

/**
 * Reads WECHATPAY_REFUND_SPACING / ALIPAY_REFUND_SPACING (durations: 1m, 3s, 500ms…; unset = the
 * provider's real minimum). Shorter values exist for tests against the simulator; with a real
 * provider (`realProvider`) a value below its documented minimum would only earn "too frequent"
 * answers, so it is refused.
 */
export function readRefundSpacing(get: (name: string) => string | undefined, options: { realProvider?: boolean } = {}): RefundSpacing {
  const read = (provider: RefundProvider): number => {
    const rule = PROVIDER_REFUND_RULES[provider];
    const raw = get(rule.spacingSetting);
    if (raw === undefined || raw.trim() === '') return rule.minSpacingMs;
    const ms = parseDuration(raw, rule.spacingSetting);
    if (options.realProvider && ms < rule.minSpacingMs) {
      throw new OrderSettingError(rule.spacingSetting, `${JSON.stringify(raw)} is below the provider's minimum of ${rule.minSpacingMs} ms between refunds of one payment`);
    }
    return ms;
  };
  return { wechatpay: read('wechatpay'), alipay: read('alipay') };
}

/** Why the provider will not take one more refund of a payment that already has `priorRefunds`; undefined = it may. */
export function refundCountRefusal(provider: RefundProvider, priorRefunds: number): string | undefined {
  const max = PROVIDER_REFUND_RULES[provider].maxRefundsPerPayment;
  if (max === undefined || priorRefunds < max) return undefined;
  return `${provider === 'wechatpay' ? 'WeChat Pay' : provider} accepts at most ${max} refunds per payment and this payment already has ${priorRefunds}: refund the buyer another way`;
}

/**
 * Our slots are a little wider than the provider's spacing (10 %, at least 300 ms, at most 2 s): the
 * submit lands some time after its slot (activity dispatch, HTTP), and two submits must arrive, not
 * start, far enough apart. A submit that still arrives early gets "too frequent" and waits again.
 */
export function slotWidthMs(spacingMs: number): number {
  return spacingMs + Math.min(2_000, Math.max(300, Math.ceil(spacingMs / 10)));
}

/**
 * The next submit slot of a payment. `nextFreeAtMs` is the payment's `next_refund_at` (undefined:
 * no refund yet). After the provider answered "too frequent" the slot is at least a full spacing
 * from now, whatever our books say (a refund made in the merchant portal, a clock apart).
 */
export function nextRefundSlot(input: { nowMs: number; nextFreeAtMs?: number; spacingMs: number; afterTooFrequent?: boolean }): { slotAtMs: number; nextFreeAtMs: number } {
  const earliest = input.afterTooFrequent ? input.nowMs + slotWidthMs(input.spacingMs) : input.nowMs;
  const slotAtMs = Math.max(earliest, input.nextFreeAtMs ?? earliest);
  return { slotAtMs, nextFreeAtMs: slotAtMs + slotWidthMs(input.spacingMs) };
}

/** The provider's view (the simulator): how much too early a new refund is, 0 when it may go. */
export function refundTooEarlyByMs(input: { nowMs: number; lastRefundAtMs?: number; spacingMs: number }): number {
  if (input.lastRefundAtMs === undefined) return 0;
  return Math.max(0, input.lastRefundAtMs + input.spacingMs - input.nowMs);
}
