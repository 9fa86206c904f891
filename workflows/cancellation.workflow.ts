import { ParentClosePolicy, executeChild, patched, proxyActivities, setHandler, defineQuery, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CancelOrderRequest, LatePayment } from '../activities/cancellations';
import { CancellationStatus, describeRefund } from '../domain';
import type { RefundOutcome } from './refund-messages';
import { refundWorkflow } from './refund.workflow';
import { refundWorkflowId } from './workflow-ids';

/** The cancel request as the order workflow accepted it, plus the refund timing. */
export interface CancellationWorkflowInput extends CancelOrderRequest {
  refundPollScheduleMs: number[];
}

export interface CancellationResult {
  cancellationId: number;
  refunds: RefundOutcome[];
  /** Payments that landed although the order was being cancelled; the order workflow refunds them. */
  latePayments: LatePayment[];
}

export interface CancellationProgress {
  status: CancellationStatus;
  steps: string[];
  refundSn?: string;
}

export const cancellationProgressQuery = defineQuery<CancellationProgress>('progress');

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  // MySQL outages, deadlocks and lock timeouts are retried until the database is back; the steps are idempotent.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['OrderNotFound', 'CancellationNotFound', 'NothingToRefund'] },
});

/**
 * A cancellation (`cancel-{orderSn}`), replacing the old scanners: cancel the order → refund through
 * a child refund workflow if paid (else close the provider's payment order) → restore stock once →
 * take back sales once → finish. Each step is a guarded, idempotent activity and leaves a log row.
 */
export async function cancellationWorkflow(input: CancellationWorkflowInput): Promise<CancellationResult> {
  const progress: CancellationProgress = { status: CancellationStatus.REQUESTED, steps: [] };
  setHandler(cancellationProgressQuery, () => progress);
  const step = (status: CancellationStatus, done: string) => {
    progress.status = status;
    progress.steps.push(done);
    upsertSearchAttributes({ CancellationStatus: [status] });
  };

  await acts.markOrderCancelled.executeWithOptions(
    { startToCloseTimeout: '30s', summary: `Cancel order ${input.orderSn} (${input.from} → CANCELLED)` },
    [input],
  );
  step(input.paid ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, 'order cancelled');

  const result: CancellationResult = { cancellationId: input.cancellationId, refunds: [], latePayments: [] };
  if (!input.paid) {
    result.latePayments = await acts.closeOpenPayments.executeWithOptions({ startToCloseTimeout: '1m', summary: 'Close the unpaid payment orders at the providers' }, [input.orderSn]);
    step(CancellationStatus.REQUESTED, 'provider payment orders closed');
    await acts.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Release reserved stock' }, [{ orderSn: input.orderSn, kind: 'RELEASE' }]);
    step(CancellationStatus.REQUESTED, 'stock released');
    // Added with checkout coupons; cancellations recorded before it replay without the step.
    if (patched('coupon-give-back')) {
      await acts.releaseOrderCoupons.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Give back the coupons the order used' }, [input.orderSn]);
      step(CancellationStatus.REQUESTED, 'coupons given back');
    }
  } else {
    // A CLOSED refund re-issued by support gets a new number: a new cause key, a new refund workflow.
    for (let attempt = 1; ; attempt += 1) {
      const refund = await acts.createRefund.executeWithOptions(
        { summary: attempt === 1 ? 'Record the refund and its number' : `Record re-issued refund #${attempt} under a new number` },
        [{ causeKey: `cancel:${input.cancellationId}:${attempt}`, orderSn: input.orderSn, reason: input.reason || 'order cancelled' }],
      );
      progress.refundSn = refund.refundSn;
      const outcome = await executeChild(refundWorkflow, {
        workflowId: refundWorkflowId(refund.refundSn),
        args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, cancellationId: input.cancellationId, pollScheduleMs: input.refundPollScheduleMs }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: describeRefund(refund.refundFen, refund.provider),
        searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
      });
      result.refunds.push(outcome);
      if (outcome.status !== 'REISSUE') break;
    }
    step(CancellationStatus.REFUNDING, 'buyer refunded');
    await acts.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Restore stock' }, [{ orderSn: input.orderSn, kind: 'RESTORE' }]);
    step(CancellationStatus.REFUNDING, 'stock restored');
    await acts.reverseSales.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Take back the sales count' }, [input.orderSn]);
    step(CancellationStatus.REFUNDING, 'sales reversed');
  }
  await acts.finishCancellation.executeWithOptions({ summary: 'Close the cancellation request' }, [{ orderSn: input.orderSn, cancellationId: input.cancellationId, refunded: input.paid }]);
  step(CancellationStatus.COMPLETED, 'cancellation complete');
  return result;
}
