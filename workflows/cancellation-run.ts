/**
 * A cancellation as its own workflow (`cancel-{orderSn}`, new runs): it asks the order workflow to
 * cancel — the order checks its table and runs its own compare-and-set, and stays the only writer of
 * its statuses — and only after a won cancel gives back the money (a refund workflow), the stock, the
 * sales and the coupons (cancellation-steps.ts), tells the order to settle its pay status and closes
 * the request. A refusal found at the order ends the request REFUSED with the order's code (or
 * ALREADY_CANCELLED when another cancellation won). This workflow alone moves its request's status
 * after the API recorded it (through db/cancellation-requests.ts).
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancellationStatus } from '../domain';
import { type CancellationProgress, type CancellationRequestInput, type CancellationResult } from './cancellation.contract';
import { orderAsksFor } from './cancellation-asks';
import { giveBackMoneyAndStock } from './cancellation-steps';
import { LOCAL_DATABASE_RETRY } from './retry-policies';

const db = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: LOCAL_DATABASE_RETRY });

export async function runCancellation(
  input: CancellationRequestInput,
  progress: CancellationProgress,
  step: (status: CancellationStatus, done: string) => void,
): Promise<CancellationResult> {
  const { orderSn, cancellationId } = input;
  const order = orderAsksFor(input);
  const answer = await order.askToCancel(
    { cancellationId, reason: input.reason, actor: input.actor, ...(input.actorId !== undefined ? { actorId: input.actorId } : {}) },
    `Ask order ${orderSn} to cancel`,
  );
  if ('refused' in answer) {
    const status = await db.refuseCancellation.executeWithOptions({ summary: `Refused by the order: ${answer.refused.code}` }, [{ orderSn, cancellationId, refusal: answer.refused }]);
    progress.refusal = answer.refused;
    progress.status = status;
    progress.steps.push(status === CancellationStatus.REFUSED ? `refused by the order (${answer.refused.code})` : 'the order was already cancelled');
    upsertSearchAttributes({ CancellationStatus: [status] });
    return { cancellationId, outcome: status === CancellationStatus.REFUSED ? 'REFUSED' : 'ALREADY_CANCELLED', refusal: answer.refused, refunds: [], latePayments: [] };
  }
  const { accepted } = answer;
  const refunding = accepted.refunding;
  await db.markCancellationAccepted.executeWithOptions(
    { summary: refunding ? 'Cancel accepted: refunding' : 'Cancel accepted' },
    [{ cancellationId, refunding, actor: input.actor, ...(input.actorId !== undefined ? { actorId: input.actorId } : {}) }],
  );
  step(refunding ? CancellationStatus.REFUNDING : CancellationStatus.REQUESTED, 'order cancelled');
  const result = await giveBackMoneyAndStock(
    { orderSn, cancellationId, reason: input.reason, paid: refunding, refundPollScheduleMs: input.refundPollScheduleMs, ...(accepted.refund ? { refund: accepted.refund } : {}) },
    { step, refunding: (refundSn) => (progress.refundSn = refundSn) },
  );
  await order.tellSettled(
    { cancellationId, refunded: refunding, latePayments: result.latePayments },
    refunding ? 'Tell the order: refund settled' : 'Tell the order: stock released',
  );
  await db.closeCancellation.executeWithOptions({ summary: 'Close the cancellation request' }, [{ orderSn, cancellationId, refunded: refunding }]);
  step(CancellationStatus.COMPLETED, 'cancellation request closed');
  return { ...result, outcome: 'COMPLETED' };
}
