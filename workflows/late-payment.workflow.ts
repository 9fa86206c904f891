import { ParentClosePolicy, executeChild, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LatePayment } from '../activities/cancellations';
import { describeRefund } from '../domain';
import type { RefundOutcome } from './refund-messages';
import { refundWorkflow } from './refund.workflow';
import { refundWorkflowId } from './workflow-ids';

export interface LatePaymentInput {
  orderSn: string;
  payment: LatePayment;
  /** Why the order cannot take this payment (cancelled, already paid by another route, finished). */
  why: string;
  refundPollScheduleMs: number[];
}

const { recordLatePayment, createRefund } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderNotFound', 'NothingToRefund'] },
});

/**
 * A payment the order cannot accept (`late-payment-{outTradeNo}`): recorded as such — it never
 * re-opens a cancelled order — and refunded in full through a refund workflow. Started by the order
 * workflow, or by the API when the order's workflow has already finished; the shared id makes it once.
 */
export async function latePaymentWorkflow(input: LatePaymentInput): Promise<RefundOutcome> {
  await recordLatePayment({ orderSn: input.orderSn, payment: input.payment, why: input.why });
  const refund = await createRefund({ causeKey: `late-payment:${input.payment.outTradeNo}`, orderSn: input.orderSn, reason: input.why, outTradeNo: input.payment.outTradeNo });
  return executeChild(refundWorkflow, {
    workflowId: refundWorkflowId(refund.refundSn),
    args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, pollScheduleMs: input.refundPollScheduleMs }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: describeRefund(refund.refundFen, refund.provider, 'Refund an unwanted payment of'),
    searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
  });
}
