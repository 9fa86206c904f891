import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { temporalDataConverter } from '../apps/shared/temporal';
import { orderWorkerTuning } from '../apps/worker/worker';
import { readAppConfig } from '../config/app-config';
import { readPayloadEncryption } from '../config/payload-encryption';
import { drive } from './measure';
import { skeletonActivities } from './skeleton-activities';

/**
 * The flow's skeleton (bench/skeleton-workflows/index.ts) on the same server, on a task queue of its own with its
 * own worker in this process (the order worker's options and payload codec, as the no-op ceiling):
 * `count` flows, `concurrency` at a time, driven as the real flow is (start the order; payment started;
 * paid; once paid, the cancellation; done when refunded), waiting on the steps the workflows report.
 * Returns flows/s and the flow ids (each flow's workflows carry OrderSn = its id).
 */
export async function measureSkeleton(
  client: Client,
  count: number,
  concurrency: number,
  options: { lateWindowMs: number; refundProcessingMs: number },
  hooks: { beforeMeasured?: () => Promise<void> } = {},
): Promise<{ rate: number; flowIds: string[] }> {
  const taskQueue = `bench-skeleton-${randomBytes(3).toString('hex')}`;
  const waiting = new Map<string, () => void>();
  const reached = new Set<string>();
  const onStep = (flowId: string, what: string) => {
    const key = `${flowId}:${what}`;
    reached.add(key);
    waiting.get(key)?.();
  };
  const until = (flowId: string, what: string) => new Promise<void>((resolve) => (reached.has(`${flowId}:${what}`) ? resolve() : waiting.set(`${flowId}:${what}`, resolve)));
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./skeleton-workflows'), logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { code },
    activities: skeletonActivities(client, onStep, options.refundProcessingMs),
    dataConverter: temporalDataConverter(readPayloadEncryption(process.env)),
    ...orderWorkerTuning(readAppConfig()),
  });
  const running = worker.run();
  const flow = async (flowId: string) => {
    const input = { flowId, lateWindowMs: options.lateWindowMs };
    const order = await client.workflow.start('skeletonOrderWorkflow', { taskQueue, workflowId: `skeleton-order-${flowId}`, args: [input], searchAttributes: { OrderSn: [flowId], OrderStatus: ['NEW'] } });
    await until(flowId, 'confirmed');
    await order.signal('paymentStarted');
    // In the real flow the provider's round trip (the simulator takes the payment, its notification
    // comes back through the API) lets the order handle the first signal in a task of its own before
    // the second arrives: here the driver waits for that task to complete (no history, no action).
    await untilNoWorkflowTaskPending(order);
    await order.signal('paymentConfirmed');
    await until(flowId, 'paid');
    await client.workflow.start('skeletonCancellationWorkflow', { taskQueue, workflowId: `skeleton-cancel-${flowId}`, args: [input], searchAttributes: { OrderSn: [flowId], CancellationStatus: ['RECEIVED'] } });
    await until(flowId, 'refunded');
  };
  // Warm-up, as the real flow's: the worker's first tasks pay for caches; run to their end, so none of
  // their actions falls into the measured window.
  const warmUp = Array.from({ length: 5 }, (_, i) => `warm-${taskQueue}-${i}`);
  await Promise.all(warmUp.map(flow));
  await Promise.all(warmUp.map((id) => client.workflow.getHandle(`skeleton-order-${id}`).result()));
  await hooks.beforeMeasured?.();
  const flowIds = Array.from({ length: count }, (_, i) => `${taskQueue}-${i}`);
  const began = Date.now();
  await drive(flowIds, concurrency, 0, flow);
  const rate = count / ((Date.now() - began) / 1000);
  // Let the orders' late-payment windows run out before the worker goes.
  await Promise.all(flowIds.map((id) => client.workflow.getHandle(`skeleton-order-${id}`).result().catch(() => undefined)));
  worker.shutdown();
  await running;
  await connection.close();
  return { rate, flowIds };
}

/** Until the workflow's pending task (if any) has completed: what the real flow's provider round trip gives it. */
async function untilNoWorkflowTaskPending(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const { raw } = await handle.describe();
    if (!raw.pendingWorkflowTask) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
