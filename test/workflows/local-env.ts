import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { writeWorkflowBundle } from '../../apps/worker/workflow-bundle';
import { systemTaskQueues } from '../../domain/task-queues';
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

/**
 * The server schedules every timer at least history.timerProcessorMaxTimeShift (1 s by default) ahead,
 * so a 1 ms timer fired after about a second: these servers shift by 20 ms, and a test's timers of a
 * few hundred ms fire when they are due.
 */
const FAST_TIMERS = ['--dynamic-config-value', 'history.timerProcessorMaxTimeShift="20ms"'];

export async function startLocalWorkflows(): Promise<LocalWorkflows> {
  const cli = process.env.TEST_TEMPORAL_CLI ?? execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'temporal-cli.sh')], { encoding: 'utf8' }).trim();
  // The run's prebuilt bundle when jest's global setup made one; else one bundle of the sources for
  // this file's workers, written while the server starts (webpack once, not at every worker).
  const ownBundle = process.env.TEST_WORKFLOW_BUNDLE ? undefined : join(tmpdir(), `local-workflows-${process.pid}-${randomUUID()}.js`);
  const bundle = ownBundle ? writeWorkflowBundle(ownBundle) : Promise.resolve(process.env.TEST_WORKFLOW_BUNDLE!);
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', extraArgs: ['--log-level', 'error', ...TEMPORAL_DEV_SERVER_DYNAMIC_CONFIG, ...FAST_TIMERS, ...searchAttributeFlags()] },
  });
  const codePath = await bundle;
  return {
    env,
    async withWorker(activities, body) {
      const taskQueue = `local-${randomUUID()}`;
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        // The barrier every Update handler passes first (workflows/update-durability.ts) is a no-op anyway.
        activities: { updateAccepted: async () => undefined, ...activities },
        // The bundle carries the log-context interceptor (writeWorkflowBundle).
        workflowBundle: { codePath },
      });
      // The activities that ask an order and wait for its answer run on the system's order-requests
      // queue (domain/task-queues.ts), served here by a second Worker with the same fakes.
      const orderRequests = await Worker.create({ connection: env.nativeConnection, taskQueue: systemTaskQueues(taskQueue).orderRequests, activities });
      return worker.runUntil(orderRequests.runUntil(body(taskQueue)));
    },
    async teardown() {
      await env.teardown();
      if (ownBundle) rmSync(ownBundle, { force: true });
    },
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

/** The ids of the child workflows a workflow started, in order, from its history. */
export async function childrenStarted(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
}

/** The result of workflow `workflowId` once it exists (another workflow starts it), or fails after `timeoutMs`. */
export async function resultOf<T>(client: Client, workflowId: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const handle = client.workflow.getHandle(workflowId);
    const started = await handle.describe().then(() => true, (err) => { if (!(err instanceof WorkflowNotFoundError) || Date.now() > deadline) throw err; return false; });
    if (started) return handle.result() as Promise<T>;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
