import { patched, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancellationStatus } from '../domain';
import {
  CancellationProgress,
  CancellationRequestInput,
  CancellationResult,
  CancellationWorkflowInput,
  cancellationProgressQuery,
} from './cancellation.contract';
import { giveBackMoneyAndStock, refundUntilSettled } from './cancellation-steps';
import { runCancellation } from './cancellation-run';
import { DATABASE_RETRY, PROVIDER_CALL_RETRY } from './retry-policies';

const remote = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: DATABASE_RETRY });

/**
 * A cancellation (`cancel-{orderSn}`). Every cancel today is started with a CancellationRequestInput
 * (`asksOrder`) and runs cancellation-run.ts: ask the order, give back after a won cancel, close the
 * request. The older inputs below replay the shapes recorded before: as order workflows started them
 * before they ran the steps themselves (ORDER_RUNS_CANCELLATION_PATCH). The order workflow had applied CANCELLED (its own compare-and-set, which it
 * won); this workflow gives the money and the stock back (cancellation-steps.ts) and the order
 * workflow closes the request when it returns.
 *
 * Cancellations started before the order owned its cancel (no `orderCancelled` in the input) replay
 * the older steps: they mark the order cancelled and close the request themselves.
 */
export async function cancellationWorkflow(input: CancellationWorkflowInput | CancellationRequestInput): Promise<CancellationResult> {
  const asksOrder = 'asksOrder' in input;
  const progress: CancellationProgress = { status: asksOrder ? CancellationStatus.RECEIVED : input.paid ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, steps: [] };
  setHandler(cancellationProgressQuery, () => progress);
  const legacy = !asksOrder && !input.orderCancelled;
  const step = (status: CancellationStatus, done: string) => {
    // Started with their status as a search attribute, runs upsert only a change.
    const changed = status !== progress.status;
    progress.status = status;
    progress.steps.push(done);
    if (legacy || changed) upsertSearchAttributes({ CancellationStatus: [status] });
  };
  // Every cancellation today: ask the order, then give back (cancellation-run.ts).
  if (asksOrder) return runCancellation(input, progress, step);

  if (legacy) {
    await remote.markOrderCancelled.executeWithOptions(
      { startToCloseTimeout: '30s', summary: `Cancel order ${input.orderSn} (${input.from} → CANCELLED)` },
      [input],
    );
  }
  step(input.paid ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, 'order cancelled');

  const result = legacy
    ? await legacySteps(input, step)
    : await giveBackMoneyAndStock(input, { step, refunding: (refundSn) => (progress.refundSn = refundSn) });
  if (legacy) await remote.finishCancellation.executeWithOptions({ summary: 'Close the cancellation request' }, [{ orderSn: input.orderSn, cancellationId: input.cancellationId, refunded: input.paid }]);
  step(CancellationStatus.COMPLETED, legacy ? 'cancellation complete' : 'money and stock returned (the order workflow closes the request)');
  return result;
}

/** The steps of cancellations started before the order workflow owned its cancel (recorded histories only). */
async function legacySteps(input: CancellationWorkflowInput, step: (status: CancellationStatus, done: string) => void): Promise<CancellationResult> {
  const result: CancellationResult = { cancellationId: input.cancellationId, refunds: [], latePayments: [] };
  if (!input.paid) {
    result.latePayments = await remote.closeOpenPayments.executeWithOptions(
      { startToCloseTimeout: '1m', retry: PROVIDER_CALL_RETRY, summary: 'Close the unpaid payment orders at the providers' },
      [input.orderSn],
    );
    step(CancellationStatus.REQUESTED, 'provider payment orders closed');
    await remote.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Release reserved stock' }, [{ orderSn: input.orderSn, kind: 'RELEASE' }]);
    step(CancellationStatus.REQUESTED, 'stock released');
    if (patched('coupon-give-back')) {
      await remote.releaseOrderCoupons.executeWithOptions({ summary: 'Give back the coupons the order used' }, [input.orderSn]);
      step(CancellationStatus.REQUESTED, 'coupons given back');
    }
    return result;
  }
  result.refunds = await refundUntilSettled({ ...input, passRecord: false }, (attempt) =>
    remote.createRefund.executeWithOptions(
      { summary: attempt === 1 ? 'Record the refund and its number' : `Record re-issued refund #${attempt} under a new number` },
      [{ causeKey: `cancel:${input.cancellationId}:${attempt}`, orderSn: input.orderSn, reason: input.reason || 'order cancelled' }],
    ),
  );
  step(CancellationStatus.REFUNDING, 'buyer refunded');
  await remote.restoreStock.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Restore stock' }, [{ orderSn: input.orderSn, kind: 'RESTORE' }]);
  step(CancellationStatus.REFUNDING, 'stock restored');
  await remote.reverseSales.executeWithOptions({ startToCloseTimeout: '30s', summary: 'Take back the sales count' }, [input.orderSn]);
  step(CancellationStatus.REFUNDING, 'sales reversed');
  return result;
}
