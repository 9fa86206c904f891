/**
 * Which work goes first when the task queue has a backlog: the one rule, used by the API (workflow
 * starts), the sweeps' activities (the orders they hand over), the schedules and the workflows (the
 * interactive steps of a workflow that a batch job started).
 *
 * Temporal's task priority: `priorityKey` 1 is served first, 5 last, 3 is the server's default. A
 * workflow's workflow tasks, its activities and its child workflows inherit its key unless a start
 * names another, so the key is set where work enters the system and only overridden where a
 * person starts something inside a workflow a batch job began.
 *
 * The server needs the priority matcher (`matching.useNewMatcher=true`) and, since priority orders
 * tasks within one partition, one task-queue partition (`matching.numTaskqueue{Read,Write}Partitions=1`):
 * temporal-config/dynamicconfig/, test/support/temporal-dev-server.ts, scripts/dev.sh.
 *
 * Pure: no I/O, importable by workflow code.
 */

/** Someone is waiting (a buyer at checkout, a seller's cancel, support's step): first. */
export const INTERACTIVE_PRIORITY_KEY = 1;
/** Work nobody waits for right now but that is not bulk either (the server's default). */
export const DEFAULT_PRIORITY_KEY = 3;
/** Bulk work started by a schedule or an operator for many rows at once: last. */
export const BATCH_PRIORITY_KEY = 5;

export type WorkClass = 'interactive' | 'default' | 'batch';

const KEY_OF: Record<WorkClass, number> = { interactive: INTERACTIVE_PRIORITY_KEY, default: DEFAULT_PRIORITY_KEY, batch: BATCH_PRIORITY_KEY };

/** Every kind of work that starts a workflow (or overrides a priority inside one), and its class. */
export const WORK_CLASSES = {
  /** POST /trades: the order workflow (and with it its payment watch, cancel, refund steps). */
  checkout: 'interactive',
  /** A provider's payment notification for an order already cancelled (late-payment refund). */
  payment: 'interactive',
  /** A seller's, buyer's or support's cancel; the refund it starts. */
  cancel: 'interactive',
  /** A buyer's after-sale application and its steps. */
  'after-sale': 'interactive',
  /** A buyer's complaint and its steps. */
  complaint: 'interactive',
  /** Support's goodwill refund. */
  'goodwill-refund': 'interactive',
  /** A group buy joined at checkout. */
  'group-buy': 'interactive',
  /** The replacement order an after-sale creates. */
  'linked-order': 'interactive',
  /** The daily order-status sweep itself (schedule or POST /admin/sweeps/…/run). */
  'order-status-sweep': 'batch',
  /** An overdue order the sweep hands to a (resumed) order workflow. */
  'sweep-handover': 'batch',
  /** The hourly refund-status check, and the refund workflows it restarts. */
  'refund-status-check': 'batch',
  /** The daily reconciliation against a provider's bill. */
  reconciliation: 'batch',
} as const satisfies Record<string, WorkClass>;

export type PrioritizedWork = keyof typeof WORK_CLASSES;

export interface WorkPriority {
  priorityKey: number;
}

/**
 * The priority to start `kind` of work with, or undefined when priorities are switched off
 * (WORK_PRIORITIES=off: every task at the server's default, as before priorities existed).
 */
export function workPriority(kind: PrioritizedWork, enabled: boolean): WorkPriority | undefined {
  return enabled ? { priorityKey: KEY_OF[WORK_CLASSES[kind]] } : undefined;
}

/**
 * Inside a workflow: the priority for a step of `kind`, given the workflow's own priority key
 * (workflowInfo().priority?.priorityKey). A workflow started without a key ran with priorities off
 * (or before they existed): its steps stay without one too, so WORK_PRIORITIES=off switches
 * everything off. Undefined also when the step's key is the one the workflow's steps inherit anyway.
 */
export function stepPriority(kind: PrioritizedWork, workflowPriorityKey: number | undefined): WorkPriority | undefined {
  if (!workflowPriorityKey) return undefined;
  const key = KEY_OF[WORK_CLASSES[kind]];
  return key === workflowPriorityKey ? undefined : { priorityKey: key };
}

/** WORK_PRIORITIES: on (default) or off; anything else is refused with the reason. */
export function parseWorkPriorities(raw: string | undefined): boolean | string {
  const value = (raw ?? 'on').trim().toLowerCase();
  if (value === '' || value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'off' || value === 'false' || value === '0') return false;
  return `"${raw}" must be on or off`;
}
