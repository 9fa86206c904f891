import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { ProviderInbox } from '../apps/shared/provider-inbox';
import { queriedPayment } from '../apps/shared/provider-inbox';
import { isAwaitingPayment } from '../domain';
import { PaymentProvider, ProviderError, ProviderName } from '../payments';
import type { PaymentCheck } from '../workflows/payment-watch.contract';
import { ErrorCode } from '../domain/error-codes';
import { readPaymentWithOrderStatus } from '../db/payments';
import type { ProviderGate } from './provider-gate';

/** The payment watch's one activity: ask the provider about an unpaid payment and act on a PAID answer. */
export class PaymentWatchActivities {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: Record<ProviderName, PaymentProvider>,
    /** Delivers a PAID answer like a notification; needs the worker's Temporal client. */
    private readonly inbox?: ProviderInbox,
    /** PROVIDER_GATE=on: queries are counted by the payment-queries gate and held (PROVIDER_GATE_OPEN) while it is open. */
    private readonly gate?: ProviderGate,
  ) {}

  /**
   * Read-only until the provider says PAID; then the inbox's dedupe makes a second run (a retry after
   * delivery) a no-op. Provider faults are "ask again at the next interval", not a failure.
   */
  async checkUnpaidPayment(request: { orderSn: string; outTradeNo: string }): Promise<PaymentCheck> {
    const row = await readPaymentWithOrderStatus(this.dataSource, request.outTradeNo, request.orderSn);
    if (!row) throw ApplicationFailure.nonRetryable(`no payment ${request.outTradeNo} for order ${request.orderSn}`, ErrorCode.PaymentNotFound);
    if (!isAwaitingPayment(row.order_status, row.pay_status)) return { outcome: 'order-moved-on', detail: `order is ${row.order_status} / ${row.pay_status}` };
    if (row.payment_status !== 'CREATED') return { outcome: 'order-moved-on', detail: `payment is ${row.payment_status}` };
    const provider = row.provider as ProviderName;
    let result;
    const what = `payment query ${request.outTradeNo}`;
    // While the gate is open nothing is asked: PROVIDER_GATE_OPEN, and the watch asks again after the gate's next probe.
    await this.gate?.holdIfOpen(provider, 'payment-queries', what);
    try {
      const query = () => this.providers[provider].queryPayment(request.outTradeNo);
      result = await (this.gate ? this.gate.call(provider, 'payment-queries', query) : query());
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      // A failure that finds the gate open (perhaps opened by this very call) is held the same way.
      if (err.errorClass === 'retryable') await this.gate?.holdIfOpen(provider, 'payment-queries', what);
      return { outcome: 'waiting', detail: `query failed: ${err.message}` };
    }
    if (result.state === 'NOTPAY') return { outcome: 'waiting', detail: 'not paid yet' };
    if (result.state === 'CLOSED' || result.state === 'REFUNDED') return { outcome: 'closed', detail: `the provider reports the trade ${result.state}` };
    const paid = queriedPayment(provider, result);
    if (!paid) throw ApplicationFailure.retryable(`${provider} reported ${request.outTradeNo} PAID without a transaction id or amount`, ErrorCode.IncompleteProviderAnswer);
    if (!this.inbox) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to deliver payments with', ErrorCode.NoTemporalClient);
    const outcome = await this.inbox.accept(paid);
    return outcome.accepted ? { outcome: 'paid', detail: paid.transactionId } : { outcome: 'rejected', detail: outcome.reason };
  }
}
