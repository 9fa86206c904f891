import { randomUUID } from 'node:crypto';
import {
  type Client,
  ServiceError,
  WorkflowHandle,
  type WorkflowStartOptions,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import { executeUpdateWithStartWorkflow } from '../../shared/start-workflows';
import type { WorkflowRef } from '../../../workflows/workflow-ref';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { workflowRefusal } from './problem-details';
import { durableStepSignal } from '../../../workflows/durable-steps.contract';

/** What a refusal says when an order's workflow has finished. */
export const orderFinished = (orderSn: string) => `order ${orderSn} has no running workflow (it is finished)`;

/**
 * How long an API call waits for a workflow to answer its Update. A worker killed in the middle of
 * the task that carried it is replaced within seconds and the Update is delivered again, so an
 * answer normally comes well within this; past it the caller gets a 503 with Retry-After (or, where
 * the request is already durably recorded, a 202), never an open-ended wait or a 500.
 */
export const UPDATE_ANSWER_BUDGET_MS = 60_000;

/**
 * One attempt's wait. An Update whose workflow task died with its worker can be dropped by the
 * server before it was accepted, and a caller still waiting on it then hears nothing until its
 * deadline (the 1,000-order chaos run: an after-sale opened 7 s after its application while the
 * application's 20 s wait heard nothing). Sending it again, under the same id, re-admits a dropped
 * Update and attaches to one the server still has.
 */
const ATTEMPT_MS = 8_000;

/** No worker answered the Update within the budget (503 WORKFLOW_NOT_ANSWERING, Retry-After): nothing was refused; read, then send again if the step is not there. */
export class WorkflowNotAnswering extends DomainError {
  static readonly RETRY_AFTER_SECONDS = 5;
  constructor(what: string, budgetMs = UPDATE_ANSWER_BUDGET_MS) {
    super(
      ErrorCode.WORKFLOW_NOT_ANSWERING,
      `${what}: no worker answered within ${Math.round(budgetMs / 1000)} s. Nothing was refused, and the server may still deliver it when a worker is back: read the entity, and send the request again if the step is not there`,
      { retryAfterSeconds: WorkflowNotAnswering.RETRY_AFTER_SECONDS },
    );
  }
}

/**
 * Sends an Update again while the call fails without any answer from the workflow: a worker
 * SIGKILLed in the middle of the task that carried it can leave the Update unaccepted and dropped by
 * the server, and the call ends in an RPC error (a 500 in the 1,000-order chaos run). Every attempt
 * carries the same `updateId`, so a copy the server still has is the same Update (the handler must be
 * idempotent for its request); each attempt waits at most ATTEMPT_MS, the whole call the budget. A refusal or a
 * finished workflow is an answer: never sent again, thrown as is. Past the budget: WorkflowNotAnswering.
 */
export function sendUpdateUntilAnswered<Ret, Args extends any[]>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
  updateId: string,
  budgetMs = UPDATE_ANSWER_BUDGET_MS,
): Promise<Ret> {
  // (The cast only picks one of executeUpdate's overloads for a generic argument list.)
  return untilAnswered(`${update.name} on ${handle.workflowId}`, budgetMs, (attemptDeadline) =>
    handle.client.withDeadline(attemptDeadline, () => handle.executeUpdate(update as unknown as UpdateDefinition<Ret, [unknown]>, { args: args as unknown as [unknown], updateId })),
  );
}

/**
 * The same for an Update sent with its workflow's start in one call (update-with-start): every
 * attempt starts the workflow or, by its conflict policy, attaches to the one a first attempt
 * started, and sends the Update under the same id — so a start whose answer was lost is not a
 * second workflow, and an Update the server dropped is admitted again.
 */
export function sendUpdateWithStartUntilAnswered<W extends Workflow, Ret, Args extends any[]>(
  client: Client,
  workflow: WorkflowRef<W>,
  update: UpdateDefinition<Ret, Args>,
  options: { start: WorkflowStartOptions<W> & { workflowIdConflictPolicy: 'USE_EXISTING' }; args?: Args; updateId: string },
  budgetMs = UPDATE_ANSWER_BUDGET_MS,
): Promise<Ret> {
  return untilAnswered(`${update.name} on ${options.start.workflowId}`, budgetMs, (attemptDeadline) =>
    client.withDeadline(attemptDeadline, () => executeUpdateWithStartWorkflow(client, workflow, update, options)),
  );
}

/** Runs `attempt` (each with a deadline of at most ATTEMPT_MS) again while it ends unanswered, within the budget; past it WorkflowNotAnswering. */
async function untilAnswered<Ret>(what: string, budgetMs: number, attempt: (attemptDeadline: number) => Promise<Ret>): Promise<Ret> {
  const deadline = Date.now() + budgetMs;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(Math.min(deadline, Date.now() + ATTEMPT_MS));
    } catch (err) {
      if (!unanswered(err)) throw err;
      const left = deadline - Date.now();
      if (left < 250) throw new WorkflowNotAnswering(what, budgetMs);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * n, 5000, left - 200)));
    }
  }
}

/**
 * A person's step the workflow has accepted (validated, and in its history, so it will run) but not
 * finished within the call's wait: answered 202 with where to read its outcome (steps.controller.ts),
 * not a 503 — the request is not lost and must not be sent again.
 */
export class StepPending extends Error {
  constructor(
    readonly workflowId: string,
    readonly updateId: string,
    readonly step: string,
  ) {
    super(`${step} on ${workflowId} is accepted and still running`);
  }
}

/** How long, at the end of a step's wait, the API asks whether the server has accepted the step. */
const ACCEPTED_CHECK_MS = 3_000;
/** How long sending the step again as a Signal may take. */
const SIGNAL_MS = 2_000;

/**
 * A person's step on an entity's workflow: sent as above under an id of its own (one per HTTP
 * call, so the call's own retries are one Update), a refusal answered with the workflow's code and
 * reason (problem-details.ts workflowRefusal; `finished` when its workflow has ended). When no answer
 * came within the budget, the step is asked for once more under its id, up to the Accepted stage:
 * accepted means durable. Not accepted, it is sent again as the `durableStep` Signal (the same id and
 * arguments, workflows/durable-steps.ts), which the server writes to history with no worker; the
 * workflow runs whichever copy comes first, once. Either way the answer is StepPending (202, where to
 * read the outcome); only when neither can be placed, WorkflowNotAnswering (503). The whole call stays
 * within the budget.
 */
export async function sendStep<Ret, Args extends any[]>(handle: WorkflowHandle, update: UpdateDefinition<Ret, Args>, args: Args, finished: string): Promise<Ret> {
  const updateId = `${update.name}-${randomUUID()}`;
  try {
    try {
      return await sendUpdateUntilAnswered(handle, update, args, updateId, UPDATE_ANSWER_BUDGET_MS - ACCEPTED_CHECK_MS - SIGNAL_MS);
    } catch (err) {
      if (!(err instanceof WorkflowNotAnswering)) throw err;
      const placed =
        (await answered(handle.client.withDeadline(Date.now() + ACCEPTED_CHECK_MS, () =>
          handle.startUpdate(update as unknown as UpdateDefinition<Ret, [unknown]>, { args: args as unknown as [unknown], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }),
        ))) || (await answered(handle.client.withDeadline(Date.now() + SIGNAL_MS, () => handle.signal(durableStepSignal, { stepId: updateId, update: update.name, args }))));
      throw placed ? new StepPending(handle.workflowId, updateId, update.name) : new WorkflowNotAnswering(`${update.name} on ${handle.workflowId}`);
    }
  } catch (err) {
    throw workflowRefusal(err, finished) ?? err;
  }
}

/** No answer from the workflow's side: the call's deadline passed or the service did not answer (as opposed to a refusal). */
function unanswered(err: unknown): boolean {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || err instanceof ServiceError;
}

/** Whether a call got through in time: false when unanswered; other errors are thrown. */
function answered(call: Promise<unknown>): Promise<boolean> {
  return call.then(
    () => true,
    (err) => {
      if (unanswered(err)) return false;
      throw err;
    },
  );
}
