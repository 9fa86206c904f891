import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { WORKFLOW_LOG_CONTEXT, workflowCodeOption } from '../../apps/worker/workflow-bundle';
import { TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG, searchAttributeFlags } from '../support/temporal-dev-server';

/**
 * Fast workflow tests: one workflow type on a local Temporal server of its own (the project's Temporal
 * CLI binary through TestWorkflowEnvironment.createLocal, nothing downloaded) with its activities
 * replaced by in-memory fakes, so each branch and timer is driven in milliseconds. The full-system
 * tests (test/integration) run the same workflows against MariaDB and the simulator.
 */
export interface LocalWorkflows {
  env: TestWorkflowEnvironment;
  /** Runs `body` while a worker on a fresh task queue serves the workflows with these activities. */
  withWorker<T>(activities: Partial<Activities>, body: (taskQueue: string) => Promise<T>): Promise<T>;
  teardown(): Promise<void>;
}

export async function startLocalWorkflows(): Promise<LocalWorkflows> {
  const cli = process.env.TEST_TEMPORAL_CLI ?? execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'temporal-cli.sh')], { encoding: 'utf8' }).trim();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', extraArgs: ['--log-level', 'error', ...TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG, ...searchAttributeFlags()] },
  });
  // The run's prebuilt bundle when jest's global setup made one; the sources otherwise.
  const code = workflowCodeOption(process.env.TEST_WORKFLOW_BUNDLE);
  return {
    env,
    async withWorker(activities, body) {
      const taskQueue = `local-${randomUUID()}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        // The barrier every Update handler passes first (workflows/update-durability.ts) is a no-op anyway.
        activities: { updateAccepted: async () => undefined, ...activities },
        ...code,
        ...('workflowsPath' in code ? { interceptors: { workflowModules: [WORKFLOW_LOG_CONTEXT] } } : {}),
      });
      return worker.runUntil(body(taskQueue));
    },
    teardown: () => env.teardown(),
  };
}

/** Polls a workflow's query until `until` holds (the workflow got there), or fails after `timeoutMs`. */
export async function queryUntil<T>(handle: WorkflowHandle, query: string, until: (answer: T) => boolean, timeoutMs = 10_000, args: unknown[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await handle.query<T, unknown[]>(query, ...args).catch((err) => { if (process.env.DEBUG_LOCAL) console.log('query failed', err); return undefined; });
    if (answer !== undefined && until(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`${handle.workflowId}: query ${query} never matched; last answer ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Activity types a workflow scheduled, in order, from its history. */
export async function activitiesRun(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) return [scheduled];
    // Local activities appear as markers carrying their type.
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = marker.details?.data?.payloads?.[0]?.data;
      if (data) {
        const details = JSON.parse(Buffer.from(data).toString()) as { activity_type?: string; activityType?: string };
        return [String(details.activity_type ?? details.activityType)];
      }
    }
    return [];
  });
}

/** The timers a workflow started, in order, as their durations in ms. */
export async function timersStarted(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
  });
}
