/**
 * The cancel-after-payment flow's own shape with bodies that do nothing (bench/skeleton.ts drives it):
 * the same three workflows (an order; a cancellation the client starts, which asks the order by a
 * Signal and is answered by one, and runs the refund as its child; the refund), the same signals,
 * timers, activities and local activities in the same workflow tasks, and the same search-attribute
 * upserts, as the histories of the real flow show them (docs/performance.md lists both counts).
 * Left out: the patch markers of the first task (versioning bookkeeping, not the design's shape).
 */
import { condition, defineSignal, getExternalWorkflowHandle, proxyActivities, proxyLocalActivities, setHandler, sleep, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SkeletonActivities } from '../skeleton-activities';

const act = proxyActivities<SkeletonActivities>({ startToCloseTimeout: '30s' });
const local = proxyLocalActivities<SkeletonActivities>({ startToCloseTimeout: '10s' });

export const paymentStartedSignal = defineSignal('paymentStarted');
export const paymentConfirmedSignal = defineSignal('paymentConfirmed');
export const refundNotifiedSignal = defineSignal('refundNotified');
export const cancelAskedSignal = defineSignal('cancelAsked');
export const cancellationSettledToldSignal = defineSignal('cancellationSettledTold');
export const cancelAnsweredSignal = defineSignal('cancelAnswered');
export const orderSettledSignal = defineSignal('orderSettled');

const cancellationOf = (input: SkeletonInput) => getExternalWorkflowHandle(`skeleton-cancel-${input.flowId}`);
const orderOf = (input: SkeletonInput) => getExternalWorkflowHandle(`skeleton-order-${input.flowId}`);

export interface SkeletonInput {
  flowId: string;
  lateWindowMs: number;
}

export async function skeletonOrderWorkflow(input: SkeletonInput): Promise<void> {
  let started = false;
  let paid = false;
  let cancelled = false;
  let settled = false;
  setHandler(paymentStartedSignal, () => void (started = true));
  setHandler(paymentConfirmedSignal, () => void (paid = true));
  // As the real order: the cancellation's Signals are in history when sent, so each step runs at once and is answered by Signal.
  setHandler(cancelAskedSignal, async () => {
    await local.step(input.flowId, 'cancelled');
    upsertSearchAttributes({ OrderStatus: ['CANCELLED'] });
    cancelled = true;
    await cancellationOf(input).signal(cancelAnsweredSignal);
  });
  setHandler(cancellationSettledToldSignal, async () => {
    await local.step(input.flowId, 'settled');
    settled = true;
    await cancellationOf(input).signal(orderSettledSignal);
  });
  await local.step(input.flowId, 'confirmed');
  upsertSearchAttributes({ OrderStatus: ['CONFIRM'] });
  // The unpaid order's timer, then the payment query's (both cancelled by what arrives first).
  await condition(() => started, '24h');
  await condition(() => paid, '10m');
  await local.step(input.flowId, 'paid');
  upsertSearchAttributes({ OrderStatus: ['PAID_OFF'] });
  await condition(() => cancelled);
  await condition(() => settled);
  // The late-payment window of a cancelled order.
  await sleep(input.lateWindowMs);
}

export async function skeletonCancellationWorkflow(input: SkeletonInput): Promise<void> {
  let answered = false;
  let settled = false;
  setHandler(cancelAnsweredSignal, () => void (answered = true));
  setHandler(orderSettledSignal, () => void (settled = true));
  await orderOf(input).signal(cancelAskedSignal);
  await condition(() => answered);
  await local.step(input.flowId, 'refund recorded');
  upsertSearchAttributes({ CancellationStatus: ['REFUNDING'] });
  const refund = await startChild(skeletonRefundWorkflow, { workflowId: `skeleton-refund-${input.flowId}`, args: [input], searchAttributes: { OrderSn: [input.flowId] } });
  await refund.result();
  await local.step(input.flowId, 'restocked');
  await orderOf(input).signal(cancellationSettledToldSignal);
  await condition(() => settled);
  await local.step(input.flowId, 'closed');
  upsertSearchAttributes({ CancellationStatus: ['COMPLETED'] });
}

export async function skeletonRefundWorkflow(input: SkeletonInput): Promise<void> {
  let notified = false;
  setHandler(refundNotifiedSignal, () => void (notified = true));
  await local.step(input.flowId, 'slot claimed');
  await act.submitRefund(input.flowId, workflowInfo().workflowId);
  upsertSearchAttributes({ RefundStatus: ['PROCESSING'] });
  // The poll's timer, beaten by the provider's notification.
  await condition(() => notified, '10m');
  await local.step(input.flowId, 'refunded');
  upsertSearchAttributes({ RefundStatus: ['SUCCESS'] });
}
