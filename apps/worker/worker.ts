import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataSource: DataSource;
}

/** The worker that runs every order, cancellation and refund workflow and their activities. */
export function createOrderWorker(options: OrderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    // Resolves to workflows/index.ts under ts-node/jest and dist/workflows/index.js when compiled.
    workflowsPath: require.resolve('../../workflows'),
    activities: createActivities({ dataSource: options.dataSource }),
  });
}
