import { ParentClosePolicy, executeChild, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { describeRefund } from '../domain';
import type { LatePaymentInput } from './late-payment.contract';
import { RefundOutcome, RefundRecord, refundWorkflowId } from './refund.contract';
import { refundWorkflow } from './refund.workflow';
import { DATABASE_RETRY, LOCAL_DATABASE_RETRY } from './retry-policies';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/**
 * A payment the order cannot accept (`late-payment-{outTradeNo}`): recorded as such — it never
 * re-opens a cancelled order — and refunded in full through a refund workflow. Started by the order
 * workflow, or by the API when the order's workflow has already finished; the shared id makes it once.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<RefundOutcome> {
  // New runs record the payment and its refund in one local step; older histories replay two activities.
  if (patched('late-payment-one-local-step')) {
    const refund = await local.recordLatePaymentRefund.executeWithOptions(
      { summary: `Record payment ${input.payment.transactionId} as not accepted and create its refund` },
      [{ orderSn: input.orderSn, payment: input.payment, why: input.why }],
    );
    return refundLatePayment(input, refund, true);
  }
  await remote.recordLatePayment({ orderSn: input.orderSn, payment: input.payment, why: input.why });
  const refund = await remote.createRefund({ causeKey: `late-payment:${input.payment.outTradeNo}`, orderSn: input.orderSn, reason: input.why, outTradeNo: input.payment.outTradeNo });
  return refundLatePayment(input, refund);
}

function refundLatePayment(input: LatePaymentInput, refund: RefundRecord, passRecord = false): Promise<RefundOutcome> {
  return executeChild(refundWorkflow, {
    workflowId: refundWorkflowId(refund.refundSn),
    args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, pollScheduleMs: input.refundPollScheduleMs, ...(passRecord ? { refund } : {}) }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: describeRefund(refund.refundFen, refund.provider, 'Refund an unwanted payment of'),
    searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
  });
}
