/**
 * Giving a cancelled order's money and stock back, once the order workflow has won the cancel's
 * compare-and-set: refund through a child refund workflow if the buyer paid (re-issued under a new
 * number when support asks), else close the provider's unpaid payment orders; then restore the stock
 * (and take back the sales, or give back the coupons). Every step is an idempotent activity that
 * leaves a log row and shows by name in the UI.
 *
 * The cancellation workflow (`cancel-{orderSn}`) runs them; the order workflow runs them itself only
 * when another request's cancellation workflow holds that id (order-cancel.ts).
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ParentClosePolicy, executeChild, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancellationStatus, describeRefund, stepPriority } from '../domain';
import type { CancellationResult } from './cancellation.contract';
import { refundWorkflowId, type RefundOutcome, type RefundRecord } from './refund.contract';
import { refundWorkflow } from './refund.workflow';
import { LOCAL_DATABASE_RETRY, PROVIDER_CALL_RETRY } from './retry-policies';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: PROVIDER_CALL_RETRY });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

export interface GiveBackInput {
  orderSn: string;
  cancellationId: number;
  reason: string;
  paid: boolean;
  refundPollScheduleMs: number[];
  /** The first refund, recorded in the cancel's own transaction (paid cancellations). */
  refund?: RefundRecord;
}

/** What the caller is told as the steps go: each step done, and the refund being waited for. */
export interface GiveBackProgress {
  step(status: CancellationStatus, done: string): void;
  refunding(refundSn: string): void;
}

export async function giveBackMoneyAndStock(input: GiveBackInput, progress: GiveBackProgress): Promise<CancellationResult> {
  const step = progress.step.bind(progress);
  const result: CancellationResult = { cancellationId: input.cancellationId, refunds: [], latePayments: [] };
  if (!input.paid) {
    result.latePayments = await remote.closeOpenPayments.executeWithOptions(
      { summary: 'Close the unpaid payment orders at the providers' },
      [input.orderSn],
    );
    step(CancellationStatus.REQUESTED, 'provider payment orders closed');
    await local.restockCancelledOrder.executeWithOptions({ summary: 'Release reserved stock' }, [{ orderSn: input.orderSn, paid: false }]);
    step(CancellationStatus.REQUESTED, 'stock released');
    await local.releaseOrderCoupons.executeWithOptions({ summary: 'Give back the coupons the order used' }, [input.orderSn]);
    step(CancellationStatus.REQUESTED, 'coupons given back');
    return result;
  }
  result.refunds = await refundUntilSettled(
    input,
    async (attempt) =>
      attempt === 1 && input.refund
        ? input.refund
        : local.createRefund.executeWithOptions(
            { summary: attempt === 1 ? 'Record the refund and its number' : `Record re-issued refund #${attempt} under a new number` },
            [{ causeKey: `cancel:${input.cancellationId}:${attempt}`, orderSn: input.orderSn, reason: input.reason || 'order cancelled' }],
          ),
    progress.refunding.bind(progress),
  );
  step(CancellationStatus.REFUNDING, 'buyer refunded');
  await local.restockCancelledOrder.executeWithOptions({ summary: 'Restore stock and take back the sales count' }, [{ orderSn: input.orderSn, paid: true }]);
  step(CancellationStatus.REFUNDING, 'stock restored, sales reversed');
  return result;
}

/**
 * The cancellation's refund as a child refund workflow, until it settles. A CLOSED refund re-issued by
 * support gets a new number: a new cause key (`recordRefund` of the next attempt), a new refund workflow.
 */
export async function refundUntilSettled(
  input: { orderSn: string; cancellationId: number; refundPollScheduleMs: number[] },
  recordRefund: (attempt: number) => Promise<RefundRecord>,
  refunding: (refundSn: string) => void = () => undefined,
): Promise<RefundOutcome[]> {
  const outcomes: RefundOutcome[] = [];
  for (let attempt = 1; ; attempt += 1) {
    const refund = await recordRefund(attempt);
    refunding(refund.refundSn);
    // A cancel's refund is interactive work even in an order a batch job resumed (domain/work-priority.ts).
    const priority = stepPriority('cancel', workflowInfo().priority?.priorityKey);
    const outcome = await executeChild(refundWorkflow, {
      ...(priority ? { priority } : {}),
      workflowId: refundWorkflowId(refund.refundSn),
      args: [{ refundSn: refund.refundSn, orderSn: input.orderSn, cancellationId: input.cancellationId, pollScheduleMs: input.refundPollScheduleMs, refund }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: describeRefund(refund.refundFen, refund.provider),
      searchAttributes: { OrderSn: [input.orderSn], RefundStatus: [refund.status] },
    });
    outcomes.push(outcome);
    if (outcome.status !== 'REISSUE') return outcomes;
  }
}
