import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { runStep } from '../../../db/business-events';
import { readPaymentShares } from '../../../db/payment-shares';
import { markTradePaymentClosed, readOpenTradePaymentAttempts } from '../../../db/payments';
import { isSupersededTradeAttempt } from '../../../domain';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import type { EventActor } from '../../../domain/events';
import { PaymentProvider, ProviderError, ProviderName } from '../../../payments';
import { ProviderInbox, queriedPayment } from '../../shared/provider-inbox';
import { providerProblem } from '../common/provider-problem';
import { PAYMENT_PROVIDERS } from '../tokens';

/** A superseded attempt the buyer paid before it could be closed: handed to the provider inbox. */
export interface LandedAttempt {
  outTradeNo: string;
  provider: ProviderName;
}

/**
 * Closes a trade's superseded payment attempts at their providers (WeChat Pay close-order, Alipay
 * alipay.trade.close): an attempt that pays for an order no longer awaiting payment must not be
 * payable, or the buyer pays that order twice. Each step is safe to repeat: the providers' close is
 * re-entrant, and the CLOSED mark is a compare-and-set. A close the provider refuses because the
 * attempt was paid meanwhile hands the payment (the provider's signed query answer) to the one
 * provider inbox, which pays the orders still awaiting it and refunds the shares of the others once
 * (the order workflow's second-payment refund, or the late-payment workflow).
 */
@Injectable()
export class SupersededTradeAttempts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: ProviderInbox,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: Record<ProviderName, PaymentProvider>,
  ) {}

  /**
   * Closes every open attempt of the trade that pays for an order not in `awaiting`; returns the ones
   * found paid (already handed to the inbox). A provider failure fails the request (PROVIDER_UNAVAILABLE
   * when the provider asks to be called again, else PROVIDER_FAILED): the caller opens no new attempt,
   * and the buyer's retry closes again.
   */
  async close(tradeSn: string, awaiting: ReadonlySet<string>, sellerOf: ReadonlyMap<string, number>, actor: EventActor): Promise<LandedAttempt[]> {
    const landed: LandedAttempt[] = [];
    for (const attempt of await readOpenTradePaymentAttempts(this.dataSource, tradeSn)) {
      const shares = await readPaymentShares(this.dataSource, attempt.out_trade_no);
      if (!isSupersededTradeAttempt(shares.map((s) => s.orderSn), awaiting)) continue;
      if (await this.closeOne(attempt.provider, attempt.out_trade_no)) {
        await runStep(this.dataSource, (manager) =>
          markTradePaymentClosed(manager, {
            tradeSn,
            provider: attempt.provider,
            outTradeNo: attempt.out_trade_no,
            shares: shares.map((s) => ({ orderSn: s.orderSn, sellerId: sellerOf.get(s.orderSn)! })),
            actor,
          }),
        );
      } else {
        landed.push({ outTradeNo: attempt.out_trade_no, provider: attempt.provider });
      }
    }
    return landed;
  }

  /** True when the attempt is closed at the provider; false when it was paid (and is now in the inbox). */
  private async closeOne(providerName: ProviderName, outTradeNo: string): Promise<boolean> {
    const provider = this.providers[providerName];
    try {
      const { alreadyPaid } = await provider.closePayment(outTradeNo);
      if (!alreadyPaid) return true;
      // A refusal is no proof of payment: only the provider's signed query answer is, as for any other
      // path into the inbox.
      const paid = queriedPayment(providerName, await provider.queryPayment(outTradeNo));
      if (paid) {
        const outcome = await this.inbox.accept(paid);
        if (!outcome.accepted) throw new DomainError(ErrorCode.PROVIDER_FAILED, `payment ${outTradeNo} was paid before it could be closed, and could not be taken yet (${outcome.reason}); try again`);
      }
      return false;
    } catch (err) {
      if (err instanceof ProviderError) throw providerProblem(err, `close the superseded payment ${outTradeNo}`);
      throw err;
    }
  }
}
