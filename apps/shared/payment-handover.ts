import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { PaymentConfirmed, paymentConfirmedSignal } from '../../workflows/order-messages';
import { latePaymentWorkflowId, orderWorkflowId } from '../../workflows/workflow-ids';

export interface PaymentHandoverTarget {
  temporal: Client;
  taskQueue: string;
  refundPollScheduleMs: number[];
}

/** Who took the payment: the order's workflow, or a late-payment workflow that refunds it. */
export type PaymentHandover = 'order' | 'late-payment';

/**
 * The one path a verified provider payment takes into the system, used by the notification endpoint
 * and by the daily reconciliation (a payment the bill shows but no notification brought): the order's
 * workflow gets the `paymentConfirmed` signal and decides by its own rules (paid, or refunded as a
 * late payment when it was cancelled or already paid); when that workflow has finished, the money
 * cannot be taken and a late-payment workflow refunds it. Safe to repeat: the order workflow ignores
 * a transaction it has seen, and the late-payment workflow id is derived from out_trade_no.
 */
export async function handOverVerifiedPayment(target: PaymentHandoverTarget, orderSn: string, paid: PaymentConfirmed): Promise<PaymentHandover> {
  try {
    await target.temporal.workflow.getHandle(orderWorkflowId(orderSn)).signal(paymentConfirmedSignal, paid);
    return 'order';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await target.temporal.workflow.start('latePaymentWorkflow', {
    workflowId: latePaymentWorkflowId(paid.outTradeNo),
    taskQueue: target.taskQueue,
    args: [{ orderSn, payment: { provider: paid.provider, outTradeNo: paid.outTradeNo, transactionId: paid.transactionId, amountFen: paid.amountFen, paidAt: paid.paidAt }, why: 'the order had already finished', refundPollScheduleMs: target.refundPollScheduleMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    searchAttributes: { OrderSn: [orderSn] },
  });
  return 'late-payment';
}
