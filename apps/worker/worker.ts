import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import type { AppConfig } from '../../config/app-config';
import { createPaymentProviders } from '../../payments';
import { orderRuntimeOf } from '../shared/start-workflows';
import { workflowCodeOption } from './workflow-bundle';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  config: AppConfig;
  dataSource: DataSource;
  /** For the scheduled sweeps' activities, which signal and start order and refund workflows. */
  temporalClient?: Client;
  /** A prebuilt workflow bundle (tests bundle once per run); default: see workflowCodeOption. */
  workflowBundlePath?: string;
}

/**
 * Worker options for the 2-core development machine, measured with npm run bench:flow (README):
 * the SDK defaults, except as noted.
 */
export const ORDER_WORKER_TUNING: Partial<WorkerOptions> = {};

/** The worker that runs every order, cancellation and refund workflow and their activities. */
export function createOrderWorker(options: OrderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.config.temporal.taskQueue,
    ...ORDER_WORKER_TUNING,
    // The bundle prebuilt by npm run build (or WORKFLOW_BUNDLE); the sources under ts-node/jest.
    ...workflowCodeOption(options.workflowBundlePath),
    activities: createActivities({
      dataSource: options.dataSource,
      providers: createPaymentProviders(options.config.payments),
      notifyBaseUrl: options.config.api.publicBaseUrl,
      sweeps: options.temporalClient && {
        temporal: options.temporalClient,
        taskQueue: options.config.temporal.taskQueue,
        ...orderRuntimeOf(options.config),
        sweeps: options.config.sweeps,
      },
    }),
  });
}
