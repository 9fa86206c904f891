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
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancellationStatus } from '../domain';
import type { CancellationResult } from './cancellation.contract';
import type { RefundRecord } from './refund.contract';
import { refundUntilSettled } from './refund-loop';
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
  const recordRefund = (attempt: number) =>
    local.createRefund.executeWithOptions(
      { summary: attempt === 1 ? 'Record the refund and its number' : `Record re-issued refund #${attempt} under a new number` },
      [{ causeKey: `cancel:${input.cancellationId}:${attempt}`, orderSn: input.orderSn, reason: input.reason || 'order cancelled' }],
    );
  result.refunds = await refundUntilSettled(input.refund ?? (await recordRefund(1)), {
    orderSn: input.orderSn,
    pollScheduleMs: input.refundPollScheduleMs,
    cancellationId: input.cancellationId,
    interactive: true,
    reissue: recordRefund,
    started: (refund) => progress.refunding(refund.refundSn),
  });
  step(CancellationStatus.REFUNDING, 'buyer refunded');
  await local.restockCancelledOrder.executeWithOptions({ summary: 'Restore stock and take back the sales count' }, [{ orderSn: input.orderSn, paid: true }]);
  step(CancellationStatus.REFUNDING, 'stock restored, sales reversed');
  return result;
}
