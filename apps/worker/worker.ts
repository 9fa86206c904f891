import type { Client } from '@temporalio/client';
import { ActivityInterceptorsFactory, NativeConnection, Runtime, Worker, WorkerOptions } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../../activities';
import type { AppConfig } from '../../config/app-config';
import { createPaymentProviders } from '../../payments';
import { activityLogContext } from './activity-log-context';
import { ProviderInbox } from '../shared/provider-inbox';
import { installWebhookNotifier } from '../shared/webhook-notifier';
import { orderRuntimeOf } from '../shared/start-workflows';
import { temporalDataConverter } from '../shared/temporal';
import { WORKFLOW_LOG_CONTEXT, workflowCodeOption } from './workflow-bundle';
import { DEFAULT_VERSIONING_BEHAVIOR } from '../../workflows/versioning';

export interface OrderWorkerOptions {
  connection: NativeConnection;
  config: AppConfig;
  dataSource: DataSource;
  /** For the scheduled sweeps' activities, which signal and start order and refund workflows. */
  temporalClient?: Client;
  /** More activity interceptors (the health probe's); activity logs always carry orderSn / refundSn. */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** A prebuilt workflow bundle (tests bundle once per run); default: see workflowCodeOption. */
  workflowBundlePath?: string;
}

/** The worker's concurrency and shutdown grace from validated settings (config/worker-tuning.ts); unset counts keep the SDK's defaults. */
export function orderWorkerTuning(config: AppConfig): Partial<WorkerOptions> {
  const { shutdownGraceTimeMs, ...counts } = config.worker.tuning;
  return { ...counts, shutdownGraceTime: shutdownGraceTimeMs };
}

/**
 * Worker Versioning (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID): the worker polls as that version of
 * the deployment; each workflow type's PINNED or AUTO_UPGRADE is in workflows/versioning.ts. Unset:
 * unversioned, as before (tests, npm run dev unless it sets them).
 */
export function orderWorkerVersioning(config: AppConfig): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const versioning = config.worker.versioning;
  if (!versioning) return {};
  return { workerDeploymentOptions: { useWorkerVersioning: true, version: { deploymentName: versioning.deploymentName, buildId: versioning.buildId }, defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR } };
}

/** The worker that runs every order, cancellation and refund workflow and their activities. */
export function createOrderWorker(options: OrderWorkerOptions): Promise<Worker> {
  const { config } = options;
  const providers = createPaymentProviders(config.payments);
  const inbox = options.temporalClient && new ProviderInbox(options.dataSource, options.temporalClient, providers, { taskQueue: config.temporal.taskQueue, refundPollScheduleMs: config.refund.pollScheduleMs, workPriorities: config.workPriorities, warn: (m) => Runtime.instance().logger.warn(m) });
  const workflowCode = workflowCodeOption(options.workflowBundlePath);
  // Events this worker's steps commit wake their sellers' webhook endpoint workflows at once.
  if (options.temporalClient) installWebhookNotifier(options.dataSource, options.temporalClient, (m) => Runtime.instance().logger.warn(m));
  return Worker.create({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.config.temporal.taskQueue,
    // The same codec as every client's: what the API starts, the worker reads, and the other way round.
    dataConverter: temporalDataConverter(options.config.temporal.payloadEncryption),
    ...orderWorkerTuning(config),
    ...orderWorkerVersioning(config),
    // The bundle prebuilt by npm run build (or WORKFLOW_BUNDLE); the sources under ts-node/jest.
    ...workflowCode,
    interceptors: {
      activity: [activityLogContext, ...(options.activityInterceptors ?? [])],
      // Workflow log lines carry orderSn; a prebuilt bundle has the module built in (workflow-bundle.ts).
      ...('workflowsPath' in workflowCode ? { workflowModules: [WORKFLOW_LOG_CONTEXT] } : {}),
    },
    activities: createActivities({
      dataSource: options.dataSource,
      providers,
      notifyBaseUrl: options.config.api.publicBaseUrl,
      inbox,
      refundSpacing: options.config.refund.spacingMs,
      providerGate: options.config.providerGate,
      webhooks: options.config.webhooks,
      warn: (message) => Runtime.instance().logger.warn(message),
      sweeps: options.temporalClient && {
        temporal: options.temporalClient,
        taskQueue: options.config.temporal.taskQueue,
        ...orderRuntimeOf(options.config),
        sweeps: options.config.sweeps,
        workPriorities: options.config.workPriorities,
      },
    }),
  });
}
