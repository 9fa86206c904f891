import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { temporalDataConverter } from '../apps/shared/temporal';
import { orderWorkerTuning } from '../apps/worker/worker';
import { readAppConfig } from '../config/app-config';
import { readPayloadEncryption } from '../config/payload-encryption';
import { drive } from './measure';

/**
 * The engine's ceiling on this server: `count` workflows that do nothing, `concurrency` at a time
 * (start and wait for each), on a task queue of their own with the order worker's options.
 */
export async function measureNoopCeiling(client: Client, count: number, concurrency: number): Promise<number> {
  const taskQueue = `bench-noop-${randomBytes(3).toString('hex')}`;
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./noop'), logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  // The client's codec (the order system's), so the ceiling includes what every real payload pays.
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { code }, dataConverter: temporalDataConverter(readPayloadEncryption(process.env)), ...orderWorkerTuning(readAppConfig()) });
  const running = worker.run();
  // Warm-up: the first workflows pay for connections and caches.
  await Promise.all(Array.from({ length: 10 }, (_, i) => client.workflow.execute('noopWorkflow', { taskQueue, workflowId: `noop-warm-${taskQueue}-${i}` })));
  const began = Date.now();
  await drive(Array.from({ length: count }, (_, i) => i), concurrency, 0, async (i) => {
    await client.workflow.execute('noopWorkflow', { taskQueue, workflowId: `noop-${taskQueue}-${i}` });
  });
  const rate = count / ((Date.now() - began) / 1000);
  worker.shutdown();
  await running;
  await connection.close();
  return rate;
}
