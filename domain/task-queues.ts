/**
 * The task queues of one system, all named after its main one (TEMPORAL_TASK_QUEUE, e.g. `orders`).
 * The worker process serves each with a Worker of its own, so each has its own slots
 * (apps/worker/worker.ts, docs/priorities-and-versioning.md):
 *
 * - `orders` — people's work: checkout, payment, cancel, refund, after-sale and complaint steps, and
 *   the `updateAccepted` barrier every Update of a workflow on it runs first (workflows/update-durability.ts).
 * - `orders-order-requests` — the activities that ask an order workflow something and wait for its
 *   Update's answer (activities/order-requests.ts). They used to share the activity slots of `orders`,
 *   where the answer's barrier also needs a slot: with more asks in flight than slots, every slot held
 *   an ask waiting for a barrier that could not start (a stall until the asks timed out a minute later).
 * - `orders-batch` — work nobody waits for: the order-status sweep, the refund-status check, the
 *   reconciliation, the orders the sweep resumes, the refunds the check restarts. A backlog of it
 *   never queues ahead of a person's work, on the server or in the worker's slots.
 * - `orders-provider-gates` — the provider gates (workflows/provider-gate.workflow.ts): a gate must
 *   answer within seconds when a backlog of refunds is failing, not wait behind that backlog.
 *
 * Pure: importable by workflow code, which derives the queues from workflowInfo().taskQueue.
 */

export const ORDER_REQUESTS_QUEUE_SUFFIX = '-order-requests';
export const BATCH_QUEUE_SUFFIX = '-batch';
export const PROVIDER_GATES_QUEUE_SUFFIX = '-provider-gates';

const SUFFIXES = [ORDER_REQUESTS_QUEUE_SUFFIX, BATCH_QUEUE_SUFFIX, PROVIDER_GATES_QUEUE_SUFFIX];

export interface SystemTaskQueues {
  /** People's work, and every workflow's barrier activity (TEMPORAL_TASK_QUEUE). */
  main: string;
  orderRequests: string;
  batch: string;
  providerGates: string;
}

export function systemTaskQueues(main: string): SystemTaskQueues {
  return { main, orderRequests: main + ORDER_REQUESTS_QUEUE_SUFFIX, batch: main + BATCH_QUEUE_SUFFIX, providerGates: main + PROVIDER_GATES_QUEUE_SUFFIX };
}

/**
 * The system's main queue from any of its queues: what a workflow derives the others from, wherever
 * it runs (a resumed order on the batch queue asks on the same order-requests queue as any other).
 */
export function mainTaskQueueOf(taskQueue: string): string {
  const suffix = SUFFIXES.find((s) => taskQueue.endsWith(s) && taskQueue.length > s.length);
  return suffix ? taskQueue.slice(0, -suffix.length) : taskQueue;
}

/** Where a workflow running on `taskQueue` schedules the activities that wait for an order's answer. */
export const orderRequestsQueueOf = (taskQueue: string): string => systemTaskQueues(mainTaskQueueOf(taskQueue)).orderRequests;

/** The main queue may not itself look like one of the derived ones (their names would collide). */
export function mainTaskQueueProblem(main: string): string | undefined {
  const suffix = SUFFIXES.find((s) => main.endsWith(s));
  return suffix ? `"${main}" ends with "${suffix}", the suffix of one of the queues named after it (domain/task-queues.ts)` : undefined;
}
