/**
 * A typed reference to a workflow, declared in its contract module. Starting a workflow by a bare name
 * string loses its argument and result types; importing the implementation to pass the function
 * itself would pull workflow code into the API and the activities. A reference carries the type name
 * the worker registers and the function's type, so `startWorkflow(client, ORDER_WORKFLOW, …)` checks
 * args and result at compile time (test/unit/workflow-contracts.test.ts checks each name against the
 * bundle's exports).
 */
export interface WorkflowRef<W extends (...args: any[]) => Promise<any>> {
  readonly workflowType: string;
  /** Type-level only: the workflow function's signature. */
  readonly signature?: W;
}

export function workflowRef<W extends (...args: any[]) => Promise<any>>(workflowType: string): WorkflowRef<W> {
  return { workflowType };
}
