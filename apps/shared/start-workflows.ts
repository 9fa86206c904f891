import { WithStartWorkflowOperation } from '@temporalio/client';
import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowHandleWithSignaledRunId, WorkflowSignalWithStartOptions, WorkflowStartOptions } from '@temporalio/client';
import type { UpdateDefinition, WithWorkflowArgs, Workflow, WorkflowIdConflictPolicy } from '@temporalio/common';
import type { AppConfig } from '../../config/app-config';
import { OrderStatus } from '../../domain';
import { ORDER_WORKFLOW, OrderRuntimeSettings, OrderWorkflow, OrderWorkflowInput, orderWorkflowId } from '../../workflows/order.contract';
import { CANCELLATION_WORKFLOW, CancellationRequestInput, cancellationWorkflowId } from '../../workflows/cancellation.contract';
import type { WorkflowRef } from '../../workflows/workflow-ref';

/**
 * Every start of a workflow goes through these helpers, by the typed reference in the workflow's
 * contract: the arguments are checked against the workflow's input type and no caller spells a
 * workflow type name.
 */
export function startWorkflow<W extends Workflow>(client: Client, workflow: WorkflowRef<W>, options: WorkflowStartOptions<W>): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  return client.workflow.start<W>(workflow.workflowType, options);
}

export function signalWithStartWorkflow<W extends Workflow, SA extends any[]>(client: Client, workflow: WorkflowRef<W>, options: WithWorkflowArgs<W, WorkflowSignalWithStartOptions<SA>>): Promise<WorkflowHandleWithSignaledRunId<W>> {
  return client.workflow.signalWithStart<W, SA>(workflow.workflowType, options);
}

/**
 * Starts the workflow (or, by the conflict policy, attaches to the running one) and sends it an
 * Update in one call, answering with the Update's result: for requests whose answer the workflow
 * decides in its first steps (support's goodwill refund).
 */
export function executeUpdateWithStartWorkflow<W extends Workflow, Ret, Args extends any[]>(
  client: Client,
  workflow: WorkflowRef<W>,
  update: UpdateDefinition<Ret, Args>,
  options: { start: WorkflowStartOptions<W> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy }; args?: Args; updateId?: string },
): Promise<Ret> {
  return client.workflow.executeUpdateWithStart(update, {
    ...(options.args ? { args: options.args } : {}),
    ...(options.updateId ? { updateId: options.updateId } : {}),
    startWorkflowOperation: new WithStartWorkflowOperation<W>(workflow.workflowType, options.start),
  });
}

/**
 * Starts `order-{orderSn}` with the search attributes support uses (OrderSn, SellerId, BuyerId,
 * OrderStatus) — for a new order (the API) or one resumed from its row (the sweep).
 */
export function startOrderWorkflow(
  client: Client,
  taskQueue: string,
  input: OrderWorkflowInput,
  options: Pick<WorkflowStartOptions<OrderWorkflow>, 'workflowIdConflictPolicy' | 'workflowIdReusePolicy' | 'staticSummary' | 'priority'> & { memo?: Record<string, unknown> },
): Promise<WorkflowHandleWithFirstExecutionRunId<OrderWorkflow>> {
  return startWorkflow(client, ORDER_WORKFLOW, {
    workflowId: orderWorkflowId(input.orderSn),
    taskQueue,
    args: [input],
    searchAttributes: {
      OrderSn: [input.orderSn],
      SellerId: [input.sellerId],
      BuyerId: [input.buyerId],
      OrderStatus: [input.resume?.status ?? OrderStatus.NEW],
    },
    ...options,
    memo: { flow: input.flow, orderFen: input.orderFen, ...options.memo },
  });
}

/**
 * Starts `cancel-{orderSn}` for one cancel request: durable at the server once this returns, no worker
 * needed. FAIL on a running one (another request's cancellation, or this request's own: the memo's
 * cancellationId tells which) so a retried or second cancel never starts a second cancellation; a
 * closed one may be followed (a cancel refused earlier does not block a later one).
 */
/** `priority`: a person's cancel is interactive work (domain/work-priority.ts); absent when priorities are off. */
export function startCancellationWorkflow(client: Client, taskQueue: string, input: CancellationRequestInput, sellerId: string | number, priority?: { priorityKey: number }) {
  return startWorkflow(client, CANCELLATION_WORKFLOW, {
    workflowId: cancellationWorkflowId(input.orderSn),
    taskQueue,
    // Every cancellation started now asks its order by Signal (cancellation.contract.ts askBy).
    args: [{ ...input, askBy: 'signal' }],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: { OrderSn: [input.orderSn], SellerId: [String(sellerId)], CancellationStatus: ['RECEIVED'] },
    memo: { cancellationId: input.cancellationId },
    ...(priority ? { priority } : {}),
    // No reason in the summary: it may carry personal data, and a summary is not the payloads' business.
    staticSummary: `Cancel order ${input.orderSn} (asked by the ${input.actor.toLowerCase()})`,
  });
}

/** The settings every order workflow's input carries, from the validated configuration. */
export function orderRuntimeOf(config: Pick<AppConfig, 'orderSettings' | 'latePaymentWindowMs' | 'refund'>): OrderRuntimeSettings {
  return { orderSettings: config.orderSettings, latePaymentWindowMs: config.latePaymentWindowMs, refundPollScheduleMs: config.refund.pollScheduleMs };
}
