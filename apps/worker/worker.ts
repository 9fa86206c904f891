import type { Client } from '@temporalio/client';
import { ActivityInterceptorsFactory, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import type { AppConfig } from '../../config/app-config';
import { createPaymentProviders } from '../../payments';
import { activityLogContext } from './activity-log-context';
import { ProviderInbox } from '../shared/provider-inbox';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  config: AppConfig;
  dataSource: DataSource;
  /** For the scheduled sweeps' activities, which signal and start order and refund workflows. */
  temporalClient?: Client;
  /** More activity interceptors (the health probe's); activity logs always carry orderSn / refundSn. */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

/** The worker that runs every order, cancellation and refund workflow and their activities. */
export function createOrderWorker(options: OrderWorkerOptions): Promise<Worker> {
  const { config } = options;
  const providers = createPaymentProviders(config.payments);
  const inbox = options.temporalClient && new ProviderInbox(options.dataSource, options.temporalClient, providers, { taskQueue: config.temporal.taskQueue, refundPollScheduleMs: config.refund.pollScheduleMs, warn: (m) => Runtime.instance().logger.warn(m) });
  return Worker.create({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.config.temporal.taskQueue,
    // Resolves to workflows/index.ts under ts-node/jest and dist/workflows/index.js when compiled.
    workflowsPath: require.resolve('../../workflows'),
    interceptors: {
      activity: [activityLogContext, ...(options.activityInterceptors ?? [])],
      // Workflow log lines carry orderSn (a prebuilt bundle must list this module in workflowInterceptorModules).
      workflowModules: [require.resolve('../../workflows/log-context')],
    },
    activities: createActivities({
      dataSource: options.dataSource,
      providers,
      notifyBaseUrl: options.config.api.publicBaseUrl,
      inbox,
      sweeps: options.temporalClient && {
        temporal: options.temporalClient,
        taskQueue: options.config.temporal.taskQueue,
        orderSettings: options.config.orderSettings,
        latePaymentWindowMs: options.config.latePaymentWindowMs,
        refundPollScheduleMs: options.config.refund.pollScheduleMs,
        sweeps: options.config.sweeps,
      },
    }),
  });
}
