import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';

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
