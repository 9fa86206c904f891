/**
 * How a cancellation workflow talks to its order workflow: it asks it to cancel, and later tells it
 * the money and stock are back and waits until the order has settled its pay status.
 *
 * - By Signal (every cancellation started since issue 26, `askBy: 'signal'`): one Signal each way.
 *   A Signal is in the order's history when sent, so the order runs the cancel's effects with no
 *   barrier task first, and no activity holds a slot (or heartbeats) while the order answers.
 * - By the order-requests activities and the order's Updates (cancellations started before): kept
 *   so those histories replay and finish as they began.
 *
 * Workflow code: imports only @temporalio/workflow and pure relative modules.
 */
import { ApplicationFailure, condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CancelRefusalCode } from '../domain';
import { orderRequestsQueueOf } from '../domain/task-queues';
import { CancelAnswer, CancellationRequestInput, OrderSettledAnswer, cancelAnsweredSignal, orderSettledSignal } from './cancellation.contract';
import { CancelRequest, CancellationSettled, OPERATION_REFUSED, cancelAskedSignal, cancellationSettledToldSignal, orderWorkflowId } from './order.contract';
import { DATABASE_RETRY } from './retry-policies';

/**
 * Asking by activity: it heartbeats while it waits for the order's answer, so a killed worker's
 * attempt is retried within seconds under the same Update id (the same Update). It runs on the
 * order-requests task queue (domain/task-queues.ts), where a waiting ask cannot take the slot the
 * order's updateAccepted barrier needs.
 */
const orderAnswer = proxyActivities<Activities>({ startToCloseTimeout: '1m', heartbeatTimeout: '10s', retry: { ...DATABASE_RETRY, maximumInterval: '5s' } });

export interface OrderAsks {
  askToCancel(request: CancelRequest, summary: string): Promise<CancelAnswer>;
  /** Resolves once the order has settled its pay status; a refusal fails the cancellation (nothing more can move safely). */
  tellSettled(settled: CancellationSettled, summary: string): Promise<void>;
}

/** The way this run asks (its input says), with the Signal answers' handlers set before its first await. */
export function orderAsksFor(input: CancellationRequestInput): OrderAsks {
  return input.askBy === 'signal' ? bySignal(input.orderSn) : byActivity(input.orderSn);
}

function byActivity(orderSn: string): OrderAsks {
  const taskQueue = orderRequestsQueueOf(workflowInfo().taskQueue);
  return {
    askToCancel: (request, summary) => orderAnswer.askOrderToCancel.executeWithOptions({ summary, taskQueue }, [{ orderSn, ...request }]),
    tellSettled: (settled, summary) => orderAnswer.tellOrderCancellationSettled.executeWithOptions({ summary, taskQueue }, [{ orderSn, ...settled }]),
  };
}

function bySignal(orderSn: string): OrderAsks {
  const order = getExternalWorkflowHandle(orderWorkflowId(orderSn));
  const replyTo = workflowInfo().workflowId;
  const answers = new Map<number, CancelAnswer>();
  const settledAnswers = new Map<number, OrderSettledAnswer>();
  // The first answer for a request counts: the order answers each copy of a request the same.
  setHandler(cancelAnsweredSignal, ({ cancellationId, answer }) => void (answers.has(cancellationId) || answers.set(cancellationId, answer)));
  setHandler(orderSettledSignal, (answer) => void (settledAnswers.has(answer.cancellationId) || settledAnswers.set(answer.cancellationId, answer)));
  return {
    async askToCancel(request) {
      try {
        await order.signal(cancelAskedSignal, { ...request, replyTo });
      } catch (err) {
        return { refused: { code: CancelRefusalCode.ORDER_FINISHED, reason: `order ${orderSn} has no running workflow (it is finished): ${(err as Error).message}` } };
      }
      await condition(() => answers.has(request.cancellationId));
      return answers.get(request.cancellationId)!;
    },
    async tellSettled(settled, summary) {
      try {
        await order.signal(cancellationSettledToldSignal, { ...settled, replyTo });
      } catch (err) {
        // Finished: an order waits for its cancellation's settlement before it ends, unless it failed
        // or was terminated. The activity's path reads the row for that case (pay status no longer REFUNDING).
        log.warn('order workflow not there to settle: checking its row', { orderSn, error: (err as Error).message });
        return byActivity(orderSn).tellSettled(settled, summary);
      }
      await condition(() => settledAnswers.has(settled.cancellationId));
      const answer = settledAnswers.get(settled.cancellationId)!;
      if (answer.refusal !== undefined) throw ApplicationFailure.nonRetryable(answer.refusal, OPERATION_REFUSED);
    },
  };
}
