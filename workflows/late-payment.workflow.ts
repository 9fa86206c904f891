import { ActivityFailure, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { formatFen } from '../domain';
import type { LatePaymentInput, LatePaymentOutcome } from './late-payment.contract';
import type { RefundOutcome, RefundRecord } from './refund.contract';
import { refundUntilSettled } from './refund-loop';
import { LOCAL_DATABASE_RETRY, PROVIDER_CALL_RETRY } from './retry-policies';

const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });
const provider = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: PROVIDER_CALL_RETRY });

/**
 * A payment the order cannot accept (`late-payment-{outTradeNo}`): recorded as such — it never
 * re-opens a cancelled order — and refunded in full through a refund workflow. Started by the order
 * workflow, or by the API when the order's workflow has already finished; the shared id makes it once.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<LatePaymentOutcome> {
  // A refund moves money: first ask the provider whether this payment is real.
  const reason = await notConfirmed(input);
  if (reason) {
    log.warn('late payment not confirmed by the provider: not refunded, support to check', { orderSn: input.orderSn, transactionId: input.payment.transactionId, reason });
    await local.recordUnconfirmedLatePayment.executeWithOptions({ summary: `Log for support: ${input.payment.transactionId} not refunded` }, [{ orderSn: input.orderSn, payment: input.payment, reason }]);
    return { status: 'NOT_CONFIRMED', reason };
  }
  // The payment recorded as not accepted and its refund created, in one local step.
  const refund = await local.recordLatePaymentRefund.executeWithOptions(
    { summary: `Record payment ${input.payment.transactionId} as not accepted and create its refund` },
    [{ orderSn: input.orderSn, payment: input.payment, why: input.why }],
  );
  return refundLatePayment(input, refund);
}

/** Why the provider does not confirm the payment (or could not be asked), or undefined when it does. */
async function notConfirmed(input: LatePaymentInput): Promise<string | undefined> {
  const { payment } = input;
  try {
    const answer = await provider.confirmLatePayment.executeWithOptions(
      { summary: `Ask ${payment.provider} whether ${payment.transactionId} paid ${formatFen(payment.amountFen)} CNY for ${payment.outTradeNo}` },
      [payment],
    );
    return answer.confirmed ? undefined : answer.reason;
  } catch (err) {
    // The provider refused the question for good, or kept failing through every retry.
    if (err instanceof ActivityFailure) return `could not confirm payment ${payment.transactionId} with ${payment.provider}: ${err.cause?.message ?? err.message}`;
    throw err;
  }
}

/** The payment's full refund, through the one refund loop; a CLOSED one support re-issues is not taken here (support pays it offline). */
async function refundLatePayment(input: LatePaymentInput, refund: RefundRecord): Promise<RefundOutcome> {
  const outcomes = await refundUntilSettled(refund, {
    orderSn: input.orderSn,
    pollScheduleMs: input.refundPollScheduleMs,
    verb: 'Refund an unwanted payment of',
    reissue: async () => undefined,
  });
  return outcomes[0];
}
