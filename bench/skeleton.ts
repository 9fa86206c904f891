import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { temporalDataConverter } from '../apps/shared/temporal';
import { orderWorkerTuning } from '../apps/worker/worker';
import { readAppConfig } from '../config/app-config';
import { readPayloadEncryption } from '../config/payload-encryption';
import { drive } from './measure';
import { skeletonActivities } from './skeleton-activities';

const PROVIDER_ROUND_TRIP_MS = 100;

/**
 * The flow's skeleton (bench/skeleton-workflows/index.ts) on the same server, on a task queue of its own with its
 * own worker in this process (the order worker's options and payload codec, as the no-op ceiling):
 * `count` flows, `concurrency` at a time, driven as the real flow is (start the order; payment started;
 * paid; once paid, the cancellation; done when refunded), waiting on the steps the workflows report.
 * Returns flows/s and the flow ids (each flow's workflows carry OrderSn = its id).
 */
export async function measureSkeleton(client: Client, count: number, concurrency: number, options: { lateWindowMs: number; refundProcessingMs: number }): Promise<{ rate: number; flowIds: string[] }> {
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
    // The provider's round trip between the two (the real flow: the simulator takes the payment and
    // its notification comes back through the API), so the two signals reach the order in two tasks, as there.
    await new Promise((r) => setTimeout(r, PROVIDER_ROUND_TRIP_MS));
    await order.signal('paymentConfirmed');
    await until(flowId, 'paid');
    await client.workflow.start('skeletonCancellationWorkflow', { taskQueue, workflowId: `skeleton-cancel-${flowId}`, args: [input], searchAttributes: { OrderSn: [flowId], CancellationStatus: ['RECEIVED'] } });
    await until(flowId, 'refunded');
  };
  // Warm-up, as the real flow's: the worker's first tasks pay for caches.
  await Promise.all(Array.from({ length: 5 }, (_, i) => flow(`warm-${taskQueue}-${i}`)));
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
