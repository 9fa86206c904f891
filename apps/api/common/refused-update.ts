import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';

/**
 * The one map from "the workflow said no" to HTTP 409. An Update refused by its validator or by the
 * workflow (the flow table, a cancellation in progress, a lost compare-and-set) and an order whose
 * workflow has finished are conflicts with the order's state, and answer 409 with the workflow's
 * reason; anything else is not a refusal (undefined) and stays an error.
 */
export function refusalReason(err: unknown, orderSn: string): string | undefined {
  if (err instanceof WorkflowUpdateFailedError) return err.cause?.message ?? err.message;
  if (err instanceof WorkflowNotFoundError) return `order ${orderSn} has no running workflow (it is finished)`;
  return undefined;
}
