/**
 * The simulator's books, shared by both gateways, the cashier, the bills and the control API: trades
 * and refunds with the fingerprints of the requests that made them, refund scripts, the refund
 * clock, settlement, and the ledger of money actually moved.
 */
import { rfc3339China } from '../../payments/wechatpay/signing';
import type { RefundSpacing } from '../../domain/refund-provider-rules';
import { alipayDateTime } from './alipay-signing';
import { RefundLimits } from './refund-limits';
import type { LedgerEntry, RefundScript, SimProvider, SimRefund, SimTrade } from './types';
import { digits, HttpError } from './wire';

/** The refund clock: real time plus whatever tests advanced it by. */
export class SimClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

/** What a provider tells the merchant when money moves (its notifications). */
export interface ProviderEvents {
  paid(trade: SimTrade): void;
  refundSettled(refund: SimRefund, trade: SimTrade): void;
}

/** A refund's identity and amounts, the same whether a request or a bill seed makes it. */
export function refundOf(trade: SimTrade, outRefundNo: string, amountFen: number): Pick<SimRefund, 'provider' | 'outTradeNo' | 'outRefundNo' | 'refundId' | 'amountFen' | 'totalFen'> {
  return {
    provider: trade.provider,
    outTradeNo: trade.outTradeNo,
    outRefundNo,
    refundId: trade.provider === 'wechatpay' ? `50${digits(28)}` : trade.transactionId,
    amountFen,
    totalFen: trade.totalFen,
  };
}

export class SimLedger {
  readonly trades = new Map<string, SimTrade>();
  readonly tradeFingerprints = new Map<string, string>();
  readonly refunds = new Map<string, SimRefund>();
  readonly refundFingerprints = new Map<string, string>();
  readonly refundLimits: RefundLimits;
  /** Money moved, in order. */
  entries: LedgerEntry[] = [];
  private refundScripts = new Map<string, RefundScript>();
  private refundTimers = new Set<NodeJS.Timeout>();
  private seq = 0;

  constructor(
    readonly clock: SimClock,
    private readonly events: Record<SimProvider, ProviderEvents>,
    refundSpacing: RefundSpacing | undefined,
  ) {
    this.refundLimits = new RefundLimits(refundSpacing);
  }

  now(): number {
    return this.clock.now();
  }

  /** The one sequence of ledger entries, logged requests and bill rows. */
  nextSeq(): number {
    return ++this.seq;
  }

  refundKey(provider: SimProvider, outTradeNo: string, outRefundNo: string): string {
    return provider === 'wechatpay' ? `wechatpay::${outRefundNo}` : `alipay:${outTradeNo}:${outRefundNo}`;
  }

  reset(): void {
    this.trades.clear();
    this.tradeFingerprints.clear();
    this.refunds.clear();
    this.refundFingerprints.clear();
    this.refundScripts.clear();
    this.entries = [];
    this.clock.reset();
    this.refundLimits.reset();
    this.shutdown();
  }

  /** Stops the settle timers. */
  shutdown(): void {
    for (const t of this.refundTimers) clearTimeout(t);
    this.refundTimers.clear();
  }

  refundsOf(trade: SimTrade): SimRefund[] {
    return [...this.refunds.values()].filter((r) => r.provider === trade.provider && r.outTradeNo === trade.outTradeNo);
  }

  /** Σ refunds (in flight, done or stuck) must stay within the paid total (the count and spacing: RefundLimits). */
  refundable(trade: SimTrade, amountFen: number): string | undefined {
    const refunds = this.refundsOf(trade);
    const committed = refunds.filter((r) => r.status !== 'CLOSED').reduce((sum, r) => sum + r.amountFen, 0);
    if (committed + amountFen > trade.totalFen) return '退款金额超过订单可退金额';
    return undefined;
  }

  createRefund(trade: SimTrade, outRefundNo: string, amountFen: number, reason: string, notifyUrl: string, defaultProcessingMs: number): SimRefund {
    const script = this.refundScripts.get(outRefundNo) ?? { processingMs: defaultProcessingMs, then: 'SUCCESS' as const };
    const now = this.now();
    const refund: SimRefund = {
      ...refundOf(trade, outRefundNo, amountFen),
      reason,
      ...(notifyUrl ? { notifyUrl } : {}),
      status: 'PROCESSING',
      createdAt: trade.provider === 'wechatpay' ? rfc3339China(new Date(now)) : alipayDateTime(now),
      createdAtMs: now,
      dueAt: now + Math.max(0, script.processingMs),
      then: script.then,
    };
    this.refunds.set(this.refundKey(trade.provider, trade.outTradeNo, outRefundNo), refund);
    if (script.processingMs <= 0) this.settle(refund);
    else this.scheduleSettle(refund);
    return refund;
  }

  /** Scripts a refund number; a refund already in flight takes the new script from now on. */
  script(outRefundNo: string, script: RefundScript, provider: string | null | undefined): void {
    const { processingMs, then } = script;
    this.refundScripts.set(outRefundNo, { processingMs, then });
    for (const r of this.refunds.values()) {
      if (r.outRefundNo === outRefundNo && r.status === 'PROCESSING' && (!provider || r.provider === provider)) {
        r.then = then;
        r.dueAt = this.now() + processingMs;
        if (processingMs === 0) this.settle(r);
        else this.scheduleSettle(r);
      }
    }
  }

  /** Moves the refund clock on and settles whatever fell due. */
  advanceClock(ms: number): void {
    this.clock.advance(ms);
    for (const r of this.refunds.values()) this.settle(r);
  }

  private scheduleSettle(refund: SimRefund): void {
    const t = setTimeout(() => {
      this.refundTimers.delete(t);
      // Timers run on a monotonic clock and can fire a millisecond before Date.now() reaches dueAt;
      // settle() would then do nothing and the refund would stay PROCESSING for good.
      if (refund.status === 'PROCESSING' && this.now() < refund.dueAt) this.scheduleSettle(refund);
      else this.settle(refund);
    }, Math.max(0, refund.dueAt - this.now()) + 1);
    t.unref();
    this.refundTimers.add(t);
  }

  settle(refund: SimRefund): void {
    if (refund.status !== 'PROCESSING' || this.now() < refund.dueAt) return;
    const trade = this.trades.get(`${refund.provider}:${refund.outTradeNo}`);
    if (!trade) return;
    refund.status = refund.then;
    if (refund.status === 'SUCCESS') {
      refund.successTime = refund.provider === 'wechatpay' ? rfc3339China(new Date(this.now())) : alipayDateTime(this.now());
      trade.refundedFen += refund.amountFen;
      if (trade.refundedFen === trade.totalFen) trade.status = 'REFUNDED';
      this.entries.push({
        seq: this.nextSeq(),
        provider: refund.provider,
        kind: 'refund',
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
        amountFen: refund.amountFen,
        at: new Date().toISOString(),
      });
    }
    this.events[refund.provider].refundSettled(refund, trade);
  }

  pay(trade: SimTrade): void {
    if (trade.status !== 'NOTPAY') throw new HttpError(409, `trade ${trade.outTradeNo} is ${trade.status}, cannot pay`);
    const now = this.now();
    trade.status = 'PAID';
    trade.visible = true;
    trade.paidAt = trade.provider === 'wechatpay' ? rfc3339China(new Date(now)) : alipayDateTime(now);
    this.entries.push({ seq: this.nextSeq(), provider: trade.provider, kind: 'payment', outTradeNo: trade.outTradeNo, amountFen: trade.totalFen, at: new Date().toISOString() });
    this.events[trade.provider].paid(trade);
  }
}
