/**
 * Workflow interceptor: an Update's handler starts only once the Update is in history.
 *
 * The SDK accepts an Update in the same workflow task that runs its handler, and that task is
 * completed (acceptance written) only after the handler's local activities have finished. A worker
 * SIGKILLed in between leaves their effects committed in MySQL while the Update is in no history —
 * and the server may drop it. The 1,000-order chaos run found exactly that: a seller's cancel was
 * committed (order CANCELLED, refund row created) by a local activity, the task timed out twice,
 * the Update was gone, and the order workflow went on as PAID_OFF with the refund never sent.
 * So the task that accepts an Update first ends with a barrier in it: the handler then runs in the
 * next task, where a crash replays the accepted Update and its idempotent steps run again.
 *
 * The barrier is an activity with no effect (`updateAccepted`), dispatched eagerly to this worker in
 * the answer to the accepting task. It was a 1 ms timer, but the server fires no timer sooner than
 * `history.timerProcessorMaxTimeShift` (1 s) after it is set: every Update waited a second for it.
 */
import { proxyActivities, type WorkflowInboundCallsInterceptor } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DATABASE_STEP_RETRY } from './retry-policies';

/** A no-op: an attempt lost with a killed worker is noticed after 5 s and retried at most 5 s apart. */
const { updateAccepted } = proxyActivities<Activities>({ startToCloseTimeout: '5s', retry: DATABASE_STEP_RETRY });

export const updateInHistoryFirst: WorkflowInboundCallsInterceptor = {
  async handleUpdate(input, next) {
    await updateAccepted.executeWithOptions({ summary: `Update ${input.name} accepted` }, [input.name]);
    return next(input);
  },
};
