import { ConfigError } from '../../../config/config-error';
import { readWorkerTuning } from '../../../config/worker-tuning';
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
});
