import { ConfigError } from '../../../config/config-error';
import { BATCH_WORKER_DEFAULTS, readBatchWorkerTuning, readOrderRequestSlots, readWorkerTuning } from '../../../config/worker-tuning';
import { orderWorkerTuning } from '../../../apps/worker/worker';
import { readAppConfig } from '../../../config/app-config';

describe('worker tuning settings', () => {
  it('keeps the SDK defaults for concurrency and lets running activities finish for 30 s on shutdown', () => {
    expect(readWorkerTuning({})).toEqual({ shutdownGraceTimeMs: 30_000 });
    expect(orderWorkerTuning(readAppConfig({}))).toEqual({ shutdownGraceTime: 30_000 });
    expect(readWorkerTuning({ WORKER_SHUTDOWN_GRACE: '0' })).toEqual({ shutdownGraceTimeMs: 0 });
  });

  it('takes slots, pollers and the grace from the environment, as WorkerOptions', () => {
    const env = {
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '200',
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '100',
      WORKER_WORKFLOW_TASK_POLLERS: '4',
      WORKER_ACTIVITY_TASK_POLLERS: '8',
      WORKER_SHUTDOWN_GRACE: '45s',
    };
    expect(orderWorkerTuning(readAppConfig(env))).toEqual({
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 200,
      maxConcurrentLocalActivityExecutions: 100,
      maxConcurrentWorkflowTaskPolls: 4,
      maxConcurrentActivityTaskPolls: 8,
      shutdownGraceTime: 45_000,
    });
  });

  it.each([
    [{ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' }, /WORKER_MAX_CONCURRENT_ACTIVITIES: "0" must be a whole number from 1/],
    [{ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'lots' }, /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/],
    [{ WORKER_WORKFLOW_TASK_POLLERS: '1' }, /WORKER_WORKFLOW_TASK_POLLERS: must be at least 2/],
    [{ WORKER_WORKFLOW_TASK_POLLERS: '8', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '4' }, /at most as many pollers as slots/],
    [{ WORKER_SHUTDOWN_GRACE: 'soon' }, /WORKER_SHUTDOWN_GRACE/],
    [{ WORKER_SHUTDOWN_GRACE: '1h' }, /WORKER_SHUTDOWN_GRACE: 1h is longer than 10 min/],
  ])('refuses %p with one line naming the setting', (env, message) => {
    expect(() => readWorkerTuning(env)).toThrow(ConfigError);
    expect(() => readWorkerTuning(env)).toThrow(message);
  });

  it('gives the batch Worker its own small slots by default, each settable as BATCH_WORKER_*', () => {
    expect(readAppConfig({}).worker.batchTuning).toEqual(BATCH_WORKER_DEFAULTS);
    expect(readBatchWorkerTuning({ BATCH_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8', BATCH_WORKER_WORKFLOW_TASK_POLLERS: '4', BATCH_WORKER_MAX_CONCURRENT_ACTIVITIES: '16' })).toEqual({
      ...BATCH_WORKER_DEFAULTS,
      maxConcurrentWorkflowTaskExecutions: 8,
      maxConcurrentWorkflowTaskPolls: 4,
      maxConcurrentActivityTaskExecutions: 16,
    });
    // The main Worker's settings do not leak into the batch Worker's, nor the other way round.
    expect(readAppConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '2' }).worker.batchTuning).toEqual(BATCH_WORKER_DEFAULTS);
    expect(readWorkerTuning({ BATCH_WORKER_MAX_CONCURRENT_ACTIVITIES: '2' })).toEqual({ shutdownGraceTimeMs: 30_000 });
    expect(readOrderRequestSlots({})).toBe(100);
    expect(readOrderRequestSlots({ WORKER_MAX_CONCURRENT_ORDER_REQUESTS: '20' })).toBe(20);
  });

  it.each([
    [{ BATCH_WORKER_MAX_CONCURRENT_ACTIVITIES: '0' }, /BATCH_WORKER_MAX_CONCURRENT_ACTIVITIES: "0" must be a whole number from 1/],
    [{ BATCH_WORKER_WORKFLOW_TASK_POLLERS: '1' }, /BATCH_WORKER_WORKFLOW_TASK_POLLERS: must be at least 2/],
    // 3 pollers over the default 2 workflow task slots.
    [{ BATCH_WORKER_WORKFLOW_TASK_POLLERS: '3' }, /BATCH_WORKER_WORKFLOW_TASK_POLLERS: 3 pollers for 2 workflow task slots/],
    [{ WORKER_MAX_CONCURRENT_ORDER_REQUESTS: 'many' }, /WORKER_MAX_CONCURRENT_ORDER_REQUESTS/],
  ])('refuses the batch and order-request settings %p with one line naming the setting', (env, message) => {
    expect(() => readAppConfig(env)).toThrow(ConfigError);
    expect(() => readAppConfig(env)).toThrow(message);
  });
});
