import type { Client } from '@temporalio/client';
import { ActivityInterceptorsFactory, DefaultLogger, NativeConnection, Runtime, Worker, WorkerOptions, bundleWorkflowCode } from '@temporalio/worker';
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

/** The main Worker's concurrency and shutdown grace from validated settings (config/worker-tuning.ts); unset counts keep the SDK's defaults. */
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

/** The activities that wait for an order workflow's answer: the only ones the order-requests Worker registers. */
export const ORDER_REQUEST_ACTIVITIES = ['askOrderToCancel', 'tellOrderCancellationSettled', 'openAfterSaleOnOrder', 'closeAfterSaleOnOrder'] as const;

/**
 * The provider gates' Worker: a handful of long-running workflows, their probes and the barrier of
 * each call-slot Update. Fixed and small: it needs to be free, not big.
 */
const PROVIDER_GATE_WORKER_TUNING = { maxConcurrentWorkflowTaskExecutions: 2, maxConcurrentWorkflowTaskPolls: 2, maxConcurrentActivityTaskExecutions: 8, maxConcurrentActivityTaskPolls: 2, maxConcurrentLocalActivityExecutions: 2 };

/**
 * The Workers of one worker process, one per task queue of the system (domain/task-queues.ts), each
 * with its own slots: main (people's work), order-requests (activities waiting for an order's answer),
 * batch (sweeps, reconciliation, resumed orders) and provider-gates. Run and stopped together.
 */
export class OrderWorkers {
  constructor(readonly main: Worker, readonly orderRequests: Worker, readonly batch: Worker, readonly providerGates: Worker) {}

  get all(): Worker[] {
    return [this.main, this.orderRequests, this.batch, this.providerGates];
  }

  /** Runs every Worker until all have stopped; one that fails stops the others and its error is thrown. */
  async run(): Promise<void> {
    const results = await Promise.allSettled(this.all.map((worker) => worker.run().catch((err: unknown) => {
      this.shutdown();
      throw err;
    })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Graceful stop of every Worker (each lets its running activities finish within the shutdown grace). */
  shutdown(): void {
    for (const worker of this.all) if (worker.getState() === 'RUNNING') worker.shutdown();
  }
}

/** Every Worker of the process (OrderWorkers): the order, cancellation and refund workflows and their activities on their queues. */
export async function createOrderWorkers(options: OrderWorkerOptions): Promise<OrderWorkers> {
  const { config } = options;
  const queues = config.temporal.taskQueues;
  const providers = createPaymentProviders(config.payments);
  const inbox = options.temporalClient && new ProviderInbox(options.dataSource, options.temporalClient, providers, { taskQueue: config.temporal.taskQueue, refundPollScheduleMs: config.refund.pollScheduleMs, workPriorities: config.workPriorities, warn: (m) => Runtime.instance().logger.warn(m) });
  // One bundle for the three Workers that run workflows (webpack once, not three times).
  const workflowCode = await sharedWorkflowCode(options.workflowBundlePath);
  // Events this worker's steps commit wake their sellers' webhook endpoint workflows at once.
  if (options.temporalClient) installWebhookNotifier(options.dataSource, options.temporalClient, (m) => Runtime.instance().logger.warn(m));
  const activities = createActivities({
    dataSource: options.dataSource,
    providers,
    notifyBaseUrl: config.api.publicBaseUrl,
    inbox,
    refundSpacing: config.refund.spacingMs,
    providerGate: config.providerGate,
    webhooks: config.webhooks,
    warn: (message) => Runtime.instance().logger.warn(message),
    sweeps: options.temporalClient && {
      temporal: options.temporalClient,
      taskQueue: config.temporal.taskQueue,
      ...orderRuntimeOf(config),
      sweeps: config.sweeps,
      workPriorities: config.workPriorities,
    },
  });
  // What every Worker of this process shares: the codec, the deployment version (each Worker of a
  // versioned deployment declares the same one, so the server routes a pinned workflow's tasks on
  // every queue to its version), the shutdown grace and the activity interceptors.
  const common = {
    connection: options.connection,
    namespace: config.temporal.namespace,
    // The same codec as every client's: what the API starts, the worker reads, and the other way round.
    dataConverter: temporalDataConverter(config.temporal.payloadEncryption),
    ...orderWorkerVersioning(config),
    shutdownGraceTime: config.worker.tuning.shutdownGraceTimeMs,
    interceptors: { activity: [activityLogContext, ...(options.activityInterceptors ?? [])] },
  };
  // Created side by side: each Worker that runs workflows loads the bundle into its own workflow thread.
  const [main, orderRequests, batch, providerGates] = await Promise.all([
    Worker.create({ ...common, taskQueue: queues.main, ...orderWorkerTuning(config), ...workflowCode, activities }),
    Worker.create({
      ...common,
      taskQueue: queues.orderRequests,
      maxConcurrentActivityTaskExecutions: config.worker.orderRequestSlots,
      activities: Object.fromEntries(ORDER_REQUEST_ACTIVITIES.map((name) => [name, activities[name]])),
    }),
    Worker.create({ ...common, taskQueue: queues.batch, ...config.worker.batchTuning, ...workflowCode, activities }),
    Worker.create({ ...common, taskQueue: queues.providerGates, ...PROVIDER_GATE_WORKER_TUNING, ...workflowCode, activities }),
  ]);
  return new OrderWorkers(main, orderRequests, batch, providerGates);
}

/**
 * The prebuilt bundle (npm run build, WORKFLOW_BUNDLE, the tests' one), or the sources bundled here
 * once, with the log-context interceptor built in as in a prebuilt one (workflow-bundle.ts).
 */
async function sharedWorkflowCode(bundlePath?: string): Promise<{ workflowBundle: { codePath: string } | { code: string } }> {
  const option = workflowCodeOption(bundlePath);
  if ('workflowBundle' in option) return option;
  const { code } = await bundleWorkflowCode({ workflowsPath: option.workflowsPath, workflowInterceptorModules: [WORKFLOW_LOG_CONTEXT], logger: new DefaultLogger('WARN') });
  return { workflowBundle: { code } };
}
