/**
 * The one refund loop, for every caller (cancellation, after-sale, complaint arbitration, goodwill,
 * late payment): a recorded refund runs as a child refund workflow (`refund-{refundSn}`: submit with
 * its stored number, wait for the provider, park ABNORMAL / CLOSED for support) until it settles. A
 * CLOSED refund that support re-issues comes back as REISSUE: the caller records the next attempt
 * under its next cause key (a new number, the same money) and it runs again.
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ParentClosePolicy, executeChild, workflowInfo } from '@temporalio/workflow';
import { describeRefund, stepPriority } from '../domain';
import { mainTaskQueueOf } from '../domain/task-queues';
import { refundWorkflowId, type RefundOutcome, type RefundRecord } from './refund.contract';
import { refundWorkflow } from './refund.workflow';

export interface RefundLoop {
  orderSn: string;
  pollScheduleMs: number[];
  /** How the child shows in the Temporal UI: before the refund's own description ("After-sale S1: "). */
  summaryPrefix?: string;
  /** The description itself, when it is not "Refund ¥x via provider" (describeRefund's verb). */
  verb?: string;
  /** Search attributes beyond OrderSn and RefundStatus (ServiceSn for an after-sale's). */
  searchAttributes?: Record<string, string[]>;
  /** A cancellation's refund: the request's status follows the refund's (refund.contract.ts). */
  cancellationId?: number;
  /** A cancellation's refund is interactive work even in an order a batch job resumed (domain/work-priority.ts). */
  interactive?: boolean;
  /**
   * Records attempt `attempt` (2, 3, …) after support re-issued the CLOSED `closed`: a new number
   * under the caller's next cause key. Undefined when the caller takes no re-issue (the loop ends).
   */
  reissue(attempt: number, closed: RefundRecord): Promise<RefundRecord | undefined>;
  /** Told each refund as it starts (the caller's query shows the one being waited for). */
  started?(refund: RefundRecord): void;
}

/** Runs `first` and each re-issue until one settles; the outcomes in order (the last is the settled one, or REISSUE not taken). */
export async function refundUntilSettled(first: RefundRecord, loop: RefundLoop): Promise<RefundOutcome[]> {
  const outcomes: RefundOutcome[] = [];
  const priority = loop.interactive ? stepPriority('cancel', workflowInfo().priority?.priorityKey) : undefined;
  // ...and runs on the main queue even from an order the sweep resumed on the batch queue (domain/task-queues.ts).
  const ownQueue = workflowInfo().taskQueue;
  const interactiveQueue = loop.interactive && mainTaskQueueOf(ownQueue) !== ownQueue ? { taskQueue: mainTaskQueueOf(ownQueue) } : {};
  let refund = first;
  for (let attempt = 2; ; attempt += 1) {
    loop.started?.(refund);
    const outcome = await executeChild(refundWorkflow, {
      ...(priority ? { priority } : {}),
      ...interactiveQueue,
      workflowId: refundWorkflowId(refund.refundSn),
      args: [{ refundSn: refund.refundSn, orderSn: loop.orderSn, pollScheduleMs: loop.pollScheduleMs, refund, ...(loop.cancellationId !== undefined ? { cancellationId: loop.cancellationId } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `${loop.summaryPrefix ?? ''}${describeRefund(refund.refundFen, refund.provider, loop.verb)}`,
      searchAttributes: { OrderSn: [loop.orderSn], RefundStatus: [refund.status], ...loop.searchAttributes },
    });
    outcomes.push(outcome);
    if (outcome.status !== 'REISSUE') return outcomes;
    const next = await loop.reissue(attempt, refund);
    if (!next) return outcomes;
    refund = next;
  }
}
