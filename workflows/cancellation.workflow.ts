import { ParentClosePolicy, executeChild, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancellationStatus, describeRefund } from '../domain';
import {
  CancellationProgress,
  CancellationResult,
  CancellationWorkflowInput,
  cancellationProgressQuery,
} from './cancellation.contract';
import { refundWorkflowId } from './refund.contract';
import { refundWorkflow } from './refund.workflow';
import { DATABASE_RETRY, LOCAL_DATABASE_RETRY, PROVIDER_CALL_RETRY } from './retry-policies';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

/**
 * A cancellation (`cancel-{orderSn}`), replacing the old scanners. The order workflow has applied
 * CANCELLED (its own compare-and-set, which it won); this workflow gives the money and the stock
 * back: refund through a child refund workflow if paid (else close the provider's payment orders),
 * then restore stock and take back sales in one step. Each step is guarded and idempotent and leaves
 * a log row; the order workflow closes the request when this returns.
 *
 * Cancellations started before the order owned its cancel (no `orderCancelled` in the input) replay
 * the old steps: they mark the order cancelled and close the request themselves.
 */
export async function cancellationWorkflow(input: CancellationWorkflowInput): Promise<CancellationResult> {
  const progress: CancellationProgress = { status: input.paid ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, steps: [] };
  setHandler(cancellationProgressQuery, () => progress);
  const legacy = !input.orderCancelled;
  const step = (status: CancellationStatus, done: string) => {
    // New runs are started with their status as a search attribute and upsert only a change.
    const changed = status !== progress.status;
    progress.status = status;
    progress.steps.push(done);
    if (legacy || changed) upsertSearchAttributes({ CancellationStatus: [status] });
  };
  const db = legacy ? remote : local;

  if (legacy) {
    await remote.markOrderCancelled.executeWithOptions(
      { startToCloseTimeout: '30s', summary: `Cancel order ${input.orderSn} (${input.from} → CANCELLED)` },
      [input],
    );
  }
  step(input.paid ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, 'order cancelled');

  const result: CancellationResult = { cancellationId: input.cancellationId, refunds: [], latePayments: [] };
  if (!input.paid) {
    result.latePayments = await remote.closeOpenPayments.executeWithOptions(
      { startToCloseTimeout: '1m', retry: PROVIDER_CALL_RETRY, summary: 'Close the unpaid payment orders at the providers' },
      [input.orderSn],
    );
    step(CancellationStatus.REQUESTED, 'provider payment orders closed');
    if (legacy) await remote.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Release reserved stock' }, [{ orderSn: input.orderSn, kind: 'RELEASE' }]);
    else await local.restockCancelledOrder.executeWithOptions({ summary: 'Release reserved stock' }, [{ orderSn: input.orderSn, paid: false }]);
    step(CancellationStatus.REQUESTED, 'stock released');
    // Added with checkout coupons; cancellations recorded before it replay without the step.
    if (patched('coupon-give-back')) {
      await db.releaseOrderCoupons.executeWithOptions({ summary: 'Give back the coupons the order used' }, [input.orderSn]);
      step(CancellationStatus.REQUESTED, 'coupons given back');
    }
  } else {
    // A CLOSED refund re-issued by support gets a new number: a new cause key, a new refund workflow.
    for (let attempt = 1; ; attempt += 1) {
      // The first refund was recorded with the cancel itself (new runs); a re-issue records its own.
      const refund = attempt === 1 && input.refund
        ? input.refund
        : await db.createRefund.executeWithOptions(
            { summary: attempt === 1 ? 'Record the refund and its number' : `Record re-issued refund #${attempt} under a new number` },
            [{ causeKey: `cancel:${input.cancellationId}:${attempt}`, orderSn: input.orderSn, reason: input.reason || 'order cancelled' }],
          );
      progress.refundSn = refund.refundSn;
      const outcome = await executeChild(refundWorkflow, {
        workflowId: refundWorkflowId(refund.refundSn),
        args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, cancellationId: input.cancellationId, pollScheduleMs: input.refundPollScheduleMs, ...(legacy ? {} : { refund }) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: describeRefund(refund.refundFen, refund.provider),
        searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
      });
      result.refunds.push(outcome);
      if (outcome.status !== 'REISSUE') break;
    }
    step(CancellationStatus.REFUNDING, 'buyer refunded');
    if (legacy) {
      await remote.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Restore stock' }, [{ orderSn: input.orderSn, kind: 'RESTORE' }]);
      step(CancellationStatus.REFUNDING, 'stock restored');
      await remote.reverseSales.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Take back the sales count' }, [input.orderSn]);
      step(CancellationStatus.REFUNDING, 'sales reversed');
    } else {
      await local.restockCancelledOrder.executeWithOptions({ summary: 'Restore stock and take back the sales count' }, [{ orderSn: input.orderSn, paid: true }]);
      step(CancellationStatus.REFUNDING, 'stock restored, sales reversed');
    }
  }
  if (legacy) await remote.finishCancellation.executeWithOptions({ summary: 'Close the cancellation request' }, [{ orderSn: input.orderSn, cancellationId: input.cancellationId, refunded: input.paid }]);
  step(CancellationStatus.COMPLETED, legacy ? 'cancellation complete' : 'money and stock returned (the order workflow closes the request)');
  return result;
}
