import { DEFAULT_REFUND_SPACING, RefundSpacing, refundCountRefusal, refundTooEarlyByMs } from '../../domain/refund-provider-rules';
import type { SimProvider } from './types';

/** Why the provider turns a new refund of a trade down: too many already, or too soon after the last one. */
export type RefundLimitRefusal = { kind: 'too-many'; message: string } | { kind: 'too-early'; waitMs: number };

/**
 * The providers' refund rules as the simulator enforces them (the same pure rules our pacing uses,
 * domain/refund-provider-rules.ts): WeChat Pay takes at most 50 refunds per payment, and a new refund
 * of a payment only a spacing after the previous one was accepted; Alipay the same spacing per trade.
 * Repeats of a refund number it already has are not new refunds and never count.
 */
export class RefundLimits {
  private readonly lastAcceptedAt = new Map<string, number>();

  constructor(readonly spacing: RefundSpacing = DEFAULT_REFUND_SPACING) {}

  check(provider: SimProvider, outTradeNo: string, priorRefunds: number, nowMs: number): RefundLimitRefusal | undefined {
    const tooMany = refundCountRefusal(provider, priorRefunds);
    if (tooMany) return { kind: 'too-many', message: tooMany };
    const waitMs = refundTooEarlyByMs({ nowMs, lastRefundAtMs: this.lastAcceptedAt.get(`${provider}:${outTradeNo}`), spacingMs: this.spacing[provider] });
    return waitMs > 0 ? { kind: 'too-early', waitMs } : undefined;
  }

  accepted(provider: SimProvider, outTradeNo: string, nowMs: number): void {
    this.lastAcceptedAt.set(`${provider}:${outTradeNo}`, nowMs);
  }

  reset(): void {
    this.lastAcceptedAt.clear();
  }
}
