import { OrderStatus, PayStatus } from './enums';

/**
 * An order still waiting for its online payment: confirmed (or about to be), and nothing paid. Only
 * then may a payment be started, and only then is it worth asking the provider whether it was paid.
 */
export function isAwaitingPayment(orderStatus: string, payStatus: string): boolean {
  return payStatus === PayStatus.PAY_NO && (orderStatus === OrderStatus.NEW || orderStatus === OrderStatus.CONFIRM);
}

/**
 * When to ask the provider next about an unpaid payment: the `attempt`-th delay of the schedule (its
 * last delay repeats), but never past the payment's expiry, where one last query catches a payment
 * made in its final moments. Undefined once the expiry has passed.
 */
export function nextPaymentQueryDelay(scheduleMs: readonly number[], attempt: number, nowMs: number, expiresAtMs: number): { delayMs: number; last: boolean } | undefined {
  const remaining = expiresAtMs - nowMs;
  if (remaining < 0 || scheduleMs.length === 0) return undefined;
  const delayMs = scheduleMs[Math.min(attempt, scheduleMs.length - 1)];
  return delayMs >= remaining ? { delayMs: remaining, last: true } : { delayMs, last: false };
}

/** What a provider answers when asked about a trade (payments/provider.ts PaymentQueryResult, in short). */
export interface ProviderPaymentAnswer {
  state: string;
  transactionId?: string;
  amountFen?: number;
}

/**
 * Why money an order cannot take must not be refunded yet, or undefined when the provider confirms
 * it: the trade is PAID (WeChat Pay SUCCESS, Alipay TRADE_SUCCESS / TRADE_FINISHED) under this very
 * transaction id and for this very amount. A refund moves money, so a notification alone (which a
 * leaked key could forge) is not enough; a trade already REFUNDED has nothing left to give back.
 */
export function latePaymentNotConfirmed(payment: { provider: string; outTradeNo: string; transactionId: string; amountFen: number; paymentFen?: number; tradeSn?: string }, answer: ProviderPaymentAnswer): string | undefined {
  // A share of a trade payment: the provider knows the whole payment, and another order's share of it
  // may already be refunded (the provider then reports the trade REFUND/partially refunded).
  const wholeFen = payment.tradeSn ? payment.paymentFen : payment.amountFen;
  const states = payment.tradeSn ? ['PAID', 'REFUNDED'] : ['PAID'];
  if (states.includes(answer.state) && answer.transactionId === payment.transactionId && answer.amountFen === wholeFen) return undefined;
  const reported = [answer.state, answer.transactionId, answer.amountFen === undefined ? undefined : `${answer.amountFen} fen`].filter(Boolean).join(' ');
  return `${payment.provider} does not confirm payment ${payment.transactionId} of ${payment.amountFen} fen for ${payment.outTradeNo} (it reports ${reported})`;
}

/**
 * A trade payment attempt is superseded once any order it pays for no longer awaits payment (paid on
 * its own, or cancelled): the trade's next attempt covers only the rest, and the old one, paid, would
 * take money for an order that has it already. Superseded attempts are closed at the provider.
 */
export function isSupersededTradeAttempt(shareOrderSns: readonly string[], awaitingOrderSns: ReadonlySet<string>): boolean {
  return shareOrderSns.some((orderSn) => !awaitingOrderSns.has(orderSn));
}
