import 'reflect-metadata';
import { Runtime } from '@temporalio/worker';
import { readAppConfig } from '../../config/app-config';
import { runMain } from '../../config/run-main';
import { connectDataSource } from '../../db/data-source';
import { createLogger, PinoSdkLogger } from '../shared/logger';
import { connectTemporalClient, connectWorkerConnection } from '../shared/temporal';
import { WorkerProbe } from './observability';
import { applySchedules } from './schedules';
import { registerSupportQueueMetrics } from './support-queue-metrics';
import { registerProviderGateMetrics } from './provider-gate-metrics';
import { createOrderWorkers } from './worker';
import { registerWebhookMetrics } from './webhook-metrics';
import { ensureWebhookEndpointWorkflows } from '../shared/webhook-workflows';

runMain(async () => {
  const config = readAppConfig();
  const logger = createLogger('worker');
  const sdkMetrics = !config.worker.sdkMetricsAddress.endsWith(':0');
  Runtime.install({
    // Worker, workflow `log`, activity `log` and the Rust core all write through the same pino.
    logger: new PinoSdkLogger(logger),
    // This process owns its shutdown sequence (below), so the SDK must not also react to signals.
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: process.env.TEMPORAL_CORE_LOG_LEVEL || 'WARN', forward: {} },
      // Port 0 (WORKER_METRICS_PORT=0 without an SDK address) means no fixed port to scrape: the SDK exporter stays off.
      // The exporter's defaults on purpose: the names and units Temporal's SDK dashboard for Core-based SDKs
      // queries (counters without `_total`, e.g. temporal_activity_execution_failed; latency histograms in
      // milliseconds without a unit suffix, e.g. temporal_workflow_task_schedule_to_start_latency_bucket).
      ...(sdkMetrics ? { metrics: { prometheus: { bindAddress: config.worker.sdkMetricsAddress, countersTotalSuffix: false, unitSuffix: false, useSecondsForDurations: false } } } : {}),
    },
  });
  const dataSource = await connectDataSource(config.databaseUrl, { tls: config.databaseTls });
  const probe = new WorkerProbe(dataSource, sdkMetrics ? `http://${config.worker.sdkMetricsAddress}/metrics` : undefined);
  registerSupportQueueMetrics(probe.registry, dataSource, config.supportQueue.serviceLevelsMs);
  const connection = await connectWorkerConnection(config.temporal);
  const temporalClient = await connectTemporalClient(config.temporal);
  if (config.providerGate.enabled) registerProviderGateMetrics(probe.registry, temporalClient, config.temporal.taskQueue);
  registerWebhookMetrics(probe.registry, dataSource);
  // One Worker per task queue of the system (domain/task-queues.ts), each with its own slots.
  const workers = await createOrderWorkers({ connection, config, dataSource, temporalClient, activityInterceptors: [probe.activityInterceptor] });
  probe.watch(workers.all);
  const probePort = await probe.listen(config.worker.metricsPort, config.worker.metricsHost);
  // Idempotent: creates the sweep schedules, or updates them to this configuration.
  const schedules = await applySchedules(temporalClient, config);
  for (const schedule of schedules) {
    logger.info({ scheduleId: schedule.scheduleId }, `schedule ${schedule.scheduleId} ${schedule.created ? 'created' : 'up to date'}`);
  }
  probe.watchSchedules(temporalClient, schedules.map((schedule) => schedule.scheduleId));
  // An endpoint whose workflow start was lost (the API stopped between its row and the start) gets it now.
  const endpoints = await ensureWebhookEndpointWorkflows(temporalClient, dataSource, config.temporal.taskQueue);
  if (endpoints > 0) logger.info({ endpoints }, `webhook endpoint workflows running for ${endpoints} enabled endpoints`);

  // Graceful shutdown: stop polling, let running activities finish, then close what the worker used.
  const stop = () => workers.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  logger.info(
    { taskQueue: config.temporal.taskQueue, taskQueues: config.temporal.taskQueues, workerVersion: config.worker.versioning ?? 'unversioned', temporalAddress: config.temporal.address, namespace: config.temporal.namespace, security: config.temporal.security, database: config.databaseTls.description, probePort },
    `worker polling task queues ${Object.values(config.temporal.taskQueues).map((q) => `"${q}"`).join(', ')}${config.worker.versioning ? ` as version ${config.worker.versioning.deploymentName}.${config.worker.versioning.buildId}` : ''} on ${config.temporal.address} (${config.temporal.security}); MySQL ${config.databaseTls.description}; metrics and health on http://${config.worker.metricsHost}:${probePort}`,
  );
  await workers.run();
  await probe.close();
  await connection.close();
  await temporalClient.connection.close();
  await dataSource.destroy();
  logger.info('worker stopped');
});
