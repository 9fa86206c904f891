import { parseDuration } from '../domain';
import { ConfigError } from './config-error';

/**
 * How much one worker process takes on at once, and how long it lets running activities finish when
 * told to stop. Unset values keep the SDK's defaults, which bench:flow measured as the best on the
 * 2-core development box (docs/performance.md); a bigger pod raises them.
 */
export interface WorkerTuning {
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskPolls?: number;
  maxConcurrentActivityTaskPolls?: number;
  /**
   * On SIGTERM the worker stops polling and waits this long for running activities before it cancels
   * them (a rolling deploy must not cut a provider call half way). Keep it below the orchestrator's
   * grace period (Kubernetes terminationGracePeriodSeconds), which then kills the process.
   */
  shutdownGraceTimeMs: number;
}

/** Each count's setting of the main Worker (the names spelled out: a search for one finds where it is read). */
const COUNTS = {
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'maxConcurrentWorkflowTaskExecutions',
  WORKER_MAX_CONCURRENT_ACTIVITIES: 'maxConcurrentActivityTaskExecutions',
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 'maxConcurrentLocalActivityExecutions',
  WORKER_WORKFLOW_TASK_POLLERS: 'maxConcurrentWorkflowTaskPolls',
  WORKER_ACTIVITY_TASK_POLLERS: 'maxConcurrentActivityTaskPolls',
} as const;

/** The same counts of the batch Worker. */
const BATCH_COUNTS = {
  BATCH_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'maxConcurrentWorkflowTaskExecutions',
  BATCH_WORKER_MAX_CONCURRENT_ACTIVITIES: 'maxConcurrentActivityTaskExecutions',
  BATCH_WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 'maxConcurrentLocalActivityExecutions',
  BATCH_WORKER_WORKFLOW_TASK_POLLERS: 'maxConcurrentWorkflowTaskPolls',
  BATCH_WORKER_ACTIVITY_TASK_POLLERS: 'maxConcurrentActivityTaskPolls',
} as const;

export type WorkerCounts = Omit<WorkerTuning, 'shutdownGraceTimeMs'>;

export function readWorkerTuning(env: NodeJS.ProcessEnv): WorkerTuning {
  return { shutdownGraceTimeMs: readGrace(env), ...readCounts(env, COUNTS, 'WORKER_WORKFLOW_TASK_POLLERS', {}) };
}

/**
 * The batch Worker's slots (BATCH_COUNTS; the task queue `{TEMPORAL_TASK_QUEUE}-batch`,
 * domain/task-queues.ts). Its own and small by default: the sweep, the reconciliation and the orders
 * they resume share the process (and the box's cores) with people's work, so batch work gets a few
 * slots and waits on the server for more, where it delays nobody; a dedicated batch pod raises them.
 */
export const BATCH_WORKER_DEFAULTS: Required<WorkerCounts> = {
  maxConcurrentWorkflowTaskExecutions: 2,
  maxConcurrentActivityTaskExecutions: 4,
  maxConcurrentLocalActivityExecutions: 4,
  maxConcurrentWorkflowTaskPolls: 2,
  maxConcurrentActivityTaskPolls: 2,
};

export function readBatchWorkerTuning(env: NodeJS.ProcessEnv): Required<WorkerCounts> {
  return readCounts(env, BATCH_COUNTS, 'BATCH_WORKER_WORKFLOW_TASK_POLLERS', BATCH_WORKER_DEFAULTS) as Required<WorkerCounts>;
}

/**
 * WORKER_MAX_CONCURRENT_ORDER_REQUESTS: activity slots of the Worker on `{TEMPORAL_TASK_QUEUE}-order-requests`,
 * whose activities only wait for an order workflow's answer (an Update) and hold no database
 * connection meanwhile: many are cheap. Default 100 (the SDK's default for activity slots).
 */
export function readOrderRequestSlots(env: NodeJS.ProcessEnv): number {
  return readCount(env, 'WORKER_MAX_CONCURRENT_ORDER_REQUESTS') ?? 100;
}

function readCount(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return undefined;
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1) throw new ConfigError(name, `"${raw}" must be a whole number from 1 to 9999`);
  return Number(raw);
}

function readCounts(env: NodeJS.ProcessEnv, table: Record<string, keyof WorkerCounts>, pollers: string, defaults: WorkerCounts): WorkerCounts {
  const tuning: WorkerCounts = { ...defaults };
  for (const [name, option] of Object.entries(table)) {
    const value = readCount(env, name);
    if (value !== undefined) tuning[option] = value;
  }
  // The SDK needs two pollers at least on a sticky queue, and more pollers than slots only wait.
  if (tuning.maxConcurrentWorkflowTaskPolls === 1) throw new ConfigError(pollers, 'must be at least 2 (one for the sticky queue, one for the normal one)');
  if (tuning.maxConcurrentWorkflowTaskPolls !== undefined && tuning.maxConcurrentWorkflowTaskExecutions !== undefined && tuning.maxConcurrentWorkflowTaskPolls > tuning.maxConcurrentWorkflowTaskExecutions) {
    throw new ConfigError(pollers, `${tuning.maxConcurrentWorkflowTaskPolls} pollers for ${tuning.maxConcurrentWorkflowTaskExecutions} workflow task slots: at most as many pollers as slots`);
  }
  return tuning;
}

function readGrace(env: NodeJS.ProcessEnv): number {
  const raw = (env.WORKER_SHUTDOWN_GRACE ?? '30s').trim();
  // 0: cancel running activities at once (the test systems, whose teardown must not wait).
  if (raw === '0' || raw === '0s') return 0;
  let ms: number;
  try {
    ms = parseDuration(raw, 'WORKER_SHUTDOWN_GRACE');
  } catch (err) {
    throw new ConfigError('WORKER_SHUTDOWN_GRACE', (err as Error).message);
  }
  if (ms > 10 * 60_000) throw new ConfigError('WORKER_SHUTDOWN_GRACE', `${raw} is longer than 10 min: a deploy would wait that long per pod`);
  return ms;
}
