import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/**
 * The one map from "the workflow said no" to HTTP 409, for every Update the API sends (orders,
 * cancellations, complaints, support's refund resolutions). An Update refused by its validator or by
 * the workflow (the flow table, a cancellation in progress, a lost compare-and-set) and a workflow
 * that has finished are conflicts with the entity's state, and answer 409 with the workflow's reason
 * (`finished` for the latter); anything else is not a refusal (undefined) and stays an error.
 */
export function refusalReason(err: unknown, finished: string): string | undefined {
  if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
  if (err instanceof WorkflowNotFoundError) return finished;
  return undefined;
}

/** What a refusal says when an order's workflow has finished. */
export const orderFinished = (orderSn: string) => `order ${orderSn} has no running workflow (it is finished)`;

/**
 * Sends an Update again while the call fails without any answer from the workflow: a worker
 * SIGKILLed in the middle of the task that carried it can leave the Update unaccepted and dropped by
 * the server, and the call ends in an RPC error (a 500 in the 1,000-order chaos run). `send` must
 * name a stable updateId, so a copy the server still has is the same Update, and the handler must be
 * idempotent for its request. A refusal or a finished workflow is an answer: never sent again.
 */
export async function sendUpdateUntilAnswered<T>(send: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (err) {
      const unanswered = err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof ServiceError;
      if (!unanswered || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)));
    }
  }
}
