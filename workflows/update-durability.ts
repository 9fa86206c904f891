/**
 * Workflow interceptor: an Update's handler starts only once the Update is in history.
 *
 * The SDK accepts an Update in the same workflow task that runs its handler, and that task is
 * completed (acceptance written) only after the handler's local activities have finished. A worker
 * SIGKILLed in between leaves their effects committed in MySQL while the Update is in no history —
 * and the server may drop it. The 1,000-order chaos run found exactly that: a seller's cancel was
 * committed (order CANCELLED, refund row created) by a local activity, the task timed out twice,
 * the Update was gone, and the order workflow went on as PAID_OFF with the refund never sent.
 * A 1 ms timer first ends the task (acceptance + timer in history); the handler then runs in the
 * next task, where a crash replays the accepted Update and its idempotent steps run again.
 */
import { patched, sleep, type WorkflowInboundCallsInterceptor } from '@temporalio/workflow';

/** Histories from before it replay their Updates without the timer. */
export const UPDATE_IN_HISTORY_FIRST_PATCH = 'update-in-history-before-its-effects';

export const updateInHistoryFirst: WorkflowInboundCallsInterceptor = {
  async handleUpdate(input, next) {
    if (patched(UPDATE_IN_HISTORY_FIRST_PATCH)) await sleep(1);
    return next(input);
  },
};
