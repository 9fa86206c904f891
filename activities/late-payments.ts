import type { DataSource } from 'typeorm';
import { latePaymentNotConfirmed } from '../domain';
import { appendOrderLog } from '../db/order-log';
import type { PaymentProvider, ProviderName } from '../payments';
import type { LatePayment, LatePaymentConfirmation } from '../workflows/late-payment.contract';
import { askProvider } from './provider-failures';

/** The late-payment workflow's questions to the provider and its note for support. */
export class LatePaymentActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: Record<ProviderName, PaymentProvider>,
  ) {}

  /**
   * Asks the provider whether the payment is real before its refund is created. Read-only, so a
   * second run asks again and answers the same; provider faults are retried by the workflow's policy.
   */
  async confirmLatePayment(payment: LatePayment): Promise<LatePaymentConfirmation> {
    const answer = await askProvider(() => this.providers[payment.provider].queryPayment(payment.outTradeNo));
    const reason = latePaymentNotConfirmed(payment, answer);
    return reason ? { confirmed: false, reason } : { confirmed: true };
  }

  /** The order's log says what was not refunded and why, once per payment, for support to check with the provider. */
  async recordUnconfirmedLatePayment(request: { orderSn: string; payment: LatePayment; reason: string }): Promise<void> {
    const { payment } = request;
    await appendOrderLog(this.dataSource, {
      orderSn: request.orderSn,
      eventKey: `late-payment-unconfirmed:${payment.outTradeNo}:${payment.transactionId}`.slice(0, 160),
      operation: 'PAY',
      actorRole: 'PAYMENT_CALLBACK',
      message: `payment ${payment.transactionId} (${payment.amountFen} fen via ${payment.provider}) NOT refunded, support to check: ${request.reason}`,
    }, 'ignore');
  }
}
