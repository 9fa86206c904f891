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

const COUNTS = {
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'maxConcurrentWorkflowTaskExecutions',
  WORKER_MAX_CONCURRENT_ACTIVITIES: 'maxConcurrentActivityTaskExecutions',
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: 'maxConcurrentLocalActivityExecutions',
  WORKER_WORKFLOW_TASK_POLLERS: 'maxConcurrentWorkflowTaskPolls',
  WORKER_ACTIVITY_TASK_POLLERS: 'maxConcurrentActivityTaskPolls',
} as const;

export function readWorkerTuning(env: NodeJS.ProcessEnv): WorkerTuning {
  const tuning: WorkerTuning = { shutdownGraceTimeMs: readGrace(env) };
  for (const [name, option] of Object.entries(COUNTS)) {
    const raw = (env[name] ?? '').trim();
    if (raw === '') continue;
    if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1) throw new ConfigError(name, `"${raw}" must be a whole number from 1 to 9999`);
    tuning[option] = Number(raw);
  }
  // The SDK needs two pollers at least on a sticky queue, and more pollers than slots only wait.
  if (tuning.maxConcurrentWorkflowTaskPolls === 1) throw new ConfigError('WORKER_WORKFLOW_TASK_POLLERS', 'must be at least 2 (one for the sticky queue, one for the normal one)');
  if (tuning.maxConcurrentWorkflowTaskPolls !== undefined && tuning.maxConcurrentWorkflowTaskExecutions !== undefined && tuning.maxConcurrentWorkflowTaskPolls > tuning.maxConcurrentWorkflowTaskExecutions) {
    throw new ConfigError('WORKER_WORKFLOW_TASK_POLLERS', `${tuning.maxConcurrentWorkflowTaskPolls} pollers for ${tuning.maxConcurrentWorkflowTaskExecutions} workflow task slots: at most as many pollers as slots`);
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
